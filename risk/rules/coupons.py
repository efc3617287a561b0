"""Risk rules (coupons); see risk/rules/__init__.py."""
