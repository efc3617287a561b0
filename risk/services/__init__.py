"""Services of the risk app (every write: checks, audit, events). See docs/RISK.md."""
