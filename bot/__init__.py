"""Voorzorg's I/O edges. The process shell lives here (cli, service, runtime, config, clock,
errors); channels/, outreach/, staff/ and web/ each own one job."""
