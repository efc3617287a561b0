"""Presale (预售): a deposit now, the rest in the final-payment window.

Owned by the presale work. ``order_place`` asks ``presale_terms`` for the cart and
writes ``presale_order_fields`` onto the order; payments asks
``orders.services.payment.order_amount_due``.
"""

from __future__ import annotations

from typing import Any


def presale_terms(*, lines, quote) -> Any:
    """``None`` for an ordinary cart; the presale terms of a presale product's cart."""
    return None


def presale_order_fields(*, terms) -> dict:
    """The ``Order`` fields of a presale (deposit, windows, ship date)."""
    return {}
