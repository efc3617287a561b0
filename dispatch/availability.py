"""Sellable units: the one expression the storefront, the stock list and the alerts share.

Not services (they write nothing) and not selectors of a screen: ``sellable_units_by_sku``
is the provider registered with ``catalog.availability`` (the storefront ``available``
flag, no actor: it reveals a yes/no per SKU, never a figure per warehouse).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import F, Q, Sum, Value
from django.db.models.functions import Coalesce, Greatest

from ops.parameters import get_parameter

from .models import CoverageArea, Stock
from .parameters import SAFETY_STOCK_HELD_BACK


def sellable_expression():
    """Per-row sellable units as a database expression (never below zero)."""
    held_back = bool(get_parameter(SAFETY_STOCK_HELD_BACK))
    units = F("on_hand") - F("reserved")
    if held_back:
        units = units - F("safety_stock")
    return Greatest(units, Value(0))


def sellable_units_by_sku(sku_ids: Iterable[int]) -> dict[int, int]:
    """Sellable units per SKU over active warehouses, in one aggregate query.

    Registered with ``catalog.availability`` (the storefront ``available`` flag).
    """
    ids = sorted({int(pk) for pk in sku_ids})
    if not ids:
        return {}
    rows = (
        Stock.objects.filter(sku_id__in=ids, warehouse__is_active=True)
        .values("sku_id")
        .annotate(units=Coalesce(Sum(sellable_expression()), 0))
        .values_list("sku_id", "units")
    )
    found = dict(rows)
    return {pk: int(found.get(pk, 0)) for pk in ids}


def sellable_units_by_sku_in_province(sku_ids: Iterable[int], *, province) -> dict[int, int]:
    """Sellable units per SKU over the active warehouses that deliver to ``province``.

    ``province`` is an ``rbac.Province`` or its id. Coverage as the allocation reads
    it (``CoverageArea`` of an active warehouse); the units as ``sellable_units_by_sku``.
    """
    ids = sorted({int(pk) for pk in sku_ids})
    if not ids:
        return {}
    province_id = getattr(province, "pk", province)
    covering = CoverageArea.objects.filter(
        province_id=province_id, warehouse__is_active=True
    ).values("warehouse_id")
    rows = (
        Stock.objects.filter(sku_id__in=ids, warehouse_id__in=covering)
        .values("sku_id")
        .annotate(units=Coalesce(Sum(sellable_expression()), 0))
        .values_list("sku_id", "units")
    )
    found = dict(rows)
    return {pk: int(found.get(pk, 0)) for pk in ids}


def low_stock_skus(sku_ids: Iterable[int] | None = None) -> list[dict]:
    """SKUs whose sellable stock is below their total safety stock (active warehouses).

    ``sku_ids`` narrows the answer to those SKUs (an alert check after a stock change).
    """
    rows = Stock.objects.filter(warehouse__is_active=True)
    if sku_ids is not None:
        rows = rows.filter(sku_id__in=sorted({int(pk) for pk in sku_ids}))
    return list(
        rows.values("sku_id")
        .annotate(sellable=Coalesce(Sum(sellable_expression()), 0), safety=Sum("safety_stock"))
        .filter(Q(safety__gt=0) & Q(sellable__lt=F("safety")))
        .order_by("sku_id")
    )


def below_safety_stock_q() -> Q:
    """Stock rows under their alert level (on a queryset annotated with ``sellable``).

    A safety stock is set and the sellable units are below it, in an active warehouse:
    per row what :func:`dispatch.availability.low_stock_skus` says per SKU.
    """
    return Q(warehouse__is_active=True, safety_stock__gt=0, sellable__lt=F("safety_stock"))
