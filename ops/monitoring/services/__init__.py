"""Services of monitoring (every write: checks, audit, transitions). docs/MONITORING.md."""
