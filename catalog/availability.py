"""Sellable stock as the storefront sees it, with a hook for the stock-keeping app.

``catalog`` sits to the left of ``dispatch`` (DESIGN.md §3) and never imports it.
Dispatch registers its provider in its ``AppConfig.ready()``::

    register_sellable_stock_provider(sellable_units_by_sku)

where the function takes SKU ids and returns ``{sku_id: sellable units}``. Without a
provider every SKU counts as 1 unit when its own ``is_available`` flag is set, else 0.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

SellableStockProvider = Callable[[Iterable[int]], dict[int, int]]
_provider: SellableStockProvider | None = None


def register_sellable_stock_provider(provider: SellableStockProvider | None) -> None:
    """Install (or with ``None`` remove) the function that reports sellable units."""
    global _provider
    _provider = provider


def sellable_stock_provider() -> SellableStockProvider | None:
    return _provider


def sellable_stock(sku_ids: Iterable[int]) -> dict[int, int]:
    """Return sellable units per SKU id for all ``sku_ids`` in one call.

    A SKU switched off by its own ``is_available`` flag sells nothing whatever the
    warehouses hold. Ids the provider does not report count as 0.
    """
    from .models import Sku

    ids = sorted({int(pk) for pk in sku_ids})
    if not ids:
        return {}
    flags = dict(Sku.objects.filter(pk__in=ids).values_list("pk", "is_available"))
    if _provider is None:
        return {pk: 1 if flags.get(pk) else 0 for pk in ids}
    units = _provider(ids) or {}
    return {pk: max(int(units.get(pk, 0)), 0) if flags.get(pk) else 0 for pk in ids}


# --- the sellable stock the product list shows (a hook dispatch provides) ---------------

SELLABLE_STOCK_HOOK = "catalog.sellable_stock"
"""``mall.core.hooks`` hook offered by catalog: sellable stock per product, as a reader sees it.

Contract: a provider is ``provider(product_ids: list[int], actor) -> {product_id: units}``.
It reads through its own scoped selectors, so ``units`` is the sellable stock in the
warehouses ``actor`` may see; it leaves out the products it reports nothing on for this
reader (no stock permission, no warehouse in scope). Several providers' figures add
up. Dispatch provides it (``dispatch/catalog_hooks.py``).
"""


def product_sellable_stock(*, actor, product_ids: Iterable[int]) -> dict[int, int]:
    """Sellable units per product for ``actor`` (only the products some provider reports).

    A product missing from the answer is "not known to this reader" (the list shows
    "—"), never zero.
    """
    from mall.core.hooks import call_providers

    ids = sorted({int(pk) for pk in product_ids})
    if not ids:
        return {}
    totals: dict[int, int] = {}
    for answer in call_providers(SELLABLE_STOCK_HOOK, product_ids=ids, actor=actor):
        for product_id, units in (answer or {}).items():
            if product_id in ids:
                totals[product_id] = totals.get(product_id, 0) + max(int(units), 0)
    return totals
