# ruff: noqa: F811, F403 - fixtures imported from the orders tests are parameters here
"""Placement rules through the storefront API: ``flash_hoarding`` (block) and
``frequent_purchase`` (review), each firing, passing honest buyers, and switched off."""

from __future__ import annotations

import pytest

from dispatch.models import Stock
from orders.models import FlashPurchase, Order
from risk.models import RiskCase, RiskEvent
from tests.orders.checkout_support import (  # noqa: F401 - fixtures
    SHANGHAI,
    buyer,
    give_coupon,
    on_shelf_sku,
)
from tests.orders.conftest import *
from tests.orders.promotions.flash_support import (  # noqa: F401 - fixtures
    flash_session,
    marketing,
    ops_lead,
)

pytestmark = pytest.mark.django_db
URL = "/api/v1/store/orders/"


def set_parameter(key: str, value) -> None:
    from ops.models import SystemParameter
    from ops.parameters import forget_cached

    SystemParameter.objects.update_or_create(key=key, defaults={"value": value})
    forget_cached(key)


def place(client, sku, *, device="dev-1", quantity=1, **extra):
    body = {"address": SHANGHAI, "lines": [{"sku": sku.code, "quantity": quantity}], **extra}
    return client.post(URL, body, format="json", HTTP_X_DEVICE_ID=device)


def assert_blocked(answer) -> None:
    assert answer.status_code == 403, answer.content
    body = answer.json()
    assert set(body) == {"error"} and body["error"]["code"] == "risk_blocked"


# --- flash_hoarding -------------------------------------------------------------------


@pytest.fixture
def flash_sku(on_shelf_sku, flash_session):
    sku = on_shelf_sku(50)
    session = flash_session([(sku, "49.90", 40, 10)])
    return sku, session


def test_a_member_holding_two_unpaid_flash_orders_is_blocked_and_nothing_is_written(
    flash_sku, buyer, member_client, give_coupon, warehouses
):
    sku, session = flash_sku
    set_parameter("risk.flash_unpaid_per_member", 2)
    member = buyer()
    client = member_client(member)
    for device in ("dev-a", "dev-b"):
        assert place(client, sku, device=device, flash_session=session.pk).status_code == 201
    stock_before = Stock.objects.get(sku=sku, warehouse=warehouses["WH-SH"])
    item_before = session.items.get()
    coupon = give_coupon(member, amount="5.00")

    answer = place(client, sku, device="dev-c", flash_session=session.pk, coupon_id=coupon.pk)

    assert_blocked(answer)
    assert Order.objects.filter(member=member).count() == 2
    stock = Stock.objects.get(sku=sku, warehouse=warehouses["WH-SH"])
    assert (stock.on_hand, stock.reserved) == (stock_before.on_hand, stock_before.reserved)
    item = session.items.get()
    assert (item.sold, item.held) == (item_before.sold, item_before.held)
    assert FlashPurchase.objects.get(item=item, member=member).quantity == 2
    coupon.refresh_from_db()
    assert coupon.status == "available" and coupon.order_no == ""
    event = RiskEvent.objects.get()
    assert (event.point, event.decision, event.rule) == ("order.place", "block", "flash_hoarding")
    finding = event.evidence["findings"][0]
    assert finding["unpaid_flash_orders_member"] == 2 and finding["member_limit"] == 2
    assert not RiskCase.objects.exists()  # a block opens no case


def test_one_device_holding_three_unpaid_flash_orders_blocks_a_fourth_account(
    flash_sku, buyer, member_client
):
    sku, session = flash_sku
    set_parameter("risk.flash_unpaid_per_device", 3)
    for _n in range(3):
        answer = place(member_client(buyer()), sku, device="farm-1", flash_session=session.pk)
        assert answer.status_code == 201

    answer = place(member_client(buyer()), sku, device="farm-1", flash_session=session.pk)

    assert_blocked(answer)
    finding = RiskEvent.objects.get().evidence["findings"][0]
    assert (finding["unpaid_flash_orders_device"], finding["devices"]) == (3, ["farm-1"])
    assert Order.objects.count() == 3


def test_paid_flash_orders_and_ordinary_orders_do_not_count_as_hoarding(
    flash_sku, buyer, member_client, on_shelf_sku
):
    sku, session = flash_sku
    member = buyer()
    client = member_client(member)
    for _n in range(2):
        assert place(client, sku, flash_session=session.pk).status_code == 201
    # the member pays both: nothing is held any more
    Order.objects.filter(member=member).update(status=Order.Status.PAID)
    assert place(client, sku, flash_session=session.pk).status_code == 201
    # an ordinary placement is not a flash order: the rule has nothing to say
    assert place(client, on_shelf_sku(10)).status_code == 201
    # other members on their own devices are not affected by this one
    assert (
        place(member_client(buyer()), sku, device="dev-9", flash_session=session.pk).status_code
        == 201
    )
    assert not RiskEvent.objects.filter(rule="flash_hoarding").exists()


def test_switched_off_flash_hoarding_lets_the_third_unpaid_order_through(
    flash_sku, buyer, member_client
):
    sku, session = flash_sku
    set_parameter("risk.flash_unpaid_per_member", 1)  # would block the second when on
    set_parameter("risk.flash_hoarding_enabled", False)
    client = member_client(buyer())
    answers = [place(client, sku, flash_session=session.pk) for _n in range(3)]
    assert [a.status_code for a in answers] == [201, 201, 201]
    assert not RiskEvent.objects.exists()


def test_the_flash_thresholds_are_parameters(flash_sku, buyer, member_client):
    sku, session = flash_sku
    set_parameter("risk.flash_unpaid_per_member", 1)
    client = member_client(buyer())
    assert place(client, sku, flash_session=session.pk).status_code == 201
    assert_blocked(place(client, sku, flash_session=session.pk))


# --- frequent_purchase ----------------------------------------------------------------


def test_a_sixth_order_of_one_sku_in_a_day_goes_through_and_opens_a_case(
    on_shelf_sku, buyer, member_client, make_order, django_capture_on_commit_callbacks
):
    sku = on_shelf_sku(100)
    member = buyer()
    earlier = [make_order(member, [(sku, 1)], status="paid") for _n in range(5)]

    with django_capture_on_commit_callbacks(execute=True):
        answer = place(member_client(member), sku)

    assert answer.status_code == 201, answer.content
    order = Order.objects.get(order_no=answer.json()["order_no"])
    event = RiskEvent.objects.get()
    assert (event.point, event.decision, event.rule) == (
        "order.place",
        "review",
        "frequent_purchase",
    )
    case = RiskCase.objects.get()
    assert (case.rule, case.kind, case.status) == ("frequent_purchase", "frequent_purchase", "open")
    assert (case.order_id, case.member_id, case.region_id) == (order.pk, member.pk, order.region_id)
    assert case.evidence["orders_in_window"] == 5 and case.evidence["sku"] == sku.code
    assert sorted(case.evidence["orders"]) == sorted(o.order_no for o in earlier)
    assert case.evidence["order_no"] == order.order_no


def test_cancelled_orders_old_orders_and_other_skus_are_not_frequent(
    on_shelf_sku, buyer, member_client, make_order, django_capture_on_commit_callbacks
):
    from datetime import timedelta

    from django.utils import timezone

    sku, other = on_shelf_sku(100), on_shelf_sku(100)
    member = buyer()
    for _n in range(4):
        make_order(member, [(sku, 1)], status="paid")
    make_order(member, [(sku, 1)], status="cancelled")
    make_order(member, [(sku, 1)], status="closed")
    old = make_order(member, [(sku, 1)], status="completed")
    Order.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(hours=25))
    for _n in range(6):
        make_order(member, [(other, 1)], status="paid")
    make_order(buyer(), [(sku, 1)], status="paid")  # somebody else's

    with django_capture_on_commit_callbacks(execute=True):
        answer = place(member_client(member), sku)

    assert answer.status_code == 201
    assert not RiskEvent.objects.exists() and not RiskCase.objects.exists()


def test_switched_off_frequent_purchase_opens_no_case(
    on_shelf_sku, buyer, member_client, make_order, django_capture_on_commit_callbacks
):
    sku = on_shelf_sku(100)
    member = buyer()
    for _n in range(6):
        make_order(member, [(sku, 1)], status="paid")
    set_parameter("risk.frequent_purchase_enabled", False)

    with django_capture_on_commit_callbacks(execute=True):
        answer = place(member_client(member), sku)

    assert answer.status_code == 201
    assert not RiskEvent.objects.exists() and not RiskCase.objects.exists()
