# ruff: noqa: F811, F403 - fixtures imported from the orders tests are parameters here
"""``blacklist`` at every point that names someone, and ``marked_account`` at placement
and review: each firing, passing honest behaviour, and switched off."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from dispatch.models import Stock
from mall.core.guard import RiskBlocked
from orders.models import AfterSale, Order
from orders.services.review import order_approve
from risk.models import BlacklistEntry, RiskCase, RiskEvent
from risk.services.lists import blacklist_add, blacklist_revoke, mark_add
from tests.orders.checkout_support import (  # noqa: F401 - fixtures
    SHANGHAI,
    buyer,
    give_coupon,
    on_shelf_sku,
)
from tests.orders.conftest import *
from tests.orders.fulfilment_support import make_ops, reviewer  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db
URL = "/api/v1/store/orders/"
B = BlacklistEntry.Kind
SHANGHAI_ADDRESS = "上海|上海市|浦东新区|幸福路1号"  # spacing differs: normalised alike


def set_parameter(key: str, value) -> None:
    from ops.models import SystemParameter
    from ops.parameters import forget_cached

    SystemParameter.objects.update_or_create(key=key, defaults={"value": value})
    forget_cached(key)


def place(client, sku, *, device="dev-1", **extra):
    body = {"address": SHANGHAI, "lines": [{"sku": sku.code, "quantity": 1}], **extra}
    return client.post(URL, body, format="json", HTTP_X_DEVICE_ID=device)


def assert_blocked(answer) -> None:
    assert answer.status_code == 403, answer.content
    body = answer.json()
    assert set(body) == {"error"} and body["error"]["code"] == "risk_blocked"


def listed(officer, kind, value="", member=None, **extra):
    return blacklist_add(
        actor=officer, kind=kind, value=value, member=member, reason="测试", **extra
    )


# --- blacklist at order.place ---------------------------------------------------------


@pytest.mark.parametrize("kind", ["member", "phone", "device", "ip", "address"])
def test_a_blacklisted_member_phone_device_ip_or_address_cannot_place_and_nothing_is_written(
    kind, superuser, buyer, member_client, on_shelf_sku, give_coupon, warehouses
):
    member = buyer("13955550001")
    sku = on_shelf_sku(10)
    coupon = give_coupon(member, amount="5.00")
    value = {
        "member": "",
        "phone": "13955550001",
        "device": "bad-device",
        "ip": "127.0.0.1",  # the test client's address
        "address": SHANGHAI_ADDRESS,
    }[kind]
    entry = listed(superuser, kind, value, member=member if kind == "member" else None)

    answer = place(
        member_client(member),
        sku,
        device="bad-device" if kind == "device" else "ok",
        coupon_id=coupon.pk,
    )

    assert_blocked(answer)
    assert not Order.objects.exists()
    stock = Stock.objects.get(sku=sku, warehouse=warehouses["WH-SH"])
    assert (stock.on_hand, stock.reserved) == (10, 0)
    coupon.refresh_from_db()
    assert coupon.status == "available"
    event = RiskEvent.objects.get()
    assert (event.point, event.decision, event.rule) == ("order.place", "block", "blacklist")
    finding = event.evidence["findings"][0]
    assert (finding["blacklist_entry"], finding["blacklist_kind"]) == (entry.pk, kind)
    assert "13955550001" not in str(event.evidence) and "幸福路" not in str(event.evidence)


def test_revoked_expired_and_other_entries_do_not_block(
    superuser, buyer, member_client, on_shelf_sku
):
    member = buyer()
    sku = on_shelf_sku(10)
    entry = listed(superuser, B.DEVICE, "dev-1")
    blacklist_revoke(actor=superuser, entry=entry, reason="误判")
    expired = listed(superuser, B.MEMBER, member=member, days=1)
    BlacklistEntry.objects.filter(pk=expired.pk).update(
        expires_at=timezone.now() - timedelta(hours=1)
    )
    listed(superuser, B.DEVICE, "someone-else")
    listed(superuser, B.ADDRESS, "北京|北京市|朝阳区|别处 9 号")

    assert place(member_client(member), sku, device="dev-1").status_code == 201
    assert not RiskEvent.objects.exists()


def test_a_switched_off_blacklist_lets_a_listed_device_place(
    superuser, buyer, member_client, on_shelf_sku
):
    listed(superuser, B.DEVICE, "bad-device")
    set_parameter("risk.blacklist_enabled", False)
    assert place(member_client(buyer()), on_shelf_sku(10), device="bad-device").status_code == 201
    assert not RiskEvent.objects.exists()


# --- blacklist at the other points ----------------------------------------------------


def test_a_blacklisted_phone_cannot_register_and_another_can(superuser):
    from members.models import Member
    from members.services.accounts import member_register

    listed(superuser, B.PHONE, "13966660001")
    with pytest.raises(RiskBlocked):
        member_register(actor=None, phone="13966660001", password="Mall-pass-2026!")
    assert not Member.objects.filter(phone_hash__isnull=False).exists()
    assert RiskEvent.objects.get().point == "member.register"

    member = member_register(actor=None, phone="13966660002", password="Mall-pass-2026!")
    assert member.pk and RiskEvent.objects.count() == 1


def test_a_blacklisted_device_cannot_claim_a_coupon_and_another_device_can(
    superuser, buyer, member_client
):
    from members.models import Coupon, CouponTemplate
    from members.services.coupons import coupon_template_create

    template = coupon_template_create(
        actor=superuser,
        name="满100减20",
        kind=CouponTemplate.Kind.AMOUNT_OFF,
        discount_amount="20.00",
        threshold_amount="100.00",
        validity=CouponTemplate.Validity.DAYS,
        valid_days=7,
        total_stock=10,
        per_member_limit=1,
    )
    listed(superuser, B.DEVICE, "bad-device")
    url = reverse("store-coupon-claim", args=[template.pk])
    client = member_client(buyer())

    refused = client.post(url, HTTP_X_DEVICE_ID="bad-device")
    assert_blocked(refused)
    assert not Coupon.objects.exists()

    assert client.post(url, HTTP_X_DEVICE_ID="good-device").status_code in (200, 201)
    assert Coupon.objects.count() == 1
    assert list(RiskEvent.objects.values_list("point", "rule")) == [("coupon.claim", "blacklist")]


def test_a_blacklisted_member_cannot_request_after_sales_and_an_honest_one_can(
    superuser, buyer, member_client, make_order, stocked_sku
):
    sku = stocked_sku(20)
    now = timezone.now()
    bad, good = buyer(), buyer()
    orders = [
        make_order(m, [(sku, 2)], status="completed", delivered_at=now, completed_at=now)
        for m in (bad, good)
    ]
    listed(superuser, B.MEMBER, member=bad)
    body = {"type": "refund_only", "lines": [{"sku": sku.code, "quantity": 1}], "reason": "quality"}

    answers = [
        member_client(m).post(
            reverse("store-order-after-sales", args=[o.order_no]),
            body,
            format="json",
            HTTP_X_DEVICE_ID="dev-x",
        )
        for m, o in zip((bad, good), orders, strict=True)
    ]

    assert_blocked(answers[0])
    assert answers[1].status_code == 201, answers[1].content
    assert list(AfterSale.objects.values_list("order_id", flat=True)) == [orders[1].pk]


def test_a_blocked_after_sales_request_leaves_its_risk_event(
    superuser, buyer, member_client, make_order, stocked_sku
):
    sku = stocked_sku(20)
    now = timezone.now()
    member = buyer()
    order = make_order(member, [(sku, 2)], status="completed", delivered_at=now, completed_at=now)
    listed(superuser, B.DEVICE, "bad-device")
    body = {"type": "refund_only", "lines": [{"sku": sku.code, "quantity": 1}], "reason": "quality"}

    answer = member_client(member).post(
        reverse("store-order-after-sales", args=[order.order_no]),
        body,
        format="json",
        HTTP_X_DEVICE_ID="bad-device",
    )

    assert_blocked(answer)
    assert list(RiskEvent.objects.values_list("point", "rule")) == [
        ("after_sale.request", "blacklist")
    ]


# --- blacklist at order.review: the order is held -------------------------------------


def test_an_order_placed_from_a_blacklisted_device_is_held_at_review(
    superuser, buyer, make_order, stocked_sku, reviewer
):
    order = make_order(buyer(), [(stocked_sku(), 1)], status="pending_review", device_id="bad-dev")
    listed(superuser, B.DEVICE, "bad-dev")

    held = order_approve(actor=reviewer, order=order)

    assert held.is_review_held and held.status == Order.Status.PENDING_REVIEW
    event = RiskEvent.objects.get()
    assert (event.point, event.decision, event.rule) == ("order.review", "review", "blacklist")
    assert event.region_id == order.region_id
    assert event.evidence["findings"][0]["orders"] == [order.order_no]


def test_an_order_from_a_clean_device_is_approved(
    superuser, buyer, make_order, stocked_sku, reviewer
):
    order = make_order(buyer(), [(stocked_sku(), 1)], status="pending_review", device_id="dev-ok")
    listed(superuser, B.DEVICE, "bad-dev")

    approved = order_approve(actor=reviewer, order=order)

    assert not approved.is_review_held and approved.status == Order.Status.APPROVED
    assert not RiskEvent.objects.exists()


# --- marked_account ---------------------------------------------------------------------


def test_a_high_risk_member_places_but_a_case_opens(
    superuser, buyer, member_client, on_shelf_sku, django_capture_on_commit_callbacks
):
    member = buyer()
    mark_add(actor=superuser, member=member, level="high", reason="刷单团伙成员", days=30)

    with django_capture_on_commit_callbacks(execute=True):
        answer = place(member_client(member), on_shelf_sku(10))

    assert answer.status_code == 201
    order = Order.objects.get()
    case = RiskCase.objects.get()
    assert (case.rule, case.kind, case.order_id, case.member_id) == (
        "marked_account",
        "marked_account",
        order.pk,
        member.pk,
    )
    assert RiskEvent.objects.get().decision == "review"


def test_a_watch_mark_or_an_expired_high_mark_opens_nothing(
    superuser, buyer, member_client, on_shelf_sku, django_capture_on_commit_callbacks
):
    from risk.models import RiskMark

    member = buyer()
    mark_add(actor=superuser, member=member, level="watch", reason="观察")
    old = mark_add(actor=superuser, member=member, level="high", reason="旧标记", days=1)
    RiskMark.objects.filter(pk=old.pk).update(expires_at=timezone.now() - timedelta(minutes=1))

    with django_capture_on_commit_callbacks(execute=True):
        answer = place(member_client(member), on_shelf_sku(10))

    assert answer.status_code == 201
    assert not RiskCase.objects.exists() and not RiskEvent.objects.exists()


def test_a_high_risk_members_order_is_held_at_review_unless_the_rule_is_off(
    superuser, buyer, make_order, stocked_sku, reviewer
):
    member = buyer()
    mark_add(actor=superuser, member=member, level="high", reason="恶意退款")
    first = make_order(member, [(stocked_sku(), 1)], status="pending_review")
    second = make_order(member, [(stocked_sku(), 1)], status="pending_review")

    held = order_approve(actor=reviewer, order=first)
    set_parameter("risk.marked_account_enabled", False)
    approved = order_approve(actor=reviewer, order=second)

    assert held.is_review_held and held.status == Order.Status.PENDING_REVIEW
    assert approved.status == Order.Status.APPROVED and not approved.is_review_held
    assert list(RiskEvent.objects.values_list("point", "rule")) == [
        ("order.review", "marked_account")
    ]
