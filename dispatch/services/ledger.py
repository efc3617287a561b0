"""The one stock primitive: a stock change and its ledger movement, written together.

Every change of a stock figure (``on_hand``, ``reserved``, ``in_transit``) in the
whole project is a call of :func:`stock_move`: it inserts one ``StockMovement`` per
change and applies the change with one conditional ``UPDATE`` per stock row, so no
caller can do one without the other and ``stock_verify`` (figures = sum of the
ledger) holds by construction. ``tests/dispatch/test_stock_primitive.py`` scans the
code for any other writer of those columns or of ``StockMovement`` rows.

Never read-then-write: each ``UPDATE … SET reserved = reserved + q WHERE id = …
AND <guard>`` is re-checked by the database on the locked row, so concurrent
callers cannot push a figure out of range or sell a unit twice. Rows are updated in
primary-key order (no deadlock between two callers touching the same rows).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from ..exceptions import InsufficientStock, InvalidDispatchInput
from ..models import Stock, StockMovement

MOVEMENT_NOTE_LENGTH = StockMovement._meta.get_field("note").max_length


@dataclass(frozen=True)
class StockChange:
    """One line of a ledger booking: deltas of one stock row and why.

    ``respect_safety_stock`` (order locks while ``dispatch.safety_stock_held_back``
    is on) also keeps ``on_hand - reserved - safety_stock ≥ 0`` after the change.
    """

    stock_id: int
    kind: str
    on_hand: int = 0
    reserved: int = 0
    in_transit: int = 0
    note: str = ""
    respect_safety_stock: bool = False

    @property
    def is_empty(self) -> bool:
        return not (self.on_hand or self.reserved or self.in_transit)


def _guard(change: StockChange) -> Q:
    """The ``WHERE`` that keeps every figure valid after adding the deltas.

    Mirrors the CHECK constraints so a refused change is a clean zero-row update
    instead of an integrity error: ``on_hand ≥ 0``, ``0 ≤ reserved ≤ on_hand``,
    ``in_transit ≥ 0`` — each after the change. A reservation is the no-oversell
    condition ``on_hand - reserved [- safety_stock] ≥ q``.
    """
    condition = Q()
    if change.on_hand < 0:
        condition &= Q(on_hand__gte=-change.on_hand)
    if change.reserved < 0:
        condition &= Q(reserved__gte=-change.reserved)
    if change.in_transit < 0:
        condition &= Q(in_transit__gte=-change.in_transit)
    growth = change.reserved - change.on_hand
    if change.respect_safety_stock and change.reserved > 0:
        condition &= Q(on_hand__gte=F("reserved") + F("safety_stock") + growth)
    elif growth > 0:
        condition &= Q(on_hand__gte=F("reserved") + growth)
    return condition


def _apply(change: StockChange, now) -> bool:
    updates = {"updated_at": now}
    if change.on_hand:
        updates["on_hand"] = F("on_hand") + change.on_hand
    if change.reserved:
        updates["reserved"] = F("reserved") + change.reserved
    if change.in_transit:
        updates["in_transit"] = F("in_transit") + change.in_transit
    return Stock.objects.filter(pk=change.stock_id).filter(_guard(change)).update(**updates) == 1


@transaction.atomic(savepoint=False)
def stock_move(
    *,
    actor,
    changes: Iterable[StockChange],
    reference_type: str,
    reference_no: str,
) -> list[StockMovement]:
    """Book ``changes`` on the stock rows and in the ledger, all or nothing; return the movements.

    The movements are inserted first and the stock rows updated last, in stock-id
    order, so a contended row is locked only from its ``UPDATE`` to the caller's
    commit. Raises ``InsufficientStock`` (``extra.stock_id``) when a change is
    refused: without a savepoint of its own, the caller's whole transaction is then
    doomed — it cannot keep the movements without the stock change (or commit half a
    document). A note longer than the ledger column is refused (``InvalidDispatchInput``),
    never cut. The ledger row (kind, deltas, document, actor) is the record of the
    change; the calling service checks permission and scope and audits its document.
    """
    ordered = sorted((c for c in changes if not c.is_empty), key=lambda c: c.stock_id)
    for change in ordered:
        if len(change.note) > MOVEMENT_NOTE_LENGTH:
            raise InvalidDispatchInput(
                fields={
                    "note": [
                        _("Ensure this value has at most %(n)s characters.")
                        % {"n": MOVEMENT_NOTE_LENGTH}
                    ]
                }
            )
    movements = StockMovement.objects.bulk_create(
        [
            StockMovement(
                stock_id=change.stock_id,
                kind=change.kind,
                on_hand_delta=change.on_hand,
                reserved_delta=change.reserved,
                in_transit_delta=change.in_transit,
                reference_type=reference_type,
                reference_no=reference_no,
                actor=actor,
                note=change.note,
            )
            for change in ordered
        ]
    )
    now = timezone.now()
    for change in ordered:
        if not _apply(change, now):
            raise InsufficientStock(extra={"stock_id": change.stock_id})
    return movements


def _stock_rows(warehouse_id: int, sku_ids: Iterable[int]) -> dict[int, Stock]:
    """Return ``{sku_id: Stock}`` for the warehouse, creating missing rows at zero.

    A new row holds nothing (every figure 0), so creating it is no ledger change.
    Private to the services package (the documents and the reconciliation use it).
    """
    sku_ids = sorted(set(sku_ids))
    Stock.objects.bulk_create(
        [Stock(warehouse_id=warehouse_id, sku_id=sku_id) for sku_id in sku_ids],
        ignore_conflicts=True,
    )
    return {
        stock.sku_id: stock
        for stock in Stock.objects.filter(warehouse_id=warehouse_id, sku_id__in=sku_ids)
    }
