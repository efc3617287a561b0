"""Low-stock notices stay true: they name their SKU and are resolved when the alert clears."""

from __future__ import annotations

import pytest

from dispatch import services
from dispatch.models import Stock
from mall.core.subjects import subject_key
from ops.models import StaffNotification
from ops.selectors import notification_unread_count

pytestmark = pytest.mark.django_db


@pytest.fixture
def low(actor, warehouses, make_sku, put_stock):
    """A SKU with 3 units at WH-SH under a safety stock of 5, its owner notified."""
    sku = make_sku()
    put_stock(warehouses["WH-SH"], sku, 3)
    stock = Stock.objects.get(warehouse=warehouses["WH-SH"], sku=sku)
    services.stock_safety_set(actor=actor, stock=stock, safety_stock=5)
    assert services.low_stock_alerts_send(actor=actor)["notified"] == 1
    return sku


def _open(sku):
    return StaffNotification.objects.filter(
        subject_key=subject_key(sku), kind="low_stock", resolved_at__isnull=True
    )


def test_the_notice_is_about_its_sku(low, product_owner):
    note = StaffNotification.objects.get(recipient=product_owner)
    assert note.subject_key == subject_key(low)
    assert notification_unread_count(actor=product_owner) == 1


def test_an_arrival_that_lifts_the_stock_above_safety_resolves_the_notice(
    actor, low, warehouses, product_owner
):
    document = services.purchase_inbound_create(
        actor=actor, warehouse=warehouses["WH-SH"], lines=[(low.code, 1)]
    )
    services.purchase_inbound_arrive(actor=actor, document=document)
    assert _open(low).count() == 1, "4 sellable is still below 5: the alert stays"

    document = services.purchase_inbound_create(
        actor=actor, warehouse=warehouses["WH-SH"], lines=[(low.code, 10)]
    )
    services.purchase_inbound_arrive(actor=actor, document=document)
    assert not _open(low).exists()
    assert notification_unread_count(actor=product_owner) == 0


def test_a_received_transfer_resolves_the_notice(actor, warehouses, make_sku, put_stock):
    sku = make_sku()
    put_stock(warehouses["WH-SH"], sku, 3)
    put_stock(warehouses["WH-GZ"], sku, 6)
    stock = Stock.objects.get(warehouse=warehouses["WH-SH"], sku=sku)
    services.stock_safety_set(actor=actor, stock=stock, safety_stock=5)
    transfer = services.transfer_create(
        actor=actor,
        from_warehouse=warehouses["WH-GZ"],
        to_warehouse=warehouses["WH-SH"],
        lines=[(sku.code, 6)],
    )
    # On the road the 6 units sell nowhere: 3 sellable < 5, the owner is told.
    assert services.low_stock_alerts_send(actor=actor)["notified"] == 1
    assert _open(sku).count() == 1

    services.transfer_receive(actor=actor, document=transfer)
    assert not _open(sku).exists()


def test_a_reconciled_snapshot_that_finds_more_units_resolves_the_notice(actor, low, warehouses):
    snapshot = services.stock_snapshot_submit(
        actor=actor, warehouse=warehouses["WH-SH"], lines=[(low.code, 8)]
    )
    services.stock_snapshot_reconcile(actor=actor, snapshot_doc=snapshot)
    assert Stock.objects.get(warehouse=warehouses["WH-SH"], sku=low).on_hand == 8
    assert not _open(low).exists()


def test_lowering_the_safety_stock_resolves_the_notice(actor, low, warehouses):
    stock = Stock.objects.get(warehouse=warehouses["WH-SH"], sku=low)
    services.stock_safety_set(actor=actor, stock=stock, safety_stock=2)
    assert not _open(low).exists()


def test_a_change_that_leaves_the_sku_low_keeps_the_notice(actor, low, warehouses):
    services.stocktake_record(actor=actor, warehouse=warehouses["WH-SH"], counts=[(low.code, 2)])
    assert _open(low).count() == 1
