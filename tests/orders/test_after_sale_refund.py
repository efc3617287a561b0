# ruff: noqa: F811 - fixtures imported from after_sales_fixtures are parameters here
"""Finance executes refunds: amounts to the cent, growth and points back, never above paid."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import timezone

from mall.core.actors import system_actor
from members.models import PointsEntry
from members.services.growth import growth_record_purchase
from members.services.points import points_earn_for_purchase
from orders.exceptions import OrderFrozen, OrdersPermissionDenied, OrderStateConflict
from orders.models import AfterSale, Order, OrderEvent, VirtualCode
from orders.services.after_sales import (
    after_sale_approve,
    after_sale_refund_execute,
    after_sale_request,
)
from orders.services.refunds import refund_request_open
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
def earned(buyer, received_order):
    """The completion grants of the received order: 198 growth, 198 points."""
    growth_record_purchase(
        actor=system_actor(), member=buyer, order_no=received_order.order_no, paid_amount="198.00"
    )
    points_earn_for_purchase(
        actor=system_actor(), member=buyer, order_no=received_order.order_no, paid_amount="198.00"
    )
    buyer.refresh_from_db()
    assert (buyer.growth, buyer.points_balance) == (198, 198)
    return buyer


def _approved(buyer, order, cs_agent, quantity=1, amount=None):
    case = after_sale_request(
        actor=buyer,
        order=order,
        kind="refund_only",
        lines=[(order.lines.get(), quantity)],
        reason="quality",
        amount=amount,
    )
    after_sale_approve(actor=cs_agent, after_sale=case)
    case.refresh_from_db()
    return case


def test_a_partial_refund_moves_the_money_and_takes_back_a_share_of_growth_and_points(
    earned, received_order, cs_agent, finance, clock
):
    case = _approved(earned, received_order, cs_agent, quantity=1, amount="49.50")
    after_sale_refund_execute(actor=finance, after_sale=case)
    case.refresh_from_db()
    received_order.refresh_from_db()
    line = received_order.lines.get()
    assert (case.status, case.refunded_amount) == ("completed", Decimal("49.50"))
    assert received_order.refunded_amount == Decimal("49.50")
    assert (line.refunded_quantity, line.refunded_amount) == (1, Decimal("49.50"))
    assert received_order.status == "completed"  # not wholly refunded
    earned.refresh_from_db()
    # 198 × 49.50 / 198 = 49.5 → 49 taken back (rounded down) for both ledgers
    assert (earned.growth, earned.points_balance) == (149, 149)
    assert clock("refund.execute", case).status == "met"


def test_refunding_everything_takes_back_all_growth_and_points_of_a_completed_order(
    earned, received_order, cs_agent, finance
):
    case = _approved(earned, received_order, cs_agent, quantity=2)
    after_sale_refund_execute(actor=finance, after_sale=case)
    received_order.refresh_from_db()
    # completed is final in the order table: it stays, showing refunded == paid
    assert (received_order.status, received_order.refunded_amount) == (
        "completed",
        Decimal("198.00"),
    )
    earned.refresh_from_db()
    assert (earned.growth, earned.points_balance) == (0, 0)


def test_refunding_everything_of_a_delivered_order_closes_it(
    buyer, make_order, sku, cs_agent, finance
):
    order = make_order(buyer, [(sku, 2)], status="delivered", delivered_at=timezone.now())
    case = _approved(buyer, order, cs_agent, quantity=2)
    after_sale_refund_execute(actor=finance, after_sale=case)
    order.refresh_from_db()
    assert (order.status, order.refunded_amount) == ("closed", Decimal("198.00"))
    assert order.closed_at is not None
    event = OrderEvent.objects.get(order=order, type="close")
    assert (event.from_status, event.actor_user) == ("delivered", finance)


def test_a_second_execution_is_refused_and_nothing_is_refunded_twice(
    buyer, received_order, cs_agent, finance
):
    case = _approved(buyer, received_order, cs_agent)
    after_sale_refund_execute(actor=finance, after_sale=case)
    with pytest.raises(OrderStateConflict):
        after_sale_refund_execute(actor=finance, after_sale=case)
    received_order.refresh_from_db()
    assert received_order.refunded_amount == Decimal("99.00")


def test_a_refund_never_exceeds_what_was_paid(buyer, received_order, cs_agent, finance):
    case = _approved(buyer, received_order, cs_agent, quantity=2)
    # the paid amount was corrected downwards meanwhile (a channel adjustment)
    Order.objects.filter(pk=received_order.pk).update(paid_amount=Decimal("150.00"))
    with pytest.raises(OrderStateConflict):
        after_sale_refund_execute(actor=finance, after_sale=case)
    received_order.refresh_from_db()
    case.refresh_from_db()
    assert (received_order.refunded_amount, case.status) == (Decimal("0.00"), "refunding")


def test_a_frozen_order_is_not_refunded_until_released(buyer, received_order, cs_agent, finance):
    case = _approved(buyer, received_order, cs_agent)
    Order.objects.filter(pk=received_order.pk).update(is_frozen=True)
    with pytest.raises(OrderFrozen):
        after_sale_refund_execute(actor=finance, after_sale=case)
    Order.objects.filter(pk=received_order.pk).update(is_frozen=False)
    after_sale_refund_execute(actor=finance, after_sale=case)
    case.refresh_from_db()
    assert case.status == "completed"


def test_only_finance_executes_refunds(buyer, received_order, cs_agent):
    case = _approved(buyer, received_order, cs_agent)
    with pytest.raises(OrdersPermissionDenied):
        after_sale_refund_execute(actor=cs_agent, after_sale=case)


def test_the_refund_request_of_a_cancelled_paid_order_is_executed_by_the_same_service(
    buyer, make_order, sku, finance, clock
):
    order = make_order(buyer, [(sku, 2)], status="approved")
    request = refund_request_open(actor=system_actor(), order=order, amount=order.paid_amount)
    after_sale_refund_execute(actor=finance, after_sale=request)
    request.refresh_from_db()
    order.refresh_from_db()
    assert (request.status, request.refunded_amount) == ("completed", Decimal("198.00"))
    assert order.refunded_amount == Decimal("198.00")
    assert order.status == "approved"  # cancellation moves it, not the refund
    assert order.lines.get().refunded_quantity == 2
    assert clock("refund.execute", request).status == "met"


def test_refunding_a_virtual_line_voids_its_unredeemed_codes(
    buyer, make_order, make_sku, cs_agent, finance
):
    from catalog.models import Product

    item = make_sku()
    Product.objects.filter(pk=item.product_id).update(is_virtual=True)
    item.refresh_from_db()
    order = make_order(buyer, [(item, 2)], status="completed", completed_at=timezone.now())
    line = order.lines.get()
    for number in range(2):
        VirtualCode.objects.create(
            line=line,
            order=order,
            code_encrypted=f"x{number}",
            code_hash=f"hash-{number}",
            status="issued" if number == 0 else "redeemed",
        )
    case = after_sale_request(
        actor=buyer, order=order, kind="refund_only", lines=[(line, 1)], reason="other"
    )
    after_sale_approve(actor=cs_agent, after_sale=case)
    after_sale_refund_execute(actor=finance, after_sale=case)
    assert sorted(VirtualCode.objects.values_list("status", flat=True)) == ["redeemed", "voided"]
    assert AfterSale.objects.get(pk=case.pk).status == "completed"
    assert not PointsEntry.objects.filter(reference=f"refund:{case.case_no}").exists()
