# ruff: noqa: F811 - fixtures imported from after_sales_fixtures are parameters here
"""Customer service decides a request: approve, reject, dispute and its plan; the clocks."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from mall.core.actors import system_actor
from ops.models import SlaClock, StaffNotification
from ops.services.sla import sla_scan
from orders.exceptions import (
    AfterSaleNotAllowed,
    AfterSaleNotFound,
    InvalidOrderInput,
    OrdersPermissionDenied,
    OrderStateConflict,
)
from orders.services.after_sales import (
    after_sale_approve,
    after_sale_dispute,
    after_sale_plan,
    after_sale_reject,
    after_sale_request,
)
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


@pytest.fixture
def request_case(buyer, received_order, cs_agent, django_capture_on_commit_callbacks):
    def make(kind="refund_only", quantity=1, **extra):
        with django_capture_on_commit_callbacks(execute=True):
            return after_sale_request(
                actor=buyer,
                order=received_order,
                kind=kind,
                lines=[(received_order.lines.get(), quantity)],
                reason="quality",
                **extra,
            )

    return make


def test_approving_a_refund_only_request_queues_it_for_finance_with_a_24_hour_clock(
    request_case, cs_agent, clock
):
    case = request_case()
    after_sale_approve(actor=cs_agent, after_sale=case, note="同意")
    case.refresh_from_db()
    assert (case.status, case.approved_amount, case.handler) == (
        "refunding",
        Decimal("99.00"),
        cs_agent,
    )
    assert clock("after_sale.review", case).status == "met"
    refund = clock("refund.execute", case)
    assert refund.status == "open" and refund.due_at - refund.started_at == timedelta(hours=24)
    notice = StaffNotification.objects.get(kind="orders.after_sale_waiting", recipient=cs_agent)
    assert notice.resolved_at is not None
    assert list(case.events.values_list("type", "to_status")) == [
        ("request", "requested"),
        ("approve", "approved"),
        ("refund_wait", "refunding"),
    ]


def test_approving_a_return_waits_for_the_goods_and_may_lower_the_amount(request_case, cs_agent):
    case = request_case(kind="return_refund", quantity=2)
    after_sale_approve(actor=cs_agent, after_sale=case, amount="150.00")
    case.refresh_from_db()
    assert (case.status, case.approved_amount) == ("returning", Decimal("150.00"))
    assert sorted(case.lines.values_list("amount", flat=True)) == [Decimal("150.00")]
    with pytest.raises(OrderStateConflict):
        after_sale_approve(actor=cs_agent, after_sale=case)


def test_an_approval_above_the_requested_amount_is_refused(request_case, cs_agent):
    case = request_case()
    with pytest.raises(InvalidOrderInput):
        after_sale_approve(actor=cs_agent, after_sale=case, amount="99.01")
    case.refresh_from_db()
    assert case.status == "requested"


def test_rejecting_needs_a_reason_and_stops_the_clock(request_case, cs_agent, clock):
    case = request_case()
    with pytest.raises(InvalidOrderInput):
        after_sale_reject(actor=cs_agent, after_sale=case, reason="  ")
    after_sale_reject(actor=cs_agent, after_sale=case, reason="影响二次销售")
    case.refresh_from_db()
    assert (case.status, case.decision_reason) == ("rejected", "影响二次销售")
    assert clock("after_sale.review", case).status == "met"


def test_staff_without_the_permission_are_refused_and_outside_the_region_find_nothing(
    request_case, staff, cs_north
):
    case = request_case()
    viewer = staff("viewer", ("orders.view_aftersale",))
    with pytest.raises(OrdersPermissionDenied):
        after_sale_approve(actor=viewer, after_sale=case)
    with pytest.raises(AfterSaleNotFound):
        after_sale_approve(actor=cs_north, after_sale=case)
    case.refresh_from_db()
    assert case.status == "requested"


def test_a_review_clock_left_open_breaches_once(request_case, cs_agent, clock):
    case = request_case()
    later = timezone.now() + timedelta(hours=2)
    first = sla_scan(actor=system_actor(), now=later)
    second = sla_scan(actor=system_actor(), now=later)
    review = clock("after_sale.review", case)
    assert review.status == "breached" and review.escalated_at is not None
    assert first.breached >= 1 and second.breached == 0
    after_sale_approve(actor=cs_agent, after_sale=case)
    review.refresh_from_db()
    assert review.status == "breached" and review.closed_at is not None
    assert SlaClock.objects.filter(kind="after_sale.review", status="breached").count() == 1


def test_a_rejected_member_disputes_once_and_gets_a_plan_within_48_hours(
    request_case, buyer, cs_agent, clock
):
    case = request_case()
    after_sale_reject(actor=cs_agent, after_sale=case, reason="超出范围")
    after_sale_dispute(actor=buyer, after_sale=case, reason="质量问题明显")
    case.refresh_from_db()
    assert case.status == "disputed"
    plan_clock = clock("after_sale.dispute_plan", case)
    assert plan_clock.due_at - plan_clock.started_at == timedelta(hours=48)
    after_sale_plan(actor=cs_agent, after_sale=case, plan="维持原判", approve=False)
    case.refresh_from_db()
    assert (case.status, case.dispute_plan) == ("rejected", "维持原判")
    assert clock("after_sale.dispute_plan", case).status == "met"
    with pytest.raises(AfterSaleNotAllowed):
        after_sale_dispute(actor=buyer, after_sale=case, reason="再申诉")


def test_a_plan_that_approves_the_dispute_sends_the_refund_to_finance(
    request_case, buyer, cs_agent, clock
):
    case = request_case()
    after_sale_reject(actor=cs_agent, after_sale=case, reason="超出范围")
    after_sale_dispute(actor=buyer, after_sale=case, reason="不同意")
    after_sale_plan(actor=cs_agent, after_sale=case, plan="同意退款", approve=True)
    case.refresh_from_db()
    assert (case.status, case.approved_amount) == ("refunding", Decimal("99.00"))
    assert clock("refund.execute", case).status == "open"


def test_only_the_member_disputes_and_only_a_rejected_case(request_case, buyer, cs_agent):
    case = request_case()
    with pytest.raises(OrderStateConflict):
        after_sale_dispute(actor=buyer, after_sale=case, reason="x")
    after_sale_reject(actor=cs_agent, after_sale=case, reason="no")
    with pytest.raises(OrdersPermissionDenied):
        after_sale_dispute(actor=cs_agent, after_sale=case, reason="x")
