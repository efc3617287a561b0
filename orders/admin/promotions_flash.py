"""Admin of promotions (promotions_flash); see docs/PROMOTIONS.md."""
