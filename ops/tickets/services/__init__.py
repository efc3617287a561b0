"""Services of customer service (every write: checks, audit, SLA clocks). See docs/TICKETS.md."""
