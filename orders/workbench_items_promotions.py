"""Workbench tiles of promotions (running campaigns and sessions); see docs/PROMOTIONS.md."""
