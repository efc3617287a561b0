"""Risk rules (payments); see risk/rules/__init__.py."""
