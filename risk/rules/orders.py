"""Risk rules (orders); see risk/rules/__init__.py."""
