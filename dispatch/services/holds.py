"""Promotion holds: units a flash-sale session keeps out of the sellable stock.

A hold is a reservation without an order: ``reserved += q`` on one stock row with a
``promotion_hold`` movement, given back with ``promotion_release`` (``reserved -= q``),
both booked through the one primitive :func:`dispatch.services.ledger.stock_move`
(reference type ``flash_session``, reference number ``FS<session id>``), so
``stock_verify`` keeps holding. The caller (``orders.promotions.flash``) checks the
permission, keeps the session item's ``held`` figure and audits.
"""

from __future__ import annotations

from django.db import transaction

from ops.parameters import get_parameter

from ..availability import sellable_expression
from ..exceptions import InsufficientStock
from ..models import Stock, StockMovement, Warehouse
from ..parameters import SAFETY_STOCK_HELD_BACK
from .ledger import StockChange, _stock_rows, stock_move

Kind = StockMovement.Kind
REFERENCE_TYPE = StockMovement.ReferenceType.FLASH_SESSION


def _reference(session_id: int) -> str:
    """The ledger's document number of a flash session's holds."""
    return f"FS{session_id}"


def promotion_hold_warehouse(*, actor, sku_id: int) -> tuple[Warehouse | None, int]:
    """The active warehouse with the most sellable units of ``sku_id`` and those units.

    Sellable as allocation counts it (safety stock held back when
    ``dispatch.safety_stock_held_back`` is on). ``(None, 0)`` when no warehouse has any.
    ``actor`` is who opens the session: every active warehouse counts (a session's
    quota is the whole network's, as allocation sees it).
    """
    row = (
        Stock.objects.filter(sku_id=sku_id, warehouse__is_active=True)
        .annotate(units=sellable_expression())
        .filter(units__gt=0)
        .order_by("-units", "warehouse_id")
        .values_list("warehouse_id", "units")
        .first()
    )
    if row is None:
        return None, 0
    return Warehouse.objects.get(pk=row[0]), int(row[1])


@transaction.atomic(savepoint=False)
def promotion_hold(
    *, actor, warehouse_id: int, sku_id: int, quantity: int, session_id: int, note: str = ""
) -> bool:
    """Hold ``quantity`` units of ``sku_id`` at the warehouse for a session; ``False`` if short.

    The hold is refused (``False``, nothing written) when the warehouse does not have
    that many sellable units (safety stock respected as allocation does). Runs in a
    savepoint so a refusal never dooms the caller's transaction.
    """
    if quantity <= 0:
        return True
    stock = _stock_rows(warehouse_id, [sku_id])[sku_id]
    held_back = bool(get_parameter(SAFETY_STOCK_HELD_BACK))
    try:
        with transaction.atomic():
            stock_move(
                actor=actor,
                changes=[
                    StockChange(
                        stock.pk,
                        Kind.PROMOTION_HOLD,
                        reserved=quantity,
                        note=note[:200],
                        respect_safety_stock=held_back,
                    )
                ],
                reference_type=REFERENCE_TYPE,
                reference_no=_reference(session_id),
            )
    except InsufficientStock:
        return False
    return True


@transaction.atomic(savepoint=False)
def promotion_release(
    *, actor, warehouse_id: int, sku_id: int, quantity: int, session_id: int, note: str = ""
) -> None:
    """Give ``quantity`` held units of ``sku_id`` back to the warehouse's sellable stock.

    Raises ``InsufficientStock`` when the row does not reserve that many units (a
    figure out of step: the caller's transaction is then rolled back).
    """
    if quantity <= 0:
        return
    stock = Stock.objects.get(warehouse_id=warehouse_id, sku_id=sku_id)
    stock_move(
        actor=actor,
        changes=[
            StockChange(stock.pk, Kind.PROMOTION_RELEASE, reserved=-quantity, note=note[:200])
        ],
        reference_type=REFERENCE_TYPE,
        reference_no=_reference(session_id),
    )
