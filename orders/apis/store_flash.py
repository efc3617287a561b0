"""Storefront API of promotions (store_flash); see docs/PROMOTIONS.md and ../shared/API.md."""

from __future__ import annotations

urlpatterns: list = []
