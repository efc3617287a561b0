"""Inventory sync (库存同步) and low-stock alerts.

Warehouses report what they physically hold (``on_hand``) through the API or an
uploaded file. The hourly job compares each reported figure with the ledger *as of
the snapshot time* (current ``on_hand`` minus movements booked after it), books
small differences as ``sync_adjustment`` movements and holds differences above the
threshold parameter for a person to accept or reject.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from urllib.parse import quote

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from mall.core.audit import audit
from mall.core.times import is_in_future
from mall.core.transitions import transition, transition_update
from ops.parameters import get_parameter

from ..access import require_permission, require_warehouse_access
from ..availability import low_stock_skus, sellable_units_by_sku
from ..exceptions import InsufficientStock, InvalidDispatchInput, InvalidStateTransition
from ..inputs import checked_text, document_no, parse_lines
from ..models import Stock, StockMovement, StockSnapshot, StockSnapshotLine, Warehouse
from ..parameters import AUTO_OFF_SHELF_AT_ZERO, SYNC_DIFFERENCE_THRESHOLD
from .ledger import StockChange, _stock_rows, stock_move


@transaction.atomic
def stock_snapshot_submit(
    *,
    actor,
    warehouse: Warehouse,
    lines: Iterable,
    taken_at: datetime | None = None,
    source: str = "api",
    note: str = "",
) -> StockSnapshot:
    """Store a warehouse's reported on-hand figures for the next reconciliation.

    ``lines`` are ``(sku or code, on_hand units)``; a SKU may appear once. Needs
    ``dispatch.add_stocksnapshot`` and the warehouse in scope. ``taken_at`` (default
    now) may run ahead by the clock skew at most and not lie before the warehouse
    was created (``mall.core.times``).
    """
    require_permission(actor, "dispatch.add_stocksnapshot")
    require_warehouse_access(actor, warehouse)
    taken_at = taken_at or timezone.now()
    if is_in_future(taken_at):
        raise InvalidDispatchInput(fields={"taken_at": [_("This time lies in the future.")]})
    if taken_at < warehouse.created_at:
        raise InvalidDispatchInput(
            fields={"taken_at": [_("This time lies before the warehouse was created.")]}
        )
    parsed = parse_lines(lines, allow_zero=True, merge=False)
    document = StockSnapshot.objects.create(
        document_no=document_no("SS"),
        warehouse=warehouse,
        taken_at=taken_at,
        source=checked_text(StockSnapshot, "source", source),
        note=checked_text(StockSnapshot, "note", note),
        created_by=actor,
    )
    StockSnapshotLine.objects.bulk_create(
        [
            StockSnapshotLine(document=document, sku_id=ln.sku_id, reported_on_hand=ln.quantity)
            for ln in parsed
        ]
    )
    audit(
        actor=actor,
        action="dispatch.stock_snapshot_submit",
        target=document,
        data={"warehouse": warehouse.code, "lines": len(parsed), "source": source},
    )
    return document


_LINE_OUTCOMES = (
    StockSnapshotLine.Status.MATCHED,
    StockSnapshotLine.Status.ADJUSTED,
    StockSnapshotLine.Status.NEEDS_REVIEW,
)


def _book_at(stocks: dict[int, Stock], taken_at: datetime) -> dict[int, int]:
    """On hand per stock id as of ``taken_at``: now minus what moved since."""
    later = dict(
        StockMovement.objects.filter(
            stock_id__in=[s.pk for s in stocks.values()], created_at__gt=taken_at
        )
        .values("stock_id")
        .annotate(total=Sum("on_hand_delta"))
        .values_list("stock_id", "total")
    )
    return {s.pk: s.on_hand - (later.get(s.pk) or 0) for s in stocks.values()}


@transaction.atomic
def stock_snapshot_reconcile(*, actor, snapshot_doc: StockSnapshot) -> StockSnapshot:
    """Reconcile one pending snapshot into the ledger (idempotent: done ones are skipped).

    Per line: no difference → ``matched``; a difference up to the threshold parameter
    → a ``sync_adjustment`` movement (``adjusted``); a bigger one, or one that would
    leave fewer units than are reserved → ``needs_review``.
    """
    require_permission(actor, "dispatch.change_stocksnapshot")
    document = StockSnapshot.objects.select_for_update().get(pk=snapshot_doc.pk)
    require_warehouse_access(actor, document.warehouse)
    if document.status != StockSnapshot.Status.PENDING:
        return document
    threshold = int(get_parameter(SYNC_DIFFERENCE_THRESHOLD))
    lines = list(document.lines.all())
    rows = _stock_rows(document.warehouse_id, [ln.sku_id for ln in lines])
    locked = {
        s.sku_id: s
        for s in Stock.objects.select_for_update()
        .filter(pk__in=[r.pk for r in rows.values()])
        .order_by("pk")
    }
    book = _book_at(locked, document.taken_at)
    changes = []
    outcome: dict[str, list[int]] = {status: [] for status in _LINE_OUTCOMES}
    for line in lines:
        stock = locked[line.sku_id]
        line.book_on_hand = book[stock.pk]
        line.difference = line.reported_on_hand - line.book_on_hand
        if line.difference == 0:
            outcome[StockSnapshotLine.Status.MATCHED].append(line.pk)
        elif abs(line.difference) > threshold or stock.on_hand + line.difference < stock.reserved:
            outcome[StockSnapshotLine.Status.NEEDS_REVIEW].append(line.pk)
        else:
            outcome[StockSnapshotLine.Status.ADJUSTED].append(line.pk)
            changes.append(
                StockChange(stock.pk, StockMovement.Kind.SYNC_ADJUSTMENT, on_hand=line.difference)
            )
    StockSnapshotLine.objects.bulk_update(lines, ["book_on_hand", "difference"])
    # The lines move in three conditional UPDATEs (the snapshot row is locked, so
    # they are all pending); the snapshot's transition below audits the outcome.
    for status, ids in outcome.items():
        if ids:
            transition_update(StockSnapshotLine.objects.filter(pk__in=ids), status)
    stock_move(
        actor=actor,
        changes=changes,
        reference_type="stock_snapshot",
        reference_no=document.document_no,
    )
    low_stock_alerts_clear(actor=actor, sku_ids=[ln.sku_id for ln in lines])
    review = len(outcome[StockSnapshotLine.Status.NEEDS_REVIEW])
    transition(
        document,
        StockSnapshot.Status.NEEDS_REVIEW if review else StockSnapshot.Status.RECONCILED,
        actor=actor,
        action="dispatch.stock_snapshot_reconcile",
        data={"adjusted": len(changes), "needs_review": review, "lines": len(lines)},
        reconciled_at=timezone.now(),
    )
    return document


@transaction.atomic
def stock_snapshot_line_review(
    *, actor, line: StockSnapshotLine, accept: bool
) -> StockSnapshotLine:
    """Accept (book the difference now) or reject a snapshot line held for review."""
    require_permission(actor, "dispatch.change_stocksnapshot")
    # FOR UPDATE over the join locks the snapshot row too: two reviewers closing its
    # last lines serialise, so the second sees the first's line done and closes it.
    line = (
        StockSnapshotLine.objects.select_for_update()
        .select_related("document__warehouse")
        .get(pk=line.pk)
    )
    require_warehouse_access(actor, line.document.warehouse)
    if line.status != StockSnapshotLine.Status.NEEDS_REVIEW:
        raise InvalidStateTransition(_("This line is not waiting for review."))
    document = line.document
    if accept:
        stock = _stock_rows(document.warehouse_id, [line.sku_id])[line.sku_id]
        try:
            stock_move(
                actor=actor,
                changes=[
                    StockChange(
                        stock.pk,
                        StockMovement.Kind.SYNC_ADJUSTMENT,
                        on_hand=line.difference,
                        note=_("accepted after review"),
                    )
                ],
                reference_type="stock_snapshot",
                reference_no=document.document_no,
            )
        except InsufficientStock as exc:
            raise InsufficientStock(
                _("Booking this difference would leave fewer units than orders have reserved.")
            ) from exc
    transition(
        line,
        StockSnapshotLine.Status.ACCEPTED if accept else StockSnapshotLine.Status.REJECTED,
        actor=actor,
        action="dispatch.stock_snapshot_line_review",
        data={"snapshot": document.document_no, "difference": line.difference},
    )
    if accept:
        low_stock_alerts_clear(actor=actor, sku_ids=[line.sku_id])
    if not document.lines.filter(status=StockSnapshotLine.Status.NEEDS_REVIEW).exists():
        transition(
            document,
            StockSnapshot.Status.RECONCILED,
            actor=actor,
            action="dispatch.stock_snapshot_reconcile",
            data={"closed_by_review_of_line": line.pk},
        )
    return line


def stock_snapshots_reconcile_pending(*, actor, limit: int = 500) -> dict:
    """Reconcile every pending snapshot, oldest first, each in its own transaction."""
    ids = list(
        StockSnapshot.objects.filter(status=StockSnapshot.Status.PENDING)
        .order_by("taken_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    result = {"reconciled": 0, "needs_review": 0}
    for pk in ids:
        document = stock_snapshot_reconcile(actor=actor, snapshot_doc=StockSnapshot(pk=pk))
        if document.status == StockSnapshot.Status.NEEDS_REVIEW:
            result["needs_review"] += 1
        else:
            result["reconciled"] += 1
    return result


LOW_STOCK_KIND = "low_stock"


def low_stock_alerts_clear(*, actor, sku_ids: Iterable[int]) -> int:
    """Resolve the open low-stock notices of the SKUs among ``sku_ids`` that are no longer low.

    A low-stock notice is about its SKU (``subject=sku``, the alert is per SKU over
    the active warehouses, like :func:`low_stock_skus`). The services that add
    sellable units or lower the alert level (purchase arrival, transfer receipt,
    stocktake, return receipt, reconciliation, safety stock) call this inside their
    transaction, so the owner's inbox stops counting an alert that has cleared.
    Returns how many notices were resolved.
    """
    from catalog.models import Sku
    from ops.services.notifications import notifications_resolve

    ids = sorted({int(pk) for pk in sku_ids})
    if not ids:
        return 0
    still_low = {row["sku_id"] for row in low_stock_skus(ids)}
    resolved = 0
    for sku in Sku.objects.filter(pk__in=[pk for pk in ids if pk not in still_low]):
        resolved += notifications_resolve(actor=actor, subject=sku, kinds=[LOW_STOCK_KIND])
    return resolved


def low_stock_alerts_send(*, actor) -> dict:
    """Notify each low SKU's product owner once a day; optionally take sold-out products off shelf.

    Auto off-shelf (parameter ``dispatch.auto_off_shelf_at_zero``, default off) takes
    an on-shelf product off shelf when none of its SKUs has a sellable unit left.
    """
    from catalog.models import Product, Sku
    from ops.services.notifications import staff_notify

    low = low_stock_skus()
    skus = Sku.objects.select_related("product").in_bulk([row["sku_id"] for row in low])
    today = timezone.localdate().isoformat()
    notified = 0
    for row in low:
        sku = skus[row["sku_id"]]
        owner_id = sku.product.owner_id
        if owner_id is None:
            continue
        notified += staff_notify(
            actor=actor,
            recipients=[owner_id],
            kind=LOW_STOCK_KIND,
            title=_("Low stock: %(sku)s") % {"sku": sku.code},
            body=_("%(sku)s has %(sellable)s sellable units, below the safety stock of %(safety)s.")
            % {"sku": sku.code, "sellable": row["sellable"], "safety": row["safety"]},
            link=f"/admin/dispatch/stock/?q={quote(sku.code)}",  # the stock list searches SKU codes
            dedupe_key=f"low_stock:{sku.pk}:{today}",
            subject=sku,
        )
    off_shelf = []
    if get_parameter(AUTO_OFF_SHELF_AT_ZERO):
        from catalog.services import product_off_shelf

        candidates = Product.objects.filter(
            status=Product.Status.ON_SHELF, skus__stocks__isnull=False
        ).distinct()
        for product in candidates:
            sku_ids = list(product.skus.values_list("pk", flat=True))
            if sum(sellable_units_by_sku(sku_ids).values()) == 0:
                product_off_shelf(
                    actor=actor, product=product, reason=_("Sold out in every warehouse.")
                )
                off_shelf.append(product.pk)
    return {"low_skus": len(low), "notified": notified, "off_shelf": off_shelf}
