"""Status changes go through one table and one helper."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from dispatch import services
from dispatch.exceptions import InvalidStateTransition
from dispatch.models import Allocation, Shipment
from dispatch.services.transitions import ALLOWED_TRANSITIONS, transition

pytestmark = pytest.mark.django_db


def test_every_status_of_every_stateful_model_has_a_row_in_the_table():
    for model, table in ALLOWED_TRANSITIONS.items():
        statuses = {value for value, _label in model.Status.choices}
        assert set(table) == statuses, model
        for targets in table.values():
            assert targets <= statuses, model


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
        with pytest.raises(InvalidStateTransition):
            transition(shipment, target)
    assert Shipment.objects.get(pk=shipment.pk).status == Shipment.Status.DELIVERED
    with pytest.raises(InvalidStateTransition):
        transition(allocation, Allocation.Status.RELEASED)


def test_no_dispatch_code_assigns_a_status_outside_the_transition_helper():
    root = Path(__file__).resolve().parents[2] / "dispatch"
    assignment = re.compile(r"\.status\s*=[^=]|\bupdate\([^)]*\bstatus\s*=")
    offenders = [
        f"{path.relative_to(root)}:{number}"
        for path in root.rglob("*.py")
        if "migrations" not in path.parts and path.name != "transitions.py"
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if assignment.search(line)
    ]
    assert offenders == []
