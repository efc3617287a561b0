"""API routes of this edge app (filled in by its owner)."""

urlpatterns: list = []
