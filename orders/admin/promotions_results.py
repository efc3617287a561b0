"""Admin of promotions (promotions_results); see docs/PROMOTIONS.md."""
