"""Backups: one file holding a consistent copy of the database and a manifest of it.

`service.backup` and `service.restore` are what the CLI calls; `sqlite` and `postgres` hold
each store's own way of taking and putting back a copy; `archive` and `manifest` the file.
"""
