"""Risk rules (accounts); see risk/rules/__init__.py."""
