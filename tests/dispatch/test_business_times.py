"""Business times sent by clients: a stock snapshot's and a tracking event's time must be
plausible — not in the future beyond clock skew, not before the warehouse or shipment existed."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from dispatch import services
from mall.core.times import CLOCK_SKEW

pytestmark = pytest.mark.django_db

BASE = "/api/v1/dispatch"


@pytest.fixture
def stocked(warehouses, make_sku, put_stock):
    sku = make_sku()
    put_stock(warehouses["WH-SH"], sku, 5)
    return sku


def _snapshot(client, warehouse, sku, taken_at):
    body = {
        "warehouse": warehouse.pk,
        "taken_at": taken_at.isoformat(),
        "lines": [{"sku": sku.code, "quantity": 5}],
    }
    return client.post(f"{BASE}/stock-snapshots/", body, format="json")


def test_a_snapshot_taken_before_its_warehouse_existed_is_refused_naming_taken_at(
    superuser, staff_client, warehouses, stocked
):
    warehouse = warehouses["WH-SH"]
    response = _snapshot(
        staff_client(superuser), warehouse, stocked, warehouse.created_at - timedelta(days=1)
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"
    assert "taken_at" in response.json()["error"]["fields"]


def test_a_snapshot_from_the_distant_past_is_a_400_not_a_500(
    superuser, staff_client, warehouses, stocked
):
    ancient = timezone.now().replace(year=1)
    response = _snapshot(staff_client(superuser), warehouses["WH-SH"], stocked, ancient)
    assert response.status_code == 400
    assert "taken_at" in response.json()["error"]["fields"]


def test_a_snapshot_in_the_future_beyond_clock_skew_is_refused_and_within_it_accepted(
    superuser, staff_client, warehouses, stocked
):
    client = staff_client(superuser)
    later = timezone.now() + CLOCK_SKEW + timedelta(minutes=1)
    response = _snapshot(client, warehouses["WH-SH"], stocked, later)
    assert response.status_code == 400
    assert "taken_at" in response.json()["error"]["fields"]

    slightly_ahead = timezone.now() + CLOCK_SKEW - timedelta(minutes=1)
    response = _snapshot(client, warehouses["WH-SH"], stocked, slightly_ahead)
    assert response.status_code == 201, response.json()


def test_a_tracking_event_outside_its_shipments_lifetime_is_refused_naming_occurred_at(
    actor, superuser, staff_client, stocked
):
    allocation = services.allocate(
        actor=actor, order_no="TIME1", province="上海", lines=[(stocked.code, 1)]
    )
    shipment = allocation.shipments.get()
    client = staff_client(superuser)
    client.post(f"{BASE}/shipments/{shipment.pk}/ship/", {"waybill_no": "SF9"}, format="json")
    url = f"{BASE}/shipments/{shipment.pk}/events/"
    for when in (
        shipment.created_at - timedelta(hours=1),
        timezone.now() + CLOCK_SKEW + timedelta(minutes=1),
    ):
        body = {"occurred_at": when.isoformat(), "description": "已揽收"}
        response = client.post(url, body, format="json")
        assert response.status_code == 400, when
        assert "occurred_at" in response.json()["error"]["fields"]
    body = {"occurred_at": timezone.now().isoformat(), "description": "已揽收"}
    assert client.post(url, body, format="json").status_code == 201
