"""Every write of the dispatch centre.

* ``ledger`` — the one stock primitive, :func:`stock_move`: a conditional ``UPDATE``
  of each stock row and its ``StockMovement``, written together.
* ``stock`` — the warehouse documents: purchase inbound, transfer, stocktake, return
  receipt, safety stock.
* ``allocation`` — pre-dispatch, allocate, release, ship-out, tracking events.
* ``sync`` — inventory snapshots and their reconciliation, low-stock alerts (sent, and
  resolved when they clear).
* ``holds`` — promotion holds (a flash session's quota out of the sellable stock).
* ``setup`` — warehouses, coverage areas, carriers and their rules.
* ``transitions`` — the status tables (``mall.core.transitions``).

Helpers that are not services live beside the package: ``dispatch.inputs`` (lines,
files, document numbers), ``dispatch.access`` (permission and scope checks),
``dispatch.planner`` (the pure warehouse and carrier choice) and
``dispatch.availability`` (sellable units).
"""

from .allocation import (
    AllocationPlan,
    allocate,
    allocation_release,
    predispatch,
    shipment_ship,
    shipments_flag_stale,
    tracking_event_record,
)
from .holds import (
    promotion_hold,
    promotion_hold_warehouse,
    promotion_release,
)
from .ledger import StockChange, stock_move
from .setup import (
    carrier_rule_save,
    carrier_save,
    coverage_area_remove,
    coverage_area_save,
    warehouse_save,
)
from .stock import (
    purchase_inbound_arrive,
    purchase_inbound_create,
    return_receipt_record,
    stock_safety_set,
    stocktake_record,
    transfer_create,
    transfer_receive,
)
from .sync import (
    low_stock_alerts_clear,
    low_stock_alerts_send,
    stock_snapshot_line_review,
    stock_snapshot_reconcile,
    stock_snapshot_submit,
    stock_snapshots_reconcile_pending,
)

__all__ = [
    "AllocationPlan",
    "StockChange",
    "allocate",
    "allocation_release",
    "carrier_rule_save",
    "carrier_save",
    "coverage_area_remove",
    "coverage_area_save",
    "low_stock_alerts_clear",
    "low_stock_alerts_send",
    "predispatch",
    "promotion_hold",
    "promotion_hold_warehouse",
    "promotion_release",
    "purchase_inbound_arrive",
    "purchase_inbound_create",
    "return_receipt_record",
    "shipment_ship",
    "shipments_flag_stale",
    "stock_move",
    "stock_safety_set",
    "stock_snapshot_line_review",
    "stock_snapshot_reconcile",
    "stock_snapshot_submit",
    "stock_snapshots_reconcile_pending",
    "stocktake_record",
    "tracking_event_record",
    "transfer_create",
    "transfer_receive",
    "warehouse_save",
]
