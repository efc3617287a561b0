"""Risk rules (lists); see risk/rules/__init__.py."""
