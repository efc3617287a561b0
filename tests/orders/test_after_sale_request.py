# ruff: noqa: F811 - fixtures imported from after_sales_fixtures are parameters here
"""A member asks for after-sales: what is accepted, what is refused, what it starts."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from mall.core import guard
from mall.core.guard import RiskBlocked, Verdict
from ops.models import AuditEntry, StaffNotification
from orders.exceptions import (
    AfterSaleNotAllowed,
    InvalidOrderInput,
    OrderFrozen,
    OrderNotFound,
)
from orders.models import AfterSale, AfterSaleEvent, Order, OrderLine
from orders.services.after_sales import after_sale_request
from tests.orders.after_sales_fixtures import (  # noqa: F401
    buyer,
    clock,
    cs_agent,
    cs_north,
    finance,
    received_order,
    sku,
    staff,
)

pytestmark = pytest.mark.django_db


def _line(order) -> OrderLine:
    return order.lines.get()


def test_a_refund_only_request_defaults_to_the_lines_payable_share_and_starts_the_review_clock(
    buyer, received_order, cs_agent, clock, django_capture_on_commit_callbacks
):
    line = _line(received_order)
    with django_capture_on_commit_callbacks(execute=True):
        case = after_sale_request(
            actor=buyer,
            order=received_order,
            kind="refund_only",
            lines=[(line, 1)],
            reason="quality",
            description="裂了",
        )
    assert case.case_no.startswith("SH") and len(case.case_no) == 20
    assert (case.status, case.requested_amount, case.region_id) == (
        "requested",
        Decimal("99.00"),
        received_order.region_id,
    )
    assert list(case.lines.values_list("quantity", "amount")) == [(1, Decimal("99.00"))]
    running = clock("after_sale.review", case)
    assert running.status == "open" and running.due_at - running.started_at == timedelta(hours=1)
    notice = StaffNotification.objects.get(kind="orders.after_sale_waiting", recipient=cs_agent)
    assert case.case_no in notice.title and notice.resolved_at is None
    event = AfterSaleEvent.objects.get(after_sale=case)
    assert (event.type, event.actor_kind) == ("request", "member")
    assert AuditEntry.objects.filter(action="after_sale.request", object_id=str(case.pk)).exists()


def test_customer_service_outside_the_region_is_not_told(
    buyer, received_order, cs_north, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        after_sale_request(
            actor=buyer,
            order=received_order,
            kind="refund_only",
            lines=[(_line(received_order), 1)],
            reason="quality",
        )
    assert not StaffNotification.objects.filter(recipient=cs_north).exists()


def test_the_last_unit_takes_the_cents_left_so_two_requests_add_up_to_the_line(
    buyer, make_order, stocked_sku
):
    item = stocked_sku(10, price="33.33")
    now = timezone.now()
    order = make_order(buyer, [(item, 3)], status="completed", completed_at=now)
    OrderLine.objects.filter(order=order).update(payable_amount=Decimal("90.00"))
    Order.objects.filter(pk=order.pk).update(paid_amount=Decimal("90.00"))
    order.refresh_from_db()
    line = _line(order)
    first = after_sale_request(
        actor=buyer, order=order, kind="refund_only", lines=[(line, 2)], reason="quality"
    )
    second = after_sale_request(
        actor=buyer, order=order, kind="refund_only", lines=[(line, 1)], reason="quality"
    )
    assert first.requested_amount == Decimal("60.00")
    assert second.requested_amount == Decimal("30.00")
    with pytest.raises(AfterSaleNotAllowed):
        after_sale_request(
            actor=buyer, order=order, kind="refund_only", lines=[(line, 1)], reason="quality"
        )


def test_a_cancelled_case_frees_its_units_for_a_new_request(buyer, received_order):
    from orders.services.after_sales import after_sale_cancel

    line = _line(received_order)
    case = after_sale_request(
        actor=buyer, order=received_order, kind="refund_only", lines=[(line, 2)], reason="quality"
    )
    after_sale_cancel(actor=buyer, after_sale=case)
    again = after_sale_request(
        actor=buyer, order=received_order, kind="return_refund", lines=[(line, 2)], reason="quality"
    )
    assert again.requested_amount == Decimal("198.00")


def test_another_members_order_is_not_found(make_member, received_order):
    with pytest.raises(OrderNotFound):
        after_sale_request(
            actor=make_member(),
            order=received_order,
            kind="refund_only",
            lines=[(_line(received_order), 1)],
            reason="quality",
        )
    assert not AfterSale.objects.exists()


def test_an_unpaid_order_has_no_after_sales(buyer, make_order, sku):
    order = make_order(buyer, [(sku, 1)], status="pending_payment")
    with pytest.raises(AfterSaleNotAllowed):
        after_sale_request(
            actor=buyer, order=order, kind="refund_only", lines=[(_line(order), 1)], reason="other"
        )


def test_goods_not_yet_shipped_cannot_be_returned_or_exchanged(buyer, make_order, sku):
    order = make_order(buyer, [(sku, 1)], status="approved")
    for kind in ("return_refund", "exchange"):
        with pytest.raises(AfterSaleNotAllowed):
            after_sale_request(
                actor=buyer, order=order, kind=kind, lines=[(_line(order), 1)], reason="quality"
            )
    case = after_sale_request(
        actor=buyer,
        order=order,
        kind="refund_only",
        lines=[(_line(order), 1)],
        reason="other",
        amount="1.00",
    )
    assert case.status == "requested"


def test_before_shipping_a_full_refund_is_a_cancellation_not_an_after_sales_case(
    buyer, make_order, sku
):
    order = make_order(buyer, [(sku, 1)], status="approved")
    with pytest.raises(AfterSaleNotAllowed) as refused:
        after_sale_request(
            actor=buyer, order=order, kind="refund_only", lines=[(_line(order), 1)], reason="other"
        )
    assert refused.value.code == "after_sale_not_allowed"
    assert not order.after_sales.exists()


def test_after_the_after_sales_window_a_completed_order_is_refused(buyer, make_order, sku):
    long_ago = timezone.now() - timedelta(days=16)
    order = make_order(
        buyer, [(sku, 1)], status="completed", delivered_at=long_ago, completed_at=long_ago
    )
    with pytest.raises(AfterSaleNotAllowed):
        after_sale_request(
            actor=buyer,
            order=order,
            kind="refund_only",
            lines=[(_line(order), 1)],
            reason="quality",
        )


def test_no_reason_returns_need_an_eligible_product_and_at_most_seven_days(buyer, make_order, sku):
    eight_days = timezone.now() - timedelta(days=8)
    late = make_order(
        buyer, [(sku, 1)], status="completed", delivered_at=eight_days, completed_at=timezone.now()
    )
    with pytest.raises(AfterSaleNotAllowed):
        after_sale_request(
            actor=buyer,
            order=late,
            kind="return_refund",
            lines=[(_line(late), 1)],
            reason="no_reason",
        )
    recent = make_order(buyer, [(sku, 1)], status="delivered", delivered_at=timezone.now())
    OrderLine.objects.filter(order=recent).update(allows_no_reason_return=False)
    with pytest.raises(AfterSaleNotAllowed):
        after_sale_request(
            actor=buyer,
            order=recent,
            kind="return_refund",
            lines=[(_line(recent), 1)],
            reason="no_reason",
        )
    OrderLine.objects.filter(order=recent).update(allows_no_reason_return=True)
    case = after_sale_request(
        actor=buyer,
        order=recent,
        kind="return_refund",
        lines=[(_line(recent), 1)],
        reason="no_reason",
    )
    assert case.reason == "no_reason"


def test_an_amount_above_the_lines_share_or_a_quantity_above_the_line_is_refused(
    buyer, received_order
):
    line = _line(received_order)
    with pytest.raises(InvalidOrderInput):
        after_sale_request(
            actor=buyer,
            order=received_order,
            kind="refund_only",
            lines=[(line, 1)],
            reason="quality",
            amount="99.01",
        )
    with pytest.raises(AfterSaleNotAllowed):
        after_sale_request(
            actor=buyer,
            order=received_order,
            kind="refund_only",
            lines=[(line, 3)],
            reason="quality",
        )
    with pytest.raises(InvalidOrderInput):
        after_sale_request(
            actor=buyer,
            order=received_order,
            kind="refund_only",
            lines=[(line, 0)],
            reason="quality",
        )
    with pytest.raises(InvalidOrderInput):
        after_sale_request(
            actor=buyer, order=received_order, kind="refund_only", lines=[], reason="quality"
        )
    with pytest.raises(InvalidOrderInput):
        after_sale_request(
            actor=buyer,
            order=received_order,
            kind="refund_only",
            lines=[(line, 1)],
            reason="cancelled_order",
        )
    assert not AfterSale.objects.exists()


def test_a_frozen_order_takes_no_request(buyer, received_order):
    Order.objects.filter(pk=received_order.pk).update(is_frozen=True)
    with pytest.raises(OrderFrozen):
        after_sale_request(
            actor=buyer,
            order=received_order,
            kind="refund_only",
            lines=[(_line(received_order), 1)],
            reason="quality",
        )


def test_a_risk_block_writes_nothing(buyer, received_order):
    guard.register_rule(
        "after_sale.request", "test-block", lambda **context: Verdict(decision="block")
    )
    try:
        with pytest.raises(RiskBlocked):
            after_sale_request(
                actor=buyer,
                order=received_order,
                kind="refund_only",
                lines=[(_line(received_order), 1)],
                reason="quality",
            )
    finally:
        guard.unregister_rule("after_sale.request", "test-block")
    assert not AfterSale.objects.exists()
    assert not AuditEntry.objects.filter(action="after_sale.request").exists()


def test_a_lowered_approval_does_not_let_the_last_unit_claim_the_difference(
    buyer, received_order, cs_agent
):
    from orders.services.after_sales import after_sale_approve

    line = _line(received_order)
    first = after_sale_request(
        actor=buyer, order=received_order, kind="refund_only", lines=[(line, 1)], reason="quality"
    )
    after_sale_approve(actor=cs_agent, after_sale=first, amount="50.00")
    last = after_sale_request(
        actor=buyer, order=received_order, kind="refund_only", lines=[(line, 1)], reason="quality"
    )
    assert last.requested_amount == Decimal("99.00")
