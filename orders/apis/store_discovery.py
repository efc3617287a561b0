"""Storefront API of promotions (store_discovery); see docs/PROMOTIONS.md and ../shared/API.md."""

from __future__ import annotations

urlpatterns: list = []
