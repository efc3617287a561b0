"""Dispatch status changes go through the kernel's tables and ``transition()``.

The scan that no code assigns a status elsewhere, and that every table names
every status, is ``tests/core/test_transition_scan.py`` (for every app).
"""

from __future__ import annotations

import pytest

from dispatch import services
from dispatch.models import Allocation, PurchaseInbound, Shipment, StockSnapshot, Transfer
from mall.core.transitions import InvalidTransition, state_machine, transition
from ops.models import AuditEntry

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "model", [Allocation, Shipment, PurchaseInbound, Transfer, StockSnapshot], ids=str
)
def test_every_dispatch_document_with_a_status_has_a_registered_table(model):
    machine = state_machine(model)
    assert set(machine.moves) == {value for value, _label in model.Status.choices}
    assert machine.initial == {model._meta.get_field("status").default}


def test_a_delivered_shipment_cannot_go_back_and_nothing_is_saved(
    actor, warehouses, make_sku, put_stock
):
    sku = make_sku()
    put_stock(warehouses["WH-SH"], sku, 2)
    allocation = services.allocate(
        actor=actor, order_no="TR1", province="上海", lines=[(sku.code, 1)]
    )
    shipment = allocation.shipments.get()
    services.shipment_ship(actor=actor, shipment=shipment, waybill_no="SF1")
    shipment.refresh_from_db()
    services.tracking_event_record(
        actor=actor,
        shipment=shipment,
        occurred_at=shipment.shipped_at,
        description="已签收",
        is_delivered=True,
    )
    shipment.refresh_from_db()
    assert shipment.status == Shipment.Status.DELIVERED
    allocation.refresh_from_db()
    assert allocation.status == Allocation.Status.SHIPPED

    for target in (Shipment.Status.PENDING, Shipment.Status.CANCELLED, Shipment.Status.SHIPPED):
        with pytest.raises(InvalidTransition):
            transition(shipment, target, actor=actor, action="test.move")
    assert Shipment.objects.get(pk=shipment.pk).status == Shipment.Status.DELIVERED
    with pytest.raises(InvalidTransition):
        transition(allocation, Allocation.Status.RELEASED, actor=actor, action="test.move")


def test_shipping_out_writes_one_audit_entry_with_the_status_change_and_the_order(
    actor, warehouses, make_sku, put_stock
):
    sku = make_sku()
    put_stock(warehouses["WH-SH"], sku, 2)
    allocation = services.allocate(
        actor=actor, order_no="TR2", province="上海", lines=[(sku.code, 1)]
    )
    shipment = allocation.shipments.get()
    services.shipment_ship(actor=actor, shipment=shipment, waybill_no="SF2")

    entries = list(
        AuditEntry.objects.filter(action="dispatch.shipment_ship", object_id=str(shipment.pk))
    )
    assert len(entries) == 1
    assert entries[0].before["status"] == Shipment.Status.PENDING
    assert entries[0].after["status"] == Shipment.Status.SHIPPED
    assert entries[0].after["waybill_no"] == "SF2"
    assert entries[0].data["order_no"] == "TR2"


def test_receiving_a_transfer_is_audited_once_by_its_transition(
    actor, warehouses, make_sku, put_stock
):
    sku = make_sku()
    put_stock(warehouses["WH-SH"], sku, 5)
    transfer = services.transfer_create(
        actor=actor,
        from_warehouse=warehouses["WH-SH"],
        to_warehouse=warehouses["WH-BJ"],
        lines=[(sku.code, 2)],
    )
    services.transfer_receive(actor=actor, document=transfer)

    entries = AuditEntry.objects.filter(
        action="dispatch.transfer_receive", object_id=str(transfer.pk)
    )
    assert entries.count() == 1
    assert entries.get().after["status"] == Transfer.Status.RECEIVED
