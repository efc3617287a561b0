# ruff: noqa: F811 - fixtures imported from checkout_support are parameters here
"""Placing an order writes the order, its lines, the stock lock, the coupon, the points
and the unpaid clock in one transaction — or nothing at all."""

from __future__ import annotations

from decimal import Decimal

import pytest

from dispatch.exceptions import NotDeliverable, OutOfStock
from dispatch.models import Allocation, Stock
from mall.core import guard
from mall.core.guard import Verdict
from members.models import Coupon
from ops.models import AuditEntry, SlaClock
from orders.exceptions import InvalidOrderInput
from orders.models import Order, OrderEvent
from orders.services.placement import order_place, order_preview
from tests.orders.checkout_support import (  # noqa: F401 - fixtures
    SHANGHAI,
    buyer,
    freight,
    give_coupon,
    give_points,
    on_shelf_sku,
)

D = Decimal


def _stock(sku, warehouses, code="WH-SH"):
    row = Stock.objects.get(warehouse=warehouses[code], sku=sku)
    return row.on_hand, row.reserved


def test_placing_reserves_the_stock_locks_the_coupon_spends_the_points_and_starts_the_clock(
    buyer, on_shelf_sku, give_coupon, give_points, freight, warehouses, own_store
):
    member = give_points(buyer(), 3000)
    item = on_shelf_sku(10, price="120.00", weight_grams=800)
    coupon = give_coupon(member, amount="15.00", threshold="100.00")

    order = order_place(
        actor=member,
        address=SHANGHAI,
        lines=[{"sku": item.code, "quantity": 2}],
        coupon_id=coupon.pk,
        points=2000,
        client_ip="10.0.0.1",
        device_id="dev-1",
    )

    assert order.status == Order.Status.PENDING_PAYMENT
    assert order.order_no.startswith("DD") and len(order.order_no) == 20
    assert (order.goods_amount, order.coupon_discount_amount, order.points_deduction_amount) == (
        D("240.00"),
        D("15.00"),
        D("20.00"),
    )
    # 1600 g: 10.00 + ceil(600 / 500) × 5.00, free above 99.00
    assert (order.shipping_amount, order.shipping_discount_amount) == (D("20.00"), D("20.00"))
    assert order.total_amount == D("205.00") and order.points_used == 2000
    assert order.region.code == "east" and order.province.name == "上海"
    assert order.channel == own_store
    assert (order.recipient, order.phone, order.detail) == ("张三", "13912345678", "幸福路 1 号")
    assert "张三" not in order.recipient_encrypted
    assert order.pricing["total_amount"] == "205.00"
    assert order.promised_delivery_date is not None
    assert abs((order.expires_at - order.created_at).total_seconds() - 30 * 60) < 5

    line = order.lines.get()
    assert (line.sku_code, line.quantity, line.unit_price_amount, line.payable_amount) == (
        item.code,
        2,
        D("120.00"),
        D("205.00"),
    )
    assert line.product_title == item.product.title and line.weight_grams == 800
    assert line.allows_no_reason_return is True
    assert (line.coupon_discount_amount, line.points_deduction_amount) == (D("15.00"), D("20.00"))

    assert _stock(item, warehouses) == (10, 2)
    assert Allocation.objects.get(order_no=order.order_no).status == Allocation.Status.ALLOCATED
    coupon.refresh_from_db()
    assert (coupon.status, coupon.order_no) == (Coupon.Status.LOCKED, order.order_no)
    member.refresh_from_db()
    assert member.points_balance == 1000
    clock = SlaClock.objects.get(kind="order.unpaid", subject_id=str(order.pk))
    assert (
        clock.due_at == order.expires_at
        or abs((clock.due_at - order.expires_at).total_seconds()) < 1
    )
    assert clock.closed_at is None
    event = OrderEvent.objects.get(order=order)
    assert (event.type, event.actor_kind, event.actor_label) == (
        "place",
        "member",
        f"member:{member.pk}",
    )
    assert AuditEntry.objects.filter(action="order.place", object_id=str(order.pk)).exists()


def test_a_virtual_only_order_takes_no_warehouse_stock_and_no_shipping(
    buyer, on_shelf_sku, freight
):
    member = buyer()
    card = on_shelf_sku(price="50.00", virtual=True)

    order = order_place(actor=member, address=SHANGHAI, lines=[{"sku": card.code, "quantity": 1}])

    assert order.is_virtual and order.shipping_amount == D("0.00")
    assert order.total_amount == D("50.00")
    assert not Allocation.objects.filter(order_no=order.order_no).exists()
    assert order.lines.get().is_virtual


def test_out_of_stock_rolls_everything_back(
    buyer, on_shelf_sku, give_coupon, give_points, warehouses
):
    member = give_points(buyer(), 1000)
    plenty = on_shelf_sku(50)
    scarce = on_shelf_sku(1)
    coupon = give_coupon(member, amount="5.00")

    with pytest.raises(OutOfStock):
        order_place(
            actor=member,
            address=SHANGHAI,
            lines=[{"sku": plenty.code, "quantity": 3}, {"sku": scarce.code, "quantity": 2}],
            coupon_id=coupon.pk,
            points=100,
        )

    assert not Order.objects.exists()
    assert _stock(plenty, warehouses) == (50, 0) and _stock(scarce, warehouses) == (1, 0)
    coupon.refresh_from_db()
    member.refresh_from_db()
    assert coupon.status == Coupon.Status.AVAILABLE and member.points_balance == 1000
    assert not SlaClock.objects.filter(kind="order.unpaid").exists()


def test_a_province_no_warehouse_covers_is_not_deliverable(buyer, on_shelf_sku):
    item = on_shelf_sku(5)

    with pytest.raises(NotDeliverable):
        order_place(
            actor=buyer(),
            address={**SHANGHAI, "province": "西藏", "city": "拉萨市"},
            lines=[{"sku": item.code, "quantity": 1}],
        )
    assert not Order.objects.exists()


def test_invalid_input_is_refused_field_by_field_before_anything_is_written(
    buyer, on_shelf_sku, make_sku, settings
):
    member = buyer()
    good = on_shelf_sku(5)
    draft = make_sku()  # never listed

    with pytest.raises(InvalidOrderInput) as refused:
        order_place(
            actor=member,
            address={**SHANGHAI, "province": "火星", "city": "", "phone": "12"},
            lines=[
                {"sku": "NO-SUCH-SKU", "quantity": 1},
                {"sku": draft.code, "quantity": 1},
                {"sku": good.code, "quantity": 100},
                {"sku": good.code, "quantity": 1},
                {"sku": good.code, "quantity": 1},
            ],
        )

    fields = refused.value.fields
    assert set(fields) == {
        "lines.0.sku",
        "lines.1.sku",
        "lines.2.quantity",
        "lines.4.sku",
        "address.province",
        "address.city",
        "address.phone",
    }
    assert not Order.objects.exists()


def test_a_saved_address_of_the_member_is_used_and_another_members_is_refused(
    buyer, make_member, on_shelf_sku
):
    item = on_shelf_sku(5)
    member = make_member("13700009999", province="江苏")
    mine = member.addresses.get()
    other = make_member("13700009998", province="上海").addresses.get()

    order = order_place(actor=member, address_id=mine.pk, lines=[{"sku": item.code, "quantity": 1}])
    assert order.province.name == "江苏" and order.recipient == "张三"

    with pytest.raises(InvalidOrderInput) as refused:
        order_place(actor=member, address_id=other.pk, lines=[{"sku": item.code, "quantity": 1}])
    assert "address_id" in refused.value.fields


def test_a_risk_block_writes_nothing_and_a_review_verdict_is_handed_over_after_commit(
    buyer, on_shelf_sku, warehouses, django_capture_on_commit_callbacks
):
    from mall.core.guard import RiskBlocked

    item = on_shelf_sku(5)
    member = buyer()
    seen = {}

    def rule(**context):
        seen.update(context)
        return Verdict(decision="block", rule="test", reason="hoarding")

    guard.register_rule("order.place", "test", rule)
    try:
        with pytest.raises(RiskBlocked):
            order_place(
                actor=member,
                address=SHANGHAI,
                lines=[{"sku": item.code, "quantity": 1}],
                client_ip="10.1.1.1",
                device_id="dev-9",
            )
        assert not Order.objects.exists() and _stock(item, warehouses) == (5, 0)
        assert seen["member"] == member and seen["device_id"] == "dev-9"
        assert seen["address"] == {
            "province": "上海",
            "city": "上海市",
            "district": "浦东新区",
            "detail": "幸福路 1 号",
        }
        assert seen["payable_amount"] == D("99.00") and seen["flash_session"] is None

        opened = []
        guard.register_rule("order.place", "test", lambda **c: Verdict(decision="review"))
        guard.register_review_handler(lambda **kw: opened.append(kw))
        with django_capture_on_commit_callbacks(execute=True):
            order = order_place(
                actor=member, address=SHANGHAI, lines=[{"sku": item.code, "quantity": 1}]
            )
        assert [call["subject"] for call in opened] == [order]
        assert opened[0]["point"] == "order.place"
    finally:
        guard.unregister_rule("order.place", "test")
        guard._review_handlers.clear()


def test_the_preview_prices_and_plans_without_reserving(buyer, on_shelf_sku, warehouses, freight):
    item = on_shelf_sku(5, price="40.00", weight_grams=1200)

    preview = order_preview(
        actor=buyer(), address=SHANGHAI, lines=[{"sku": item.code, "quantity": 1}]
    )

    assert preview["payable_amount"] == "55.00"  # 40.00 + 10.00 + 1 × 5.00
    assert preview["shipping"] == {
        "fee_amount": "15.00",
        "discount_amount": "0.00",
        "free_reason": "",
    }
    assert preview["warehouses"] == [
        {
            "warehouse_name": "上海仓",
            "promised_days": 1,
            "lines": [{"sku": item.code, "quantity": 1}],
        }
    ]
    assert preview["promised_delivery_date"] is not None
    assert preview["steps"][0]["code"] == "goods"
    assert _stock(item, warehouses) == (5, 0)
    assert not Order.objects.exists()
