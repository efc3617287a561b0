"""The allowed status changes of dispatch's rows, declared with the kernel's helper.

Status fields change only through :func:`mall.core.transitions.transition` (which
refuses a move these tables do not allow, saves with ``update_fields`` and writes
the audit entry) or :func:`~mall.core.transitions.transition_update` (race-safe
conditional ``UPDATE`` of many rows; the caller audits). Imported at startup from
``DispatchConfig.ready()``.
"""

from __future__ import annotations

from mall.core.transitions import register_transitions

from ..models import (
    Allocation,
    PurchaseInbound,
    Shipment,
    StockSnapshot,
    StockSnapshotLine,
    Transfer,
)

_A, _S = Allocation.Status, Shipment.Status
_Snap, _Line = StockSnapshot.Status, StockSnapshotLine.Status

ALLOCATION_TRANSITIONS = register_transitions(
    Allocation,
    {
        _A.ALLOCATED: {_A.SHIPPED, _A.RELEASED},
        _A.SHIPPED: set(),
        _A.RELEASED: set(),
    },
)
SHIPMENT_TRANSITIONS = register_transitions(
    Shipment,
    {
        _S.PENDING: {_S.SHIPPED, _S.CANCELLED},
        _S.SHIPPED: {_S.DELIVERED},
        _S.DELIVERED: set(),
        _S.CANCELLED: set(),
    },
)
PURCHASE_INBOUND_TRANSITIONS = register_transitions(
    PurchaseInbound,
    {
        PurchaseInbound.Status.IN_TRANSIT: {PurchaseInbound.Status.ARRIVED},
        PurchaseInbound.Status.ARRIVED: set(),
    },
)
TRANSFER_TRANSITIONS = register_transitions(
    Transfer,
    {
        Transfer.Status.SHIPPED: {Transfer.Status.RECEIVED},
        Transfer.Status.RECEIVED: set(),
    },
)
STOCK_SNAPSHOT_TRANSITIONS = register_transitions(
    StockSnapshot,
    {
        _Snap.PENDING: {_Snap.RECONCILED, _Snap.NEEDS_REVIEW},
        _Snap.NEEDS_REVIEW: {_Snap.RECONCILED},
        _Snap.RECONCILED: set(),
    },
)
STOCK_SNAPSHOT_LINE_TRANSITIONS = register_transitions(
    StockSnapshotLine,
    {
        _Line.PENDING: {_Line.MATCHED, _Line.ADJUSTED, _Line.NEEDS_REVIEW},
        _Line.NEEDS_REVIEW: {_Line.ACCEPTED, _Line.REJECTED},
        _Line.MATCHED: set(),
        _Line.ADJUSTED: set(),
        _Line.ACCEPTED: set(),
        _Line.REJECTED: set(),
    },
)
