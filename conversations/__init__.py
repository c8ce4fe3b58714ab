"""The pure conversation engine and the default scripts it runs."""
