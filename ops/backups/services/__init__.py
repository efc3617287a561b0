"""Services of the backups app: ``backups`` (run, prune) and ``restore`` (restore checks)."""
