"""Risk rules (after_sales); see risk/rules/__init__.py."""
