"""Every write of the orders app, one module per use case (import from the module)."""
