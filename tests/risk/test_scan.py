# ruff: noqa: F401, F403, F811 - fixtures imported from the orders tests are parameters here
"""The daily brushing scan (刷单): it finds a planted ring and flags its orders, leaves a
family sharing an address alone, is idempotent, gives the orders back when a person
dismisses the ring, and runs as a recorded job.

The orders are placed through the real placement service and paid through the sandbox
channel's signed notification (``payment_notify``) — the path the storefront takes — so
they carry the device, IP and address hash placement records.
"""

from __future__ import annotations

import itertools
import json
import secrets
from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from mall.core.actors import system_actor
from ops.models import AuditEntry
from orders.models import Order
from orders.services.cancellation import order_cancel
from orders.services.placement import order_place
from risk.models import Point, RiskCase
from risk.services.decisions import case_confirm, case_dismiss
from risk.services.scan import brushing_scan
from tests.orders.checkout_support import SHANGHAI, buyer, on_shelf_sku
from tests.orders.conftest import *

_streets = itertools.count(1)


def _pay(order: Order) -> Order:
    """Pay ``order`` through the sandbox channel's real path (a signed notification)."""
    from payments.gateways.sandbox import SIGNATURE_HEADER, sandbox_sign
    from payments.services.transactions import payment_notify, payment_start

    answer = payment_start(actor=order.member, order=order, channel="sandbox", scene="app")
    body = json.dumps(
        {
            "transaction_no": answer["transaction_no"],
            "channel_trade_no": f"SBX{secrets.token_hex(8).upper()}",
            "amount": f"{order.total_amount:.2f}",
            "status": "SUCCESS",
            "paid_at": timezone.now().isoformat(),
            "nonce": secrets.token_hex(8),
        }
    ).encode()
    secret = settings.PAYMENT_GATEWAYS["sandbox"]["secret"]
    payment_notify(
        actor=system_actor(),
        channel="sandbox",
        headers={SIGNATURE_HEADER: sandbox_sign(secret, body)},
        body=body,
    )
    order.refresh_from_db()
    assert order.paid_at is not None
    return order


@pytest.fixture
def place_paid(on_shelf_sku, own_store):
    sku = on_shelf_sku(500, price="59.00")

    def place(member, *, device_id="", client_ip=None, detail=None, pay=True) -> Order:
        address = {**SHANGHAI, "detail": detail or f"幸福路 {next(_streets)} 号"}
        order = order_place(
            actor=member,
            address=address,
            lines=[{"sku": sku.code, "quantity": 1}],
            device_id=device_id,
            client_ip=client_ip,
        )
        return _pay(order) if pay else order

    return place


@pytest.fixture
def ring(buyer, place_paid):
    """Six accounts on one phone (device ``dev-ring-0001``), ten paid orders in the own
    store, each account at its own address and IP."""
    members = [buyer() for _ in range(6)]
    orders = [
        place_paid(
            members[i % 6],
            device_id="dev-ring-0001",
            client_ip=f"10.1.{i}.9",
        )
        for i in range(10)
    ]
    return members, orders


@pytest.fixture
def family(buyer, place_paid):
    """Three members of one family at one address, four orders in the week (each from
    their own phone): normal volume."""
    members = [buyer() for _ in range(3)]
    orders = [
        place_paid(
            members[i % 3],
            device_id=f"dev-family-{i % 3}",
            client_ip="192.168.1.10",
            detail="和平路 8 号 3 单元 501",
        )
        for i in range(4)
    ]
    return members, orders


def _brushed(orders) -> list[bool]:
    return list(
        Order.objects.filter(pk__in=[o.pk for o in orders])
        .order_by("pk")
        .values_list("is_brushed", flat=True)
    )


def test_the_scan_finds_the_planted_ring_opens_its_case_and_flags_its_orders(ring, family):
    members, orders = ring
    actor = system_actor()

    result = brushing_scan(actor=actor)

    assert result == {"rings": 1, "opened": 1, "seen": 0, "skipped_dismissed": 0, "flagged": 10}
    case = RiskCase.objects.get()
    channel = orders[0].channel
    assert (case.kind, case.point, case.rule, case.status) == (
        RiskCase.Kind.BRUSHING_RING,
        Point.SCAN,
        "brushing_ring",
        RiskCase.Status.OPEN,
    )
    assert case.fingerprint == f"brushing_ring:{channel.pk}:device:dev-ring-0001"
    assert case.region.code == "east"  # the ring's orders go to Shanghai
    ev = case.evidence
    assert sorted(ev["members"]) == sorted(m.pk for m in members)
    assert sorted(ev["orders"]) == sorted(o.order_no for o in orders)
    assert (ev["member_count"], ev["order_count"], ev["key_kind"]) == (6, 10, "device")
    assert ev["amount"] == f"{sum(o.total_amount for o in orders):.2f}"
    assert ev["channel"] == channel.code and ev["devices"] == ["dev-ring-0001"]
    assert ev["key"] == "dev-ri…"  # masked in the queue; the full value in ``devices``
    # none has shipped: every one is an abnormal order ops may close
    assert sorted(ev["open_orders"]) == sorted(o.order_no for o in orders)
    assert _brushed(orders) == [True] * 10
    # the family at one address is no ring
    assert _brushed(family[1]) == [False] * 4
    assert AuditEntry.objects.filter(action="risk.orders_brushed").count() == 1
    assert AuditEntry.objects.filter(action="risk.case_open").count() == 1


def test_a_family_sharing_an_address_with_normal_volume_is_ignored(family):
    result = brushing_scan(actor=system_actor())

    assert result["rings"] == 0
    assert not RiskCase.objects.exists()
    assert _brushed(family[1]) == [False] * 4


def test_an_address_ring_is_found_with_its_address_hash_in_the_evidence(buyer, place_paid):
    members = [buyer() for _ in range(4)]
    orders = [
        place_paid(members[i % 4], device_id=f"dev-{i}", detail="工业园 1 号仓库") for i in range(8)
    ]

    brushing_scan(actor=system_actor())

    case = RiskCase.objects.get()
    assert case.evidence["key_kind"] == "address"
    assert case.evidence["addresses"] == [orders[0].address_hash]
    assert orders[0].address_hash and "工业园" not in json.dumps(case.evidence)


def test_an_ip_ring_is_found_and_its_ip_masked_in_the_queue(buyer, place_paid):
    members = [buyer() for _ in range(4)]
    for i in range(8):
        place_paid(members[i % 4], device_id=f"dev-ip-{i}", client_ip="10.8.0.77")

    result = brushing_scan(actor=system_actor())

    assert result["rings"] == 1
    case = RiskCase.objects.get()
    assert (case.evidence["key_kind"], case.evidence["key"]) == ("ip", "10.8.0.*")
    assert case.evidence["ips"] == ["10.8.0.77"]
    assert case.fingerprint.endswith(":ip:10.8.0.77")


def test_unpaid_cancelled_and_old_orders_do_not_count(buyer, place_paid):
    members = [buyer() for _ in range(6)]
    paid = [place_paid(members[i % 6], device_id="dev-ring-0002") for i in range(7)]
    unpaid = place_paid(members[0], device_id="dev-ring-0002", pay=False)
    cancelled = place_paid(members[1], device_id="dev-ring-0002")
    order_cancel(actor=members[1], order=cancelled, reason="拍错了")

    assert brushing_scan(actor=system_actor())["rings"] == 0  # 7 paid orders, 8 needed

    place_paid(members[2], device_id="dev-ring-0002")
    # eight days on, the window (7 days) holds none of them
    later = timezone.now() + timedelta(days=8)
    assert brushing_scan(actor=system_actor(), now=later)["rings"] == 0
    result = brushing_scan(actor=system_actor())
    assert result["rings"] == 1
    case = RiskCase.objects.get()
    assert unpaid.order_no not in case.evidence["orders"]
    assert cancelled.order_no not in case.evidence["orders"]
    assert len(case.evidence["orders"]) == 8 and len(paid) == 7


def test_running_the_scan_again_the_same_day_adds_a_sighting_and_nothing_else(ring):
    _members, orders = ring
    actor = system_actor()
    brushing_scan(actor=actor)

    again = brushing_scan(actor=actor)

    assert again == {"rings": 1, "opened": 0, "seen": 1, "skipped_dismissed": 0, "flagged": 0}
    case = RiskCase.objects.get()
    assert case.seen_count == 2 and len(case.evidence["sightings"]) == 1
    assert case.evidence["sightings"][0]["order_count"] == 10
    assert "orders" not in case.evidence["sightings"][0]  # figures only
    assert len(case.evidence["orders"]) == 10
    assert _brushed(orders) == [True] * 10
    assert AuditEntry.objects.filter(action="risk.orders_brushed").count() == 1
    assert AuditEntry.objects.filter(action="risk.case_open").count() == 1


def test_dismissing_the_ring_gives_its_orders_back_and_the_scan_does_not_raise_it_again(
    ring, superuser, buyer, place_paid
):
    members, orders = ring
    brushing_scan(actor=system_actor())
    case = RiskCase.objects.get()

    case_dismiss(actor=superuser, case=case, reason="同一家公司的团购，已电话核实")

    assert _brushed(orders) == [False] * 10
    assert AuditEntry.objects.filter(action="risk.orders_unbrushed").count() == 1
    result = brushing_scan(actor=system_actor())
    assert result["skipped_dismissed"] == 1 and result["rings"] == 0
    assert RiskCase.objects.count() == 1 and _brushed(orders) == [False] * 10

    # a new order on the device after the dismissal: the ring is raised again
    place_paid(members[0], device_id="dev-ring-0001")
    result = brushing_scan(actor=system_actor())
    assert result["opened"] == 1
    assert RiskCase.objects.filter(status=RiskCase.Status.OPEN).get().evidence["order_count"] == 11


def test_confirming_the_ring_keeps_its_orders_flagged(ring, superuser):
    _members, orders = ring
    brushing_scan(actor=system_actor())

    case_confirm(actor=superuser, case=RiskCase.objects.get(), reason="设备集中刷单，已核实")

    assert _brushed(orders) == [True] * 10


def test_the_task_runs_the_scan_through_job_run_and_is_scheduled_at_four(ring):
    from mall.core.models import JobRun
    from risk.tasks import SCHEDULE, risk_brushing_scan_task

    result = risk_brushing_scan_task.delay().get()

    assert result["opened"] == 1 and result["flagged"] == 10
    run = JobRun.objects.get(name="risk.brushing_scan")
    assert run.status == JobRun.Status.SUCCEEDED and run.result["rings"] == 1
    entry = SCHEDULE["risk: daily brushing scan"]
    assert (entry["cron"], entry["queue"]) == ("0 4 * * *", "heavy")
    assert entry["task"] == "risk.tasks.risk_brushing_scan_task"
