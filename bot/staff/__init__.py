"""The staff pages under /admin: sign-in, the contact person's cases, printouts, the script
editor, the monitoring report."""
