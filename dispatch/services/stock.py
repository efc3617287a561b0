"""Warehouse documents: purchase inbound, transfer, stocktake, return receipt, safety stock.

Each service checks the function permission and the warehouse scope, writes the
document, changes stock through the one ledger primitive (:func:`.ledger.stock_move`)
and audits last (a status change is audited by its transition).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from mall.core.audit import audit, snapshot
from mall.core.transitions import transition

from ..access import require_permission, require_warehouse_access
from ..exceptions import InsufficientStock, InvalidDispatchInput, InvalidStateTransition
from ..inputs import checked_text, document_no, parse_lines
from ..models import (
    PurchaseInbound,
    PurchaseInboundLine,
    ReturnReceipt,
    ReturnReceiptLine,
    Stock,
    StockMovement,
    Stocktake,
    StocktakeLine,
    Transfer,
    TransferLine,
    Warehouse,
)
from .ledger import StockChange, _stock_rows, stock_move
from .sync import low_stock_alerts_clear

Kind = StockMovement.Kind


def _lines_data(lines) -> list[dict]:
    return [{"sku": line.sku_code, "quantity": line.quantity} for line in lines]


@transaction.atomic
def purchase_inbound_create(
    *, actor, warehouse: Warehouse, lines: Iterable, supplier_name: str = "", note: str = ""
) -> PurchaseInbound:
    """Record a purchase on its way to ``warehouse``: each line adds to ``in_transit``.

    Needs ``dispatch.add_purchaseinbound`` and the warehouse in scope.
    """
    require_permission(actor, "dispatch.add_purchaseinbound")
    require_warehouse_access(actor, warehouse)
    parsed = parse_lines(lines)
    document = PurchaseInbound.objects.create(
        document_no=document_no("PI"),
        warehouse=warehouse,
        supplier_name=checked_text(PurchaseInbound, "supplier_name", supplier_name),
        note=checked_text(PurchaseInbound, "note", note),
        created_by=actor,
    )
    PurchaseInboundLine.objects.bulk_create(
        [
            PurchaseInboundLine(document=document, sku_id=ln.sku_id, quantity=ln.quantity)
            for ln in parsed
        ]
    )
    stocks = _stock_rows(warehouse.pk, [ln.sku_id for ln in parsed])
    stock_move(
        actor=actor,
        changes=[
            StockChange(stocks[ln.sku_id].pk, Kind.PURCHASE_IN_TRANSIT, in_transit=ln.quantity)
            for ln in parsed
        ],
        reference_type="purchase_inbound",
        reference_no=document.document_no,
    )
    audit(
        actor=actor,
        action="dispatch.purchase_inbound_create",
        target=document,
        data={"warehouse": warehouse.code, "lines": _lines_data(parsed)},
    )
    return document


@transaction.atomic
def purchase_inbound_arrive(*, actor, document: PurchaseInbound) -> PurchaseInbound:
    """Book the arrival: each line moves from ``in_transit`` to ``on_hand``.

    Raises ``InvalidStateTransition`` when it already arrived (the row is locked, so
    two clerks clicking at once book it once).
    """
    require_permission(actor, "dispatch.change_purchaseinbound")
    document = PurchaseInbound.objects.select_for_update().get(pk=document.pk)
    require_warehouse_access(actor, document.warehouse)
    if document.status != PurchaseInbound.Status.IN_TRANSIT:
        raise InvalidStateTransition(_("This purchase has already arrived."))
    lines = list(document.lines.all())
    stocks = _stock_rows(document.warehouse_id, [ln.sku_id for ln in lines])
    stock_move(
        actor=actor,
        changes=[
            StockChange(
                stocks[ln.sku_id].pk,
                Kind.PURCHASE_ARRIVAL,
                in_transit=-ln.quantity,
                on_hand=ln.quantity,
            )
            for ln in lines
        ],
        reference_type="purchase_inbound",
        reference_no=document.document_no,
    )
    low_stock_alerts_clear(actor=actor, sku_ids=[ln.sku_id for ln in lines])
    transition(
        document,
        PurchaseInbound.Status.ARRIVED,
        actor=actor,
        action="dispatch.purchase_inbound_arrive",
        arrived_at=timezone.now(),
    )
    return document


@transaction.atomic
def transfer_create(
    *, actor, from_warehouse: Warehouse, to_warehouse: Warehouse, lines: Iterable, note: str = ""
) -> Transfer:
    """Ship stock out of one warehouse towards another (调拨出库).

    The source loses ``on_hand`` (only units no order has reserved); the destination
    gains ``in_transit`` until :func:`transfer_receive`. Needs ``dispatch.add_transfer``
    and the source warehouse in scope. Raises ``InsufficientStock``.
    """
    require_permission(actor, "dispatch.add_transfer")
    require_warehouse_access(actor, from_warehouse)
    if from_warehouse.pk == to_warehouse.pk:
        raise InvalidDispatchInput(
            fields={"to_warehouse": [_("Choose a different destination warehouse.")]}
        )
    if not to_warehouse.is_active:
        raise InvalidDispatchInput(fields={"to_warehouse": [_("This warehouse is not active.")]})
    parsed = parse_lines(lines)
    document = Transfer.objects.create(
        document_no=document_no("TR"),
        from_warehouse=from_warehouse,
        to_warehouse=to_warehouse,
        note=checked_text(Transfer, "note", note),
        created_by=actor,
    )
    TransferLine.objects.bulk_create(
        [TransferLine(document=document, sku_id=ln.sku_id, quantity=ln.quantity) for ln in parsed]
    )
    sku_ids = [ln.sku_id for ln in parsed]
    source = _stock_rows(from_warehouse.pk, sku_ids)
    destination = _stock_rows(to_warehouse.pk, sku_ids)
    changes = []
    for ln in parsed:
        changes.append(StockChange(source[ln.sku_id].pk, Kind.TRANSFER_OUT, on_hand=-ln.quantity))
        changes.append(
            StockChange(destination[ln.sku_id].pk, Kind.TRANSFER_OUT, in_transit=ln.quantity)
        )
    stock_move(
        actor=actor, changes=changes, reference_type="transfer", reference_no=document.document_no
    )
    audit(
        actor=actor,
        action="dispatch.transfer_create",
        target=document,
        data={
            "from": from_warehouse.code,
            "to": to_warehouse.code,
            "lines": _lines_data(parsed),
        },
    )
    return document


@transaction.atomic
def transfer_receive(*, actor, document: Transfer) -> Transfer:
    """Receive a transfer at its destination (调拨入库): ``in_transit`` → ``on_hand``."""
    require_permission(actor, "dispatch.change_transfer")
    document = Transfer.objects.select_for_update().get(pk=document.pk)
    require_warehouse_access(actor, document.to_warehouse)
    if document.status != Transfer.Status.SHIPPED:
        raise InvalidStateTransition(_("This transfer has already been received."))
    lines = list(document.lines.all())
    stocks = _stock_rows(document.to_warehouse_id, [ln.sku_id for ln in lines])
    stock_move(
        actor=actor,
        changes=[
            StockChange(
                stocks[ln.sku_id].pk, Kind.TRANSFER_IN, in_transit=-ln.quantity, on_hand=ln.quantity
            )
            for ln in lines
        ],
        reference_type="transfer",
        reference_no=document.document_no,
    )
    low_stock_alerts_clear(actor=actor, sku_ids=[ln.sku_id for ln in lines])
    transition(
        document,
        Transfer.Status.RECEIVED,
        actor=actor,
        action="dispatch.transfer_receive",
        received_at=timezone.now(),
    )
    return document


@transaction.atomic
def stocktake_record(*, actor, warehouse: Warehouse, counts: Iterable, note: str = "") -> Stocktake:
    """Record counted quantities (盘点); each difference becomes a gain or loss movement.

    ``counts`` are ``(sku, counted units)``. The counted stock rows are locked in
    primary-key order while the book quantity is read and the difference booked.
    A count below the reserved units is refused (``InsufficientStock``): those orders
    must be released or moved to another warehouse first.
    """
    require_permission(actor, "dispatch.add_stocktake")
    require_warehouse_access(actor, warehouse)
    parsed = parse_lines(counts, allow_zero=True, merge=False)
    rows = _stock_rows(warehouse.pk, [ln.sku_id for ln in parsed])
    locked = {
        stock.sku_id: stock
        for stock in Stock.objects.select_for_update()
        .filter(pk__in=[s.pk for s in rows.values()])
        .order_by("pk")
    }
    document = Stocktake.objects.create(
        document_no=document_no("ST"),
        warehouse=warehouse,
        note=checked_text(Stocktake, "note", note),
        created_by=actor,
    )
    lines, changes = [], []
    for ln in parsed:
        stock = locked[ln.sku_id]
        difference = ln.quantity - stock.on_hand
        if ln.quantity < stock.reserved:
            raise InsufficientStock(
                _("%(sku)s: counted %(counted)s but %(reserved)s are reserved for orders.")
                % {"sku": ln.sku_code, "counted": ln.quantity, "reserved": stock.reserved}
            )
        lines.append(
            StocktakeLine(
                document=document,
                sku_id=ln.sku_id,
                counted=ln.quantity,
                book_quantity=stock.on_hand,
                difference=difference,
            )
        )
        if difference:
            kind = Kind.STOCKTAKE_GAIN if difference > 0 else Kind.STOCKTAKE_LOSS
            changes.append(StockChange(stock.pk, kind, on_hand=difference))
    StocktakeLine.objects.bulk_create(lines)
    stock_move(
        actor=actor, changes=changes, reference_type="stocktake", reference_no=document.document_no
    )
    low_stock_alerts_clear(actor=actor, sku_ids=[ln.sku_id for ln in parsed])
    audit(
        actor=actor,
        action="dispatch.stocktake_record",
        target=document,
        data={
            "warehouse": warehouse.code,
            "differences": {
                ln.sku_code: line.difference for ln, line in zip(parsed, lines, strict=True)
            },
        },
    )
    return document


@transaction.atomic
def return_receipt_record(
    *, actor, warehouse: Warehouse, order_no: str, lines: Iterable, note: str = ""
) -> ReturnReceipt:
    """Receive returned goods of an order back into ``warehouse`` (``on_hand`` grows)."""
    require_permission(actor, "dispatch.add_returnreceipt")
    require_warehouse_access(actor, warehouse)
    order_no = checked_text(ReturnReceipt, "order_no", (order_no or "").strip())
    if not order_no:
        raise InvalidDispatchInput(fields={"order_no": [_("This field is required.")]})
    note = checked_text(ReturnReceipt, "note", note)
    parsed = parse_lines(lines)
    document = ReturnReceipt.objects.create(
        document_no=document_no("RR"),
        warehouse=warehouse,
        order_no=order_no,
        note=note,
        created_by=actor,
    )
    ReturnReceiptLine.objects.bulk_create(
        [
            ReturnReceiptLine(document=document, sku_id=ln.sku_id, quantity=ln.quantity)
            for ln in parsed
        ]
    )
    stocks = _stock_rows(warehouse.pk, [ln.sku_id for ln in parsed])
    stock_move(
        actor=actor,
        changes=[
            StockChange(stocks[ln.sku_id].pk, Kind.RETURN_IN, on_hand=ln.quantity) for ln in parsed
        ],
        reference_type="return_receipt",
        reference_no=document.document_no,
    )
    low_stock_alerts_clear(actor=actor, sku_ids=[ln.sku_id for ln in parsed])
    audit(
        actor=actor,
        action="dispatch.return_receipt_record",
        target=document,
        data={"order_no": order_no, "warehouse": warehouse.code, "lines": _lines_data(parsed)},
    )
    return document


@transaction.atomic
def stock_safety_set(*, actor, stock: Stock, safety_stock: int) -> Stock:
    """Set a stock row's safety stock (the low-stock alert level). Not a ledger change."""
    require_permission(actor, "dispatch.change_stock")
    stock = Stock.objects.select_for_update().select_related("warehouse").get(pk=stock.pk)
    require_warehouse_access(actor, stock.warehouse)
    if isinstance(safety_stock, bool) or not isinstance(safety_stock, int) or safety_stock < 0:
        raise InvalidDispatchInput(fields={"safety_stock": [_("Enter a whole number ≥ 0.")]})
    before = snapshot(stock, ["safety_stock"])
    stock.safety_stock = safety_stock
    stock.save(update_fields=["safety_stock", "updated_at"])
    low_stock_alerts_clear(actor=actor, sku_ids=[stock.sku_id])
    audit(
        actor=actor,
        action="dispatch.stock_safety_set",
        target=stock,
        before=before,
        after=snapshot(stock, ["safety_stock"]),
    )
    return stock
