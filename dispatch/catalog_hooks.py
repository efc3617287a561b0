"""Dispatch's answers to catalog's hooks (``mall.core.hooks``), registered in ``ready()``.

``catalog.sellable_stock`` (contract in ``catalog.availability``): the product list's
"sellable stock" column, read through dispatch's scoped stock selector.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Sum

from mall.core.hooks import provide

from . import selectors

VIEW_STOCK = "dispatch.view_stock"


def sellable_stock_by_product(*, product_ids: Iterable[int], actor) -> dict[int, int]:
    """Sellable units per product over the active warehouses ``actor`` may see.

    The same units as the storefront (``sellable_expression``; a SKU switched off by
    its ``is_available`` flag sells nothing). Readers without the stock permission get
    no figures (the column shows "—" to them); products without stock in their scope
    count 0.
    """
    ids = sorted({int(pk) for pk in product_ids})
    if not ids or actor is None or not actor.has_perm(VIEW_STOCK):
        return {}
    rows = (
        selectors.stock_list(actor=actor)
        .filter(sku__product_id__in=ids, warehouse__is_active=True, sku__is_available=True)
        .values("sku__product_id")
        .annotate(units=Sum("sellable"))
        .values_list("sku__product_id", "units")
        .order_by()
    )
    found = {product_id: int(units or 0) for product_id, units in rows}
    return {pk: found.get(pk, 0) for pk in ids}


provide("catalog.sellable_stock", "dispatch", sellable_stock_by_product)
