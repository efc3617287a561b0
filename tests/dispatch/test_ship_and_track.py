"""Ship-out and tracking: stock leaves through the ledger, the silence clock runs."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from dispatch import services
from dispatch.exceptions import InvalidDispatchInput, InvalidStateTransition
from dispatch.models import Allocation, Shipment, Stock, StockMovement
from dispatch.selectors import stock_ledger_mismatches
from mall.core.actors import system_actor
from ops.models import SlaClock

pytestmark = pytest.mark.django_db

SILENCE = "shipment.logistics_silence"


@pytest.fixture
def shipment(actor, warehouses, make_sku, put_stock):
    sku = make_sku()
    put_stock(warehouses["WH-SH"], sku, 5)
    allocation = services.allocate(
        actor=actor, order_no="DS1", province="上海", lines=[(sku.code, 2)]
    )
    return allocation.shipments.get()


def _clock(shipment):
    return (
        SlaClock.objects.filter(kind=SILENCE, subject_id=str(shipment.pk)).order_by("-id").first()
    )


def test_shipping_takes_the_units_out_and_releases_the_reservation(actor, shipment):
    services.shipment_ship(actor=actor, shipment=shipment, waybill_no="SF100")

    shipment.refresh_from_db()
    stock = Stock.objects.get(pk=shipment.lines.get().stock_id)
    assert shipment.status == Shipment.Status.SHIPPED
    assert shipment.waybill_no == "SF100"
    assert (stock.on_hand, stock.reserved) == (3, 0)
    out = StockMovement.objects.get(kind=StockMovement.Kind.SHIP_OUT)
    assert (out.on_hand_delta, out.reserved_delta, out.reference_no) == (
        -2,
        -2,
        shipment.shipment_no,
    )
    assert shipment.allocation.status == Allocation.Status.SHIPPED
    assert _clock(shipment).closed_at is None
    assert stock_ledger_mismatches(actor=system_actor()) == []


def test_a_shipment_cannot_ship_twice_or_without_a_waybill(actor, shipment):
    with pytest.raises(InvalidDispatchInput):
        services.shipment_ship(actor=actor, shipment=shipment, waybill_no="  ")
    services.shipment_ship(actor=actor, shipment=shipment, waybill_no="SF101")
    with pytest.raises(InvalidStateTransition):
        services.shipment_ship(actor=actor, shipment=shipment, waybill_no="SF102")


def test_release_after_shipping_leaves_shipped_goods_alone(actor, shipment):
    services.shipment_ship(actor=actor, shipment=shipment, waybill_no="SF103")
    allocation = services.allocation_release(actor=actor, order_no="DS1", reason="customer")
    assert allocation.status == Allocation.Status.SHIPPED
    assert stock_ledger_mismatches(actor=system_actor()) == []


def test_a_tracking_event_restarts_the_silence_clock_and_delivery_stops_it(actor, shipment):
    services.shipment_ship(actor=actor, shipment=shipment, waybill_no="SF104")
    first = _clock(shipment)
    services.tracking_event_record(
        actor=actor,
        shipment=shipment,
        occurred_at=timezone.now(),
        description="已揽收",
        location="上海",
    )
    second = _clock(shipment)
    assert second.pk != first.pk and second.closed_at is None
    first.refresh_from_db()
    assert first.closed_at is not None

    services.tracking_event_record(
        actor=actor,
        shipment=shipment,
        occurred_at=timezone.now(),
        description="已签收",
        is_delivered=True,
    )
    shipment.refresh_from_db()
    assert shipment.status == Shipment.Status.DELIVERED
    assert _clock(shipment).status == "met"


def test_a_parcel_silent_for_the_silence_period_is_flagged_once(actor, shipment):
    services.shipment_ship(actor=actor, shipment=shipment, waybill_no="SF105")
    Shipment.objects.filter(pk=shipment.pk).update(
        last_event_at=timezone.now() - timedelta(hours=49)
    )
    assert services.shipments_flag_stale(actor=actor) == 1
    assert services.shipments_flag_stale(actor=actor) == 0
    shipment.refresh_from_db()
    assert shipment.is_stale is True

    services.tracking_event_record(
        actor=actor, shipment=shipment, occurred_at=timezone.now(), description="运输中"
    )
    shipment.refresh_from_db()
    assert shipment.is_stale is False


def test_a_recent_parcel_is_not_flagged(actor, shipment):
    services.shipment_ship(actor=actor, shipment=shipment, waybill_no="SF106")
    Shipment.objects.filter(pk=shipment.pk).update(
        last_event_at=timezone.now() - timedelta(hours=47)
    )
    assert services.shipments_flag_stale(actor=actor) == 0


def test_tracking_events_need_a_shipped_parcel(actor, shipment):
    with pytest.raises(InvalidStateTransition):
        services.tracking_event_record(
            actor=actor, shipment=shipment, occurred_at=timezone.now(), description="x"
        )


def test_a_tracking_event_dated_before_the_shipment_existed_is_refused(actor, shipment):
    services.shipment_ship(actor=actor, shipment=shipment, waybill_no="SF400")
    with pytest.raises(InvalidDispatchInput) as refused:
        services.tracking_event_record(
            actor=actor,
            shipment=shipment,
            occurred_at=shipment.created_at - timedelta(days=30),
            description="已签收",
            is_delivered=True,
        )
    assert "occurred_at" in refused.value.fields
    shipment.refresh_from_db()
    assert shipment.status == Shipment.Status.SHIPPED and shipment.delivered_at is None
    assert not shipment.events.exists()
