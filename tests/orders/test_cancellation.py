# ruff: noqa: F811 - fixtures imported from checkout_support are parameters here
"""Cancellation by stage: each stage gives back exactly what it should."""

from __future__ import annotations

import itertools
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model

from dispatch.models import Allocation, Shipment, Stock
from mall.core.actors import system_actor
from members.models import Coupon
from ops.models import SlaClock
from ops.services.sla import sla_clock_start
from orders.exceptions import (
    OrderFrozen,
    OrderNotCancellable,
    OrderNotFound,
    OrdersPermissionDenied,
)
from orders.models import AfterSale, Order
from orders.services.cancellation import order_cancel
from orders.services.payment import order_mark_paid
from orders.services.placement import order_place
from tests.orders.checkout_support import (  # noqa: F401 - fixtures
    SHANGHAI,
    buyer,
    give_coupon,
    give_points,
    on_shelf_sku,
)

D = Decimal
_staff = itertools.count(1)


@pytest.fixture
def regional_staff(db):
    """Staff of one region's order ops, with or without ``orders.cancel_order``."""
    from rbac import services
    from rbac.models import SalesRegion

    def make(region: str, perms=("orders.view_order", "orders.cancel_order")):
        n = next(_staff)
        role = services.role_create(
            actor=system_actor(),
            code=f"cancel-{n}",
            name=f"cancel-{n}",
            scope_kind="regions",
            regions=[SalesRegion.objects.get(code=region)],
            permissions=list(perms),
            department=None,
        )
        user = services.staff_create(
            actor=system_actor(),
            username=f"ops{n}",
            employee_number=f"C{n:04d}",
            department=None,
            password="mall-demo-2026",
        )
        services.role_assign(actor=system_actor(), user=user, role=role)
        return get_user_model().objects.get(pk=user.pk)

    return make


def _figures(sku, warehouses, code="WH-SH"):
    row = Stock.objects.get(warehouse=warehouses[code], sku=sku)
    return row.on_hand, row.reserved


def _clock(order, kind):
    return SlaClock.objects.filter(kind=kind, subject_id=str(order.pk)).order_by("-id").first()


def _placed(member, sku, quantity=2, **extra):
    return order_place(
        actor=member, address=SHANGHAI, lines=[{"sku": sku.code, "quantity": quantity}], **extra
    )


def test_an_unpaid_order_gives_back_stock_coupon_and_points(
    buyer, on_shelf_sku, give_coupon, give_points, warehouses, member_client
):
    member = give_points(buyer(), 5000)
    item = on_shelf_sku(10, price="80.00")
    coupon = give_coupon(member, amount="10.00", threshold="100.00")
    order = _placed(member, item, coupon_id=coupon.pk, points=1500)
    assert _figures(item, warehouses) == (10, 2)
    member.refresh_from_db()
    assert member.points_balance == 3500

    answer = member_client(member).post(
        f"/api/v1/store/orders/{order.order_no}/cancel/", {"reason": "不想要了"}, format="json"
    )

    assert answer.status_code == 200, answer.content
    assert answer.json()["status"] == "cancelled"
    order.refresh_from_db()
    assert order.status == Order.Status.CANCELLED and order.cancel_reason == "不想要了"
    assert _figures(item, warehouses) == (10, 0)
    coupon.refresh_from_db()
    assert (coupon.status, coupon.order_no) == (Coupon.Status.AVAILABLE, "")
    member.refresh_from_db()
    assert member.points_balance == 5000
    assert _clock(order, "order.unpaid").closed_outcome == "cancelled"
    assert not AfterSale.objects.filter(order=order).exists()
    event = order.events.get(type="cancel")
    assert (event.from_status, event.to_status, event.data["stage"]) == (
        "pending_payment",
        "cancelled",
        "unpaid",
    )
    assert Allocation.objects.get(order_no=order.order_no).status == Allocation.Status.RELEASED


def test_a_paid_order_before_review_releases_stock_refunds_points_and_opens_its_refund(
    buyer, on_shelf_sku, give_points, warehouses
):
    member = give_points(buyer(), 1000)
    item = on_shelf_sku(10, price="60.00")
    order = _placed(member, item, points=1000)  # 120.00 − 10.00 points
    order_mark_paid(
        actor=system_actor(),
        order=order,
        amount=order.total_amount,
        payment_no="PT1",
        channel="sandbox",
    )
    order.refresh_from_db()
    assert order.status == Order.Status.PENDING_REVIEW

    order_cancel(actor=member, order=order, reason="")

    order.refresh_from_db()
    assert order.status == Order.Status.CANCELLED
    assert _figures(item, warehouses) == (10, 0)
    member.refresh_from_db()
    assert member.points_balance == 1000
    assert _clock(order, "order.review").closed_outcome == "cancelled"
    refund = AfterSale.objects.get(order=order)
    assert (refund.status, refund.approved_amount) == (AfterSale.Status.REFUNDING, D("110.00"))
    assert order.events.get(type="cancel").data["stage"] == "before_review"


def test_an_approved_order_releases_sellable_and_ledger_stock_and_stops_the_ship_clock(
    buyer, stocked_sku, make_order, warehouses, regional_staff
):
    item = stocked_sku(10)
    order = make_order(buyer(), [(item, 3)], status="approved")
    sla_clock_start(actor=system_actor(), kind="order.ship", subject=order, region=order.region)
    assert _figures(item, warehouses) == (10, 3)

    order_cancel(actor=regional_staff("east"), order=order, reason="客户来电取消")

    order.refresh_from_db()
    assert order.status == Order.Status.CANCELLED
    assert _figures(item, warehouses) == (10, 0)
    assert _clock(order, "order.ship").closed_outcome == "cancelled"
    assert AfterSale.objects.get(order=order).approved_amount == D("297.00")
    event = order.events.get(type="cancel")
    assert (event.actor_kind, event.data["stage"]) == ("staff", "after_review")


def test_a_warehouse_approved_order_recalls_its_shipment_and_voids_the_waybill(
    buyer, stocked_sku, make_order, warehouses, regional_staff
):
    item = stocked_sku(10)
    order = make_order(buyer(), [(item, 1)], status="allocated")
    Shipment.objects.filter(order_no=order.order_no).update(waybill_no="SF1234567890")

    order_cancel(actor=regional_staff("east"), order=order, reason="缺货协商取消")

    assert _figures(item, warehouses) == (10, 0)
    shipment = Shipment.objects.get(order_no=order.order_no)
    assert shipment.status == Shipment.Status.CANCELLED
    recalled = order.events.get(type="shipment_recalled")
    voided = order.events.get(type="waybill_voided")
    assert recalled.data["shipment_no"] == shipment.shipment_no
    assert voided.data["waybill_no"] == "SF1234567890"
    assert order.events.get(type="cancel").data["stage"] == "after_warehouse_approval"
    assert AfterSale.objects.filter(order=order, status="refunding").count() == 1


def test_a_shipped_order_cannot_be_cancelled_and_keeps_its_stock(
    buyer, stocked_sku, make_order, warehouses
):
    item = stocked_sku(10)
    member = buyer()
    order = make_order(member, [(item, 2)], status="shipped")
    before = _figures(item, warehouses)

    with pytest.raises(OrderNotCancellable):
        order_cancel(actor=member, order=order)

    assert _figures(item, warehouses) == before == (8, 0)
    order.refresh_from_db()
    assert order.status == Order.Status.SHIPPED


def test_a_frozen_order_cannot_be_cancelled(buyer, stocked_sku, make_order, warehouses):
    item = stocked_sku(10)
    member = buyer()
    order = make_order(member, [(item, 1)], status="pending_review", is_frozen=True)

    with pytest.raises(OrderFrozen):
        order_cancel(actor=member, order=order)
    assert _figures(item, warehouses) == (10, 1)


def test_staff_need_the_permission_and_the_order_in_their_scope(
    buyer, stocked_sku, make_order, warehouses, regional_staff
):
    item = stocked_sku(10)
    order = make_order(buyer(), [(item, 1)], status="pending_review")

    with pytest.raises(OrderNotFound):
        order_cancel(actor=regional_staff("north"), order=order)
    with pytest.raises(OrdersPermissionDenied):
        order_cancel(actor=regional_staff("east", perms=("orders.view_order",)), order=order)
    assert _figures(item, warehouses) == (10, 1)


def test_another_members_order_is_not_found_and_cancelling_twice_changes_nothing(
    buyer, on_shelf_sku, warehouses, member_client
):
    item = on_shelf_sku(5)
    member = buyer()
    order = _placed(member, item, quantity=1)

    stranger = member_client(buyer()).post(f"/api/v1/store/orders/{order.order_no}/cancel/")
    assert stranger.status_code == 404

    order_cancel(actor=member, order=order)
    again = member_client(member).post(f"/api/v1/store/orders/{order.order_no}/cancel/")
    assert again.status_code == 200 and again.json()["status"] == "cancelled"
    assert order.events.filter(type="cancel").count() == 1
    assert _figures(item, warehouses) == (5, 0)
