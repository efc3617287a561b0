# ruff: noqa: F811
"""Order review: approve (checks, clocks), hold, second reviewer, batch, permissions, scope."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from orders.exceptions import (
    OrderFrozen,
    OrderNotFound,
    OrdersPermissionDenied,
    OrderStateConflict,
)
from orders.models import Order, OrderEvent
from orders.services.review import order_approve, order_reject, orders_approve_batch
from tests.orders.fulfilment_support import (  # noqa: F401
    buyer,
    clocks,
    make_ops,
    reviewer,
    running_clock,
    start_review_clock,
)

pytestmark = pytest.mark.django_db


def _audit_actions(order):
    from ops.models import AuditEntry

    return list(
        AuditEntry.objects.filter(object_id=str(order.pk), object_type="orders.order")
        .order_by("id")
        .values_list("action", flat=True)
    )


def test_approving_moves_the_order_on_stops_the_review_clock_and_starts_the_24h_ship_clock(
    make_order, stocked_sku, buyer, reviewer
):
    order = make_order(buyer, [(stocked_sku(), 2)], status="pending_review")
    start_review_clock(order, minutes_ago=3)

    approved = order_approve(actor=reviewer, order=order, note="地址核对无误")

    assert approved.status == Order.Status.APPROVED
    assert approved.reviewed_by == reviewer and approved.reviewed_at is not None
    review = clocks("order.review", order)[-1]
    assert review.status == "met" and review.closed_at is not None
    ship = running_clock("order.ship", order)
    assert ship is not None
    assert ship.due_at - ship.started_at == timedelta(hours=24)
    event = OrderEvent.objects.filter(order=order).last()
    assert (event.type, event.from_status, event.to_status, event.actor_user) == (
        "approve",
        "pending_review",
        "approved",
        reviewer,
    )
    assert "order.approve" in _audit_actions(order)


def test_a_review_after_the_ten_minutes_closes_the_clock_as_breached(
    make_order, stocked_sku, buyer, reviewer
):
    order = make_order(buyer, [(stocked_sku(), 1)], status="pending_review")
    start_review_clock(order, minutes_ago=11)

    order_approve(actor=reviewer, order=order)

    assert clocks("order.review", order)[-1].status == "breached"


def test_inside_a_promotion_period_the_ship_clock_gives_48_hours(
    make_order, stocked_sku, buyer, reviewer, actor
):
    from orders.models import PromotionPeriod

    now = timezone.now()
    PromotionPeriod.objects.create(
        name="双11",
        starts_at=now - timedelta(days=1),
        ends_at=now + timedelta(days=1),
        created_by=reviewer,
    )
    order = make_order(buyer, [(stocked_sku(), 1)], status="pending_review")

    order_approve(actor=reviewer, order=order)

    ship = running_clock("order.ship", order)
    assert ship.due_at - ship.started_at == timedelta(hours=48)


def test_a_failed_check_holds_the_order_and_notifies_customer_service(
    make_order, stocked_sku, buyer, reviewer, make_ops
):
    from ops.models import StaffNotification

    service = make_ops("cs1", perms=("orders.view_order", "orders.modify_order"))
    order = make_order(buyer, [(stocked_sku(), 1)], status="pending_review")
    Order.objects.filter(pk=order.pk).update(phone_encrypted="")
    order.refresh_from_db()

    held = order_approve(actor=reviewer, order=order)

    held.refresh_from_db()
    assert held.status == Order.Status.PENDING_REVIEW
    assert held.is_review_held is True
    assert "phone" in held.review_hold_reason or "电话" in held.review_hold_reason
    notice = StaffNotification.objects.get(recipient=service, kind="orders.review_failed")
    assert order.order_no in notice.title
    assert OrderEvent.objects.filter(order=order, type="reject").exists()
    assert "order.reject" in _audit_actions(order)
    assert running_clock("order.ship", order) is None


def test_a_held_order_is_told_only_to_staff_whose_scope_holds_it(
    make_order, stocked_sku, buyer, reviewer, make_ops
):
    """The notice names the order and why it is held: a north-only clerk with the same
    permission must not hear of an east (上海) order (it would leak its number)."""
    from ops.models import StaffNotification

    perms = ("orders.view_order", "orders.modify_order")
    east = make_ops("cs_east", perms=perms, regions=("east",))
    north = make_ops("cs_north", perms=perms, regions=("north",))
    order = make_order(buyer, [(stocked_sku(), 1)], status="pending_review")
    Order.objects.filter(pk=order.pk).update(phone_encrypted="")
    order.refresh_from_db()

    order_approve(actor=reviewer, order=order)

    kinds = StaffNotification.objects.filter(kind="orders.review_failed")
    assert kinds.filter(recipient=east).count() == 1
    assert not kinds.filter(recipient=north).exists()


def test_an_order_no_warehouse_delivers_to_is_held(make_order, stocked_sku, buyer, make_ops):
    from dispatch.models import Allocation

    sku = stocked_sku()
    order = make_order(
        buyer, [(sku, 1)], status="pending_review", province_name="西藏", allocate_stock=False
    )
    west = make_ops("west", regions=None)

    held = order_approve(actor=west, order=order)

    assert held.is_review_held and held.status == Order.Status.PENDING_REVIEW
    assert not Allocation.objects.filter(order_no=order.order_no).exists()


def test_an_order_without_an_allocation_is_allocated_at_review(
    make_order, stocked_sku, buyer, reviewer
):
    from dispatch.models import Stock

    sku = stocked_sku(10)
    order = make_order(buyer, [(sku, 3)], status="pending_review", allocate_stock=False)

    assert order_approve(actor=reviewer, order=order).status == Order.Status.APPROVED
    stock = Stock.objects.get(sku=sku)
    assert (stock.on_hand, stock.reserved) == (10, 3)


def test_a_risk_block_at_review_holds_the_order(make_order, stocked_sku, buyer, reviewer):
    from mall.core.guard import BLOCK, Verdict, register_rule, unregister_rule

    order = make_order(buyer, [(stocked_sku(), 1)], status="pending_review")
    register_rule("order.review", "t-block", lambda **kw: Verdict(decision=BLOCK, reason="x"))
    try:
        held = order_approve(actor=reviewer, order=order)
    finally:
        unregister_rule("order.review", "t-block")
    assert held.is_review_held and held.status == Order.Status.PENDING_REVIEW


def test_reject_holds_with_the_reason_and_approval_later_clears_the_hold(
    make_order, stocked_sku, buyer, reviewer
):
    order = make_order(buyer, [(stocked_sku(), 1)], status="pending_review")

    order_reject(actor=reviewer, order=order, reason="收货人电话空号")
    order.refresh_from_db()
    assert (order.is_review_held, order.review_hold_reason) == (True, "收货人电话空号")

    approved = order_approve(actor=reviewer, order=order)
    assert approved.status == Order.Status.APPROVED
    assert (approved.is_review_held, approved.review_hold_reason) == (False, "")


def test_a_large_order_needs_a_second_reviewer_who_is_another_person(
    make_order, stocked_sku, buyer, reviewer, make_ops
):
    from ops.models import StaffNotification

    second = make_ops(
        "approver", perms=("orders.view_order", "orders.review_order", "orders.approve_order")
    )
    order = make_order(
        buyer, [(stocked_sku(), 1)], status="pending_review", needs_second_review=True
    )

    first = order_approve(actor=reviewer, order=order)
    assert first.status == Order.Status.PENDING_REVIEW
    assert first.first_reviewed_by == reviewer
    notice = StaffNotification.objects.get(recipient=second, kind="orders.second_review")
    assert notice.resolved_at is None

    with pytest.raises(OrdersPermissionDenied):  # the first reviewer lacks approve_order
        order_approve(actor=reviewer, order=order)
    first_twice = make_ops(
        "both", perms=("orders.view_order", "orders.review_order", "orders.approve_order")
    )
    Order.objects.filter(pk=order.pk).update(first_reviewed_by=first_twice)
    with pytest.raises(OrdersPermissionDenied):  # the same person twice
        order_approve(actor=first_twice, order=order)

    done = order_approve(actor=second, order=order)
    assert done.status == Order.Status.APPROVED and done.reviewed_by == second
    notice.refresh_from_db()
    assert notice.resolved_at is not None


def test_refusals_state_permission_scope_and_frozen(make_order, stocked_sku, buyer, make_ops):
    sku = stocked_sku()
    order = make_order(buyer, [(sku, 1)], status="approved")
    reviewer = make_ops("r1")
    with pytest.raises(OrderStateConflict):
        order_approve(actor=reviewer, order=order)
    pending = make_order(buyer, [(sku, 1)], status="pending_review")
    with pytest.raises(OrdersPermissionDenied):
        order_approve(actor=make_ops("viewer", perms=("orders.view_order",)), order=pending)
    with pytest.raises(OrderNotFound):  # an order of East China for a North reviewer
        order_approve(actor=make_ops("north", regions=("north",)), order=pending)
    Order.objects.filter(pk=pending.pk).update(is_frozen=True, frozen_reason="风控")
    with pytest.raises(OrderFrozen):
        order_approve(actor=reviewer, order=pending)
    with pytest.raises(OrdersPermissionDenied):
        order_approve(actor=buyer, order=pending)
    assert Order.objects.get(pk=pending.pk).status == Order.Status.PENDING_REVIEW


def test_batch_approval_reports_done_and_failed_per_order(make_order, stocked_sku, buyer, reviewer):
    sku = stocked_sku()
    good = make_order(buyer, [(sku, 1)], status="pending_review")
    shipped = make_order(buyer, [(sku, 1)], status="shipped")
    frozen = make_order(buyer, [(sku, 1)], status="pending_review", is_frozen=True)

    result = orders_approve_batch(actor=reviewer, orders=[good, shipped, frozen])

    assert [o.order_no for o in result.done] == [good.order_no]
    assert set(result.failed) == {shipped.order_no, frozen.order_no}
    assert Order.objects.get(pk=good.pk).status == Order.Status.APPROVED
    assert Order.objects.get(pk=frozen.pk).status == Order.Status.PENDING_REVIEW
