"""Inventory sync, sellable stock, low-stock alerts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from catalog.availability import sellable_stock
from dispatch import services
from dispatch.models import Stock, StockMovement, StockSnapshot, StockSnapshotLine, Warehouse
from dispatch.selectors import stock_ledger_mismatches
from mall.core.actors import system_actor
from ops.models import StaffNotification

pytestmark = pytest.mark.django_db


def _set_parameter(key, value):
    """Store an approved parameter value the way ops applies a change (cache + row)."""
    from ops.models import SystemParameter

    SystemParameter.objects.update_or_create(key=key, defaults={"value": value})
    cache.clear()


def test_a_reconciliation_is_audited_once_on_the_snapshot_and_a_review_once_per_line(
    actor, warehouses, make_sku, put_stock
):
    from ops.models import AuditEntry

    skus = [make_sku() for _ in range(4)]
    for sku in skus:
        put_stock(warehouses["WH-SH"], sku, 50)
    document = services.stock_snapshot_submit(
        actor=actor,
        warehouse=warehouses["WH-SH"],
        lines=[(skus[0].code, 48), (skus[1].code, 10), (skus[2].code, 50), (skus[3].code, 51)],
    )

    services.stock_snapshot_reconcile(actor=actor, snapshot_doc=document)

    entries = AuditEntry.objects.filter(action="dispatch.stock_snapshot_reconcile")
    assert entries.count() == 1
    entry = entries.get()
    assert entry.object_id == str(document.pk)
    assert entry.after["status"] == StockSnapshot.Status.NEEDS_REVIEW
    assert entry.data == {"adjusted": 2, "needs_review": 1, "lines": 4}
    assert not AuditEntry.objects.filter(object_type="dispatch.stocksnapshotline").exists()

    line = document.lines.get(status=StockSnapshotLine.Status.NEEDS_REVIEW)
    services.stock_snapshot_line_review(actor=actor, line=line, accept=False)
    review = AuditEntry.objects.get(action="dispatch.stock_snapshot_line_review")
    assert review.object_id == str(line.pk)
    assert (review.before["status"], review.after["status"]) == ("needs_review", "rejected")
    assert review.data == {"snapshot": document.document_no, "difference": -40}
    assert entries.count() == 2  # the snapshot closed by the last review


def test_small_differences_are_adjusted_and_big_ones_held_for_review(
    actor, warehouses, make_sku, put_stock
):
    small, big, same = make_sku(), make_sku(), make_sku()
    for sku in (small, big, same):
        put_stock(warehouses["WH-SH"], sku, 50)

    document = services.stock_snapshot_submit(
        actor=actor,
        warehouse=warehouses["WH-SH"],
        lines=[(small.code, 47), (big.code, 20), (same.code, 50)],
    )
    result = services.stock_snapshots_reconcile_pending(actor=actor)

    assert result == {"reconciled": 0, "needs_review": 1}
    statuses = {ln.sku.code: ln.status for ln in document.lines.all()}
    assert statuses == {small.code: "adjusted", big.code: "needs_review", same.code: "matched"}
    assert Stock.objects.get(warehouse=warehouses["WH-SH"], sku=small).on_hand == 47
    assert Stock.objects.get(warehouse=warehouses["WH-SH"], sku=big).on_hand == 50

    line = document.lines.get(sku=big)
    services.stock_snapshot_line_review(actor=actor, line=line, accept=True)
    assert Stock.objects.get(warehouse=warehouses["WH-SH"], sku=big).on_hand == 20
    document.refresh_from_db()
    assert document.status == StockSnapshot.Status.RECONCILED
    assert stock_ledger_mismatches(actor=system_actor()) == []
    # Running the job again changes nothing.
    assert services.stock_snapshots_reconcile_pending(actor=actor) == {
        "reconciled": 0,
        "needs_review": 0,
    }


def test_movements_after_the_snapshot_time_are_not_mistaken_for_differences(
    actor, warehouses, make_sku, put_stock
):
    sku = make_sku()
    put_stock(warehouses["WH-SH"], sku, 10)
    taken_at = timezone.now() - timedelta(minutes=5)
    StockMovement.objects.update(created_at=taken_at - timedelta(minutes=1))
    Warehouse.objects.update(created_at=taken_at - timedelta(days=1))  # it existed by then
    warehouses["WH-SH"].refresh_from_db()
    # After the count was taken, 3 units shipped.
    allocation = services.allocate(
        actor=actor, order_no="SY1", province="上海", lines=[(sku.code, 3)]
    )
    services.shipment_ship(actor=actor, shipment=allocation.shipments.get(), waybill_no="W1")

    document = services.stock_snapshot_submit(
        actor=actor, warehouse=warehouses["WH-SH"], lines=[(sku.code, 10)], taken_at=taken_at
    )
    services.stock_snapshot_reconcile(actor=actor, snapshot_doc=document)

    assert document.lines.get().status == StockSnapshotLine.Status.MATCHED
    assert Stock.objects.get(warehouse=warehouses["WH-SH"], sku=sku).on_hand == 7


def test_sellable_stock_reaches_the_catalog_in_one_query(
    actor, warehouses, make_sku, put_stock, django_assert_max_num_queries
):
    skus = [make_sku() for _ in range(3)]
    put_stock(warehouses["WH-SH"], skus[0], 4)
    put_stock(warehouses["WH-BJ"], skus[0], 6)
    put_stock(warehouses["WH-GZ"], skus[1], 2)
    services.allocate(actor=actor, order_no="SY2", province="上海", lines=[(skus[0].code, 3)])

    cache.get("warm-up")
    with django_assert_max_num_queries(3):
        units = sellable_stock([s.pk for s in skus])

    assert units == {skus[0].pk: 7, skus[1].pk: 2, skus[2].pk: 0}


def test_an_inactive_warehouse_sells_nothing(actor, warehouses, make_sku, put_stock):
    sku = make_sku()
    put_stock(warehouses["WH-SH"], sku, 4)
    services.warehouse_save(actor=actor, warehouse=warehouses["WH-SH"], is_active=False)
    assert sellable_stock([sku.pk]) == {sku.pk: 0}


def test_low_stock_notifies_the_product_owner_once_a_day(
    actor, warehouses, make_sku, put_stock, product_owner
):
    sku = make_sku()
    put_stock(warehouses["WH-SH"], sku, 3)
    stock = Stock.objects.get(warehouse=warehouses["WH-SH"], sku=sku)
    services.stock_safety_set(actor=actor, stock=stock, safety_stock=5)

    first = services.low_stock_alerts_send(actor=actor)
    second = services.low_stock_alerts_send(actor=actor)

    assert first["notified"] == 1 and second["notified"] == 0
    note = StaffNotification.objects.get(recipient=product_owner)
    assert note.kind == "low_stock" and sku.code in note.title


def test_held_back_safety_stock_is_not_sold(actor, warehouses, make_sku, put_stock):
    from dispatch.exceptions import OutOfStock

    sku = make_sku()
    put_stock(warehouses["WH-SH"], sku, 5)
    stock = Stock.objects.get(warehouse=warehouses["WH-SH"], sku=sku)
    services.stock_safety_set(actor=actor, stock=stock, safety_stock=2)
    _set_parameter("dispatch.safety_stock_held_back", True)

    assert sellable_stock([sku.pk]) == {sku.pk: 3}
    with pytest.raises(OutOfStock):
        services.allocate(actor=actor, order_no="SY3", province="上海", lines=[(sku.code, 4)])
    services.allocate(actor=actor, order_no="SY4", province="上海", lines=[(sku.code, 3)])
