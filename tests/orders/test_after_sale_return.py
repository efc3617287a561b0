# ruff: noqa: F811 - fixtures imported from after_sales_fixtures are parameters here
"""Returned goods come back into stock through dispatch; an exchange ships a replacement."""

from __future__ import annotations

from decimal import Decimal

import pytest

from dispatch.models import Allocation, ReturnReceipt, Stock
from orders.exceptions import InvalidOrderInput, OrderStateConflict
from orders.services.after_sales import (
    after_sale_approve,
    after_sale_cancel,
    after_sale_receive,
    after_sale_refund_execute,
    after_sale_request,
    after_sale_reship_done,
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


def _returning(buyer, order, cs_agent, kind="return_refund", quantity=2):
    case = after_sale_request(
        actor=buyer,
        order=order,
        kind=kind,
        lines=[(order.lines.get(), quantity)],
        reason="quality",
    )
    after_sale_approve(actor=cs_agent, after_sale=case)
    case.refresh_from_db()
    assert case.status == "returning"
    return case


def test_received_returns_go_back_on_hand_and_then_to_finance(
    buyer, received_order, sku, cs_agent, finance, warehouses, clock
):
    stock = Stock.objects.get(sku=sku, warehouse=warehouses["WH-SH"])
    assert (stock.on_hand, stock.reserved) == (48, 0)
    case = _returning(buyer, received_order, cs_agent)
    after_sale_receive(actor=cs_agent, after_sale=case, warehouse=warehouses["WH-SH"])
    stock.refresh_from_db()
    assert (stock.on_hand, stock.reserved) == (50, 0)
    receipt = ReturnReceipt.objects.get(order_no=received_order.order_no)
    assert receipt.warehouse == warehouses["WH-SH"]
    case.refresh_from_db()
    assert case.status == "refunding" and case.received_at is not None
    assert clock("refund.execute", case).status == "open"
    after_sale_refund_execute(actor=finance, after_sale=case)
    received_order.refresh_from_db()
    assert received_order.refunded_amount == Decimal("198.00")
    assert list(case.events.values_list("type", flat=True)) == [
        "request",
        "approve",
        "return_wait",
        "receive",
        "refund_wait",
        "refund",
        "complete",
    ]


def test_a_partial_receipt_books_only_what_arrived(
    buyer, received_order, sku, cs_agent, warehouses
):
    case = _returning(buyer, received_order, cs_agent)
    after_sale_receive(
        actor=cs_agent, after_sale=case, warehouse=warehouses["WH-SH"], lines=[(sku.code, 1)]
    )
    assert Stock.objects.get(sku=sku, warehouse=warehouses["WH-SH"]).on_hand == 49


def test_more_units_than_the_case_or_another_sku_are_refused_and_nothing_is_booked(
    buyer, received_order, sku, cs_agent, warehouses
):
    case = _returning(buyer, received_order, cs_agent, quantity=1)
    for lines in ([(sku.code, 2)], [("OTHER", 1)], [(sku.code, 0)]):
        with pytest.raises(InvalidOrderInput):
            after_sale_receive(
                actor=cs_agent, after_sale=case, warehouse=warehouses["WH-SH"], lines=lines
            )
    assert not ReturnReceipt.objects.exists()
    assert Stock.objects.get(sku=sku, warehouse=warehouses["WH-SH"]).on_hand == 48


def test_an_exchange_reserves_a_replacement_and_completes_when_shipped(
    buyer, received_order, sku, cs_agent, warehouses
):
    case = _returning(buyer, received_order, cs_agent, kind="exchange", quantity=1)
    assert case.approved_amount == Decimal("0.00")
    after_sale_receive(actor=cs_agent, after_sale=case, warehouse=warehouses["WH-SH"])
    case.refresh_from_db()
    assert case.status == "reshipping"
    assert Allocation.objects.filter(order_no=case.case_no).exists()
    stock = Stock.objects.get(sku=sku, warehouse=warehouses["WH-SH"])
    assert (stock.on_hand, stock.reserved) == (49, 1)
    after_sale_reship_done(actor=cs_agent, after_sale=case)
    case.refresh_from_db()
    assert case.status == "completed"
    received_order.refresh_from_db()
    assert received_order.refunded_amount == Decimal("0.00")


def test_goods_cannot_be_received_before_the_case_is_approved(
    buyer, received_order, cs_agent, warehouses
):
    case = after_sale_request(
        actor=buyer,
        order=received_order,
        kind="return_refund",
        lines=[(received_order.lines.get(), 1)],
        reason="quality",
    )
    with pytest.raises(OrderStateConflict):
        after_sale_receive(actor=cs_agent, after_sale=case, warehouse=warehouses["WH-SH"])


def test_the_member_cancels_a_case_on_its_way_back_and_its_clocks_stop(
    buyer, received_order, cs_agent, clock, warehouses
):
    requested = after_sale_request(
        actor=buyer,
        order=received_order,
        kind="refund_only",
        lines=[(received_order.lines.get(), 1)],
        reason="other",
    )
    after_sale_cancel(actor=buyer, after_sale=requested)
    requested.refresh_from_db()
    assert requested.status == "cancelled"
    assert clock("after_sale.review", requested).status == "cancelled"
    case = _returning(buyer, received_order, cs_agent, quantity=1)
    after_sale_cancel(actor=buyer, after_sale=case)
    with pytest.raises(OrderStateConflict):
        after_sale_receive(actor=cs_agent, after_sale=case, warehouse=warehouses["WH-SH"])
    with pytest.raises(OrderStateConflict):
        after_sale_cancel(actor=buyer, after_sale=case)
