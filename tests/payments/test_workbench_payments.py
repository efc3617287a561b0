"""The finance tiles on the workbench: their numbers (scoped), visibility and links."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from ops.workbench import workbench
from payments.models import ChannelHealth
from rbac.models import SalesRegion
from tests.payments.scope_cases import (
    make_anomaly,
    make_callback,
    make_refund,
    make_staff_with_role,
    make_txn,
)

pytestmark = pytest.mark.django_db
KEYS = {
    "payments.paid_today",
    "payments.refunds_to_execute",
    "payments.callbacks_rejected",
    "payments.anomalies_open",
    "payments.channels_degraded",
}


@pytest.fixture
def money():
    east = SalesRegion.objects.get(code="east")
    north = SalesRegion.objects.get(code="north")
    yesterday = timezone.now() - timedelta(days=1, hours=1)
    a = make_txn(region=east, amount="100.00")
    b = make_txn(region=east, amount="23.45")
    make_txn(region=east, amount="50.00", paid_at=yesterday)  # not today
    make_txn(region=east, status="unpaid", amount="70.00")  # not paid
    c = make_txn(region=north, amount="1000.00")
    make_refund(a, amount="10.00", status="pending")
    make_refund(a, amount="5.00", status="failed")
    make_refund(b, amount="3.00", status="succeeded")  # done: not waiting
    make_refund(c, amount="9.00", status="processing")
    make_callback(a, outcome="rejected", verified=False)
    make_callback(b, outcome="applied")
    make_callback(c, outcome="rejected", verified=False)
    old = make_callback(c, outcome="rejected", verified=False)
    type(old).objects.filter(pk=old.pk).update(received_at=yesterday)  # not today
    make_anomaly(a)
    make_anomaly(c, kind="paid_after_cancel")
    resolved = make_anomaly(b, kind="duplicate_payment")
    type(resolved).objects.filter(pk=resolved.pk).update(status="resolved")
    ChannelHealth.objects.create(channel="wechat", state="degraded", calls=10)
    ChannelHealth.objects.create(channel="alipay", state="healthy", calls=10)


def _tiles(actor) -> dict:
    return {tile["key"]: tile for tile in workbench(actor=actor)["tiles"] if tile["key"] in KEYS}


def test_the_tiles_count_the_readers_scope(money):
    east = make_staff_with_role("wb_east", regions=("east",))
    tiles = _tiles(east)
    assert set(tiles) == KEYS
    assert not any(tile["error"] for tile in tiles.values())
    assert tiles["payments.paid_today"]["count"] == "¥123.45"
    assert tiles["payments.refunds_to_execute"]["count"] == 2
    assert tiles["payments.callbacks_rejected"]["count"] == 1
    assert tiles["payments.anomalies_open"]["count"] == 1
    # channel health is mall-wide, and red when any channel is degraded
    assert tiles["payments.channels_degraded"]["count"] == 1
    assert tiles["payments.channels_degraded"]["tone"] == "danger"
    assert tiles["payments.refunds_to_execute"]["tone"] == "danger"  # one failed


def test_scope_all_sees_every_region(money):
    everyone = make_staff_with_role("wb_all")
    tiles = _tiles(everyone)
    assert tiles["payments.paid_today"]["count"].replace(",", "") == "¥1123.45"
    assert tiles["payments.refunds_to_execute"]["count"] == 3
    assert tiles["payments.callbacks_rejected"]["count"] == 2
    assert tiles["payments.anomalies_open"]["count"] == 2


def test_all_quiet_is_green(db):
    ChannelHealth.objects.create(channel="wechat", state="healthy", calls=10)
    tiles = _tiles(make_staff_with_role("wb_quiet"))
    assert tiles["payments.paid_today"]["count"] == "¥0.00"
    assert tiles["payments.channels_degraded"]["count"] == 0
    assert tiles["payments.channels_degraded"]["tone"] == "success"
    assert tiles["payments.anomalies_open"]["tone"] == "success"


def test_each_tile_shows_only_with_its_view_permission(money, make_staff):
    assert _tiles(make_staff("wb_nobody")) == {}
    only_refunds = make_staff_with_role("wb_refunds", perms=("payments.view_refund",))
    assert set(_tiles(only_refunds)) == {"payments.refunds_to_execute"}
    tech = make_staff_with_role("wb_tech", perms=("payments.view_channelhealth",))
    assert set(_tiles(tech)) == {"payments.channels_degraded"}


def test_the_tile_links_open_their_lists(money):
    finance = make_staff_with_role("wb_links")
    client = Client()
    client.force_login(finance)
    for key, tile in _tiles(finance).items():
        assert tile["link"], key
        response = client.get(tile["link"])
        assert response.status_code == 200, (key, tile["link"])
