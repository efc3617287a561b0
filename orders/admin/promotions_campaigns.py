"""Admin of promotions (promotions_campaigns); see docs/PROMOTIONS.md."""
