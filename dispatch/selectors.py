"""Every read of the dispatch centre served to a person: always through the data scope.

A warehouse clerk holding the object grant ``dispatch.work_warehouse`` on ``WH-SH``
sees that warehouse's stock, movements, shipments and documents only; regional
ops see their regions' warehouses; out of scope is "not found".
"""

from __future__ import annotations

from django.db.models import Count, Prefetch, Q, QuerySet, Sum

from mall.core.actors import is_system_actor
from mall.core.scoping import scope_queryset

from .access import warehouses_in_scope
from .availability import below_safety_stock_q, sellable_expression
from .exceptions import DispatchNotFound
from .models import (
    Allocation,
    Carrier,
    CarrierRule,
    CoverageArea,
    PurchaseInbound,
    ReturnReceipt,
    Shipment,
    Stock,
    StockMovement,
    StockSnapshot,
    StockSnapshotLine,
    Stocktake,
    Transfer,
    Warehouse,
)


def warehouse_list(*, actor) -> QuerySet[Warehouse]:
    return scope_queryset(actor, Warehouse.objects.select_related("region"))


def transfer_destination_list(*, actor) -> QuerySet[Warehouse]:
    """Active warehouses a transfer may go to: any region, not only the actor's.

    A sender ships to another region's warehouse (which then receives the goods);
    choosing one names it, nothing more (its stock stays out of the sender's scope).
    """
    return Warehouse.objects.filter(is_active=True).select_related("region")


def coverage_area_list(*, actor) -> QuerySet[CoverageArea]:
    return scope_queryset(actor, CoverageArea.objects.select_related("warehouse", "province"))


def carrier_list(*, actor) -> QuerySet[Carrier]:
    return scope_queryset(actor, Carrier.objects.all())


def carrier_rule_list(*, actor) -> QuerySet[CarrierRule]:
    return scope_queryset(
        actor, CarrierRule.objects.select_related("carrier", "warehouse", "province")
    )


def stock_list(*, actor) -> QuerySet[Stock]:
    """Stock rows in scope with ``sellable`` as the storefront counts it.

    On hand − reserved (− safety stock when ``dispatch.safety_stock_held_back`` is
    on), never below 0: the same expression as ``sellable_units_by_sku``.
    """
    return scope_queryset(
        actor,
        Stock.objects.select_related("warehouse", "sku__product").annotate(
            sellable=sellable_expression()
        ),
    )


def low_stock_list(*, actor) -> QuerySet[Stock]:
    """Stock rows in scope below their safety stock (the workbench tile and chart)."""
    return stock_list(actor=actor).filter(below_safety_stock_q())


def low_stock_by_warehouse(*, actor) -> list[tuple[str, int]]:
    """``[(warehouse name, rows below safety stock)]`` over the warehouses in scope."""
    counts = dict(
        low_stock_list(actor=actor)
        .order_by()
        .values("warehouse_id")
        .annotate(rows=Count("id"))
        .values_list("warehouse_id", "rows")
    )
    return [
        (warehouse.name, int(counts.get(warehouse.pk, 0)))
        for warehouse in warehouse_list(actor=actor).filter(is_active=True).order_by("code")
    ]


def sku_pick_list(*, actor, term: str = "", offset: int = 0, limit: int = 20) -> list[tuple]:
    """SKUs a warehouse document line may name, with the sellable units in ``actor``'s scope.

    Any SKU of the catalogue may be received, counted or moved (the services accept
    any SKU code): the list matches the SKU code, the product name or the product
    code. The figure beside each is summed over the warehouses ``actor`` may see
    only, so the search tells nothing about other warehouses' stock. Returns
    ``[(sku, sellable)]``, SKU codes in order.
    """
    from catalog.models import Sku

    skus = Sku.objects.select_related("product").order_by("code")
    term = (term or "").strip()
    if term:
        skus = skus.filter(
            Q(code__icontains=term)
            | Q(product__title__icontains=term)
            | Q(product__code__iexact=term)
        )
    page = list(skus[offset : offset + limit])
    stocks = Stock.objects.filter(sku_id__in=[sku.pk for sku in page], warehouse__is_active=True)
    warehouses = warehouses_in_scope(actor)
    if warehouses is not None:
        stocks = stocks.filter(warehouse__in=warehouses)
    units = dict(
        stocks.order_by()
        .values("sku_id")
        .annotate(units=Sum(sellable_expression()))
        .values_list("sku_id", "units")
    )
    return [(sku, int(units.get(sku.pk) or 0)) for sku in page]


def stock_movement_list(*, actor) -> QuerySet[StockMovement]:
    return scope_queryset(
        actor,
        StockMovement.objects.select_related("stock__warehouse", "stock__sku__product", "actor"),
    )


def allocation_list(*, actor) -> QuerySet[Allocation]:
    return scope_queryset(actor, Allocation.objects.select_related("province"))


def allocation_list_with_shipments(*, actor) -> QuerySet[Allocation]:
    """Allocations in scope, each with only the shipments the actor may see.

    An allocation is scoped by its delivery province, a shipment by its warehouse:
    a split order's shipment from another region's warehouse stays hidden (the
    shipments endpoint answers 404 for it, so the allocation must not show it either).
    """
    return allocation_list(actor=actor).prefetch_related(
        Prefetch("shipments", queryset=shipment_list(actor=actor).order_by("pk"))
    )


def shipment_list(*, actor) -> QuerySet[Shipment]:
    return scope_queryset(
        actor,
        Shipment.objects.select_related("warehouse", "carrier").prefetch_related(
            "lines__sku__product"
        ),
    )


def shipments_by_order(*, actor, order_nos) -> dict[str, list[Shipment]]:
    """Return ``{order_no: [shipments, oldest first]}`` with lines and carriers, in 3 queries.

    Not narrowed to ``actor``'s warehouses: for embedding in orders the caller
    already loaded through its own scoped selector for ``actor`` (the orders API
    shows an order's shipments; a buyer sees every parcel of their order).
    """
    result: dict[str, list[Shipment]] = {no: [] for no in order_nos}
    shipments = (
        Shipment.objects.filter(order_no__in=list(result))
        .select_related("warehouse", "carrier")
        .prefetch_related("lines__sku")
        .order_by("pk")
    )
    for shipment in shipments:
        result[shipment.order_no].append(shipment)
    return result


def shipment_get(*, actor, pk: int) -> Shipment:
    """One shipment in scope with its lines and tracking events; else ``DispatchNotFound``."""
    found = shipment_list(actor=actor).prefetch_related("events").filter(pk=pk).first()
    if found is None:
        raise DispatchNotFound()
    return found


def purchase_inbound_list(*, actor) -> QuerySet[PurchaseInbound]:
    return scope_queryset(
        actor,
        PurchaseInbound.objects.select_related("warehouse", "created_by").prefetch_related(
            "lines__sku__product"
        ),
    )


def transfer_list(*, actor) -> QuerySet[Transfer]:
    return scope_queryset(
        actor,
        Transfer.objects.select_related(
            "from_warehouse", "to_warehouse", "created_by"
        ).prefetch_related("lines__sku__product"),
    )


def stocktake_list(*, actor) -> QuerySet[Stocktake]:
    return scope_queryset(
        actor,
        Stocktake.objects.select_related("warehouse", "created_by").prefetch_related("lines__sku"),
    )


def return_receipt_list(*, actor) -> QuerySet[ReturnReceipt]:
    return scope_queryset(
        actor,
        ReturnReceipt.objects.select_related("warehouse", "created_by").prefetch_related(
            "lines__sku__product"
        ),
    )


def stock_snapshot_list(*, actor) -> QuerySet[StockSnapshot]:
    return scope_queryset(
        actor, StockSnapshot.objects.select_related("warehouse").prefetch_related("lines__sku")
    )


def stock_snapshot_line_list(*, actor) -> QuerySet[StockSnapshotLine]:
    return scope_queryset(
        actor, StockSnapshotLine.objects.select_related("document", "sku__product")
    )


def stock_ledger_mismatches(*, actor) -> list[dict]:
    """Stock rows whose figures differ from the sum of their movements (for stock_verify).

    One aggregate query over the ledger joined to the stock table; rows without
    any movement must be all zeros. Every warehouse for the system actor (the
    ``stock_verify`` command); the actor's warehouses for anyone else.
    """
    sums = {
        row["stock_id"]: row
        for row in StockMovement.objects.values("stock_id").annotate(
            on_hand=Sum("on_hand_delta"),
            reserved=Sum("reserved_delta"),
            in_transit=Sum("in_transit_delta"),
        )
    }
    problems = []
    stocks = Stock.objects.all() if is_system_actor(actor) else scope_queryset(actor, Stock.objects)
    for stock in stocks.values(
        "pk", "warehouse__code", "sku__code", "on_hand", "reserved", "in_transit"
    ).iterator():
        ledger = sums.get(stock["pk"], {"on_hand": 0, "reserved": 0, "in_transit": 0})
        for figure in ("on_hand", "reserved", "in_transit"):
            if (ledger[figure] or 0) != stock[figure]:
                problems.append(
                    {
                        "stock_id": stock["pk"],
                        "warehouse": stock["warehouse__code"],
                        "sku": stock["sku__code"],
                        "figure": figure,
                        "stock": stock[figure],
                        "ledger": ledger[figure] or 0,
                    }
                )
    return problems
