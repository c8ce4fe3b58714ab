"""Voorzorg's I/O edges: CLI, web app, channels, scheduler and sender loops."""
