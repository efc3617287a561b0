"""Models of this edge app (filled in by its owner)."""
