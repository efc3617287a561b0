# ruff: noqa: F811
"""Modification requests: an address change before shipping re-plans dispatch exactly
and sends a reviewed order back to review; after shipping it is refused at once."""

from __future__ import annotations

import pytest

from orders.exceptions import (
    InvalidOrderInput,
    OrderNotFound,
    OrdersPermissionDenied,
    OrderStateConflict,
)
from orders.models import ModificationRequest, Order
from orders.services.modifications import (
    modification_request_apply,
    modification_request_create,
    modification_request_payload,
    modification_request_refuse,
)
from tests.orders.fulfilment_support import (  # noqa: F401
    buyer,
    clocks,
    make_ops,
    running_clock,
    start_review_clock,
)

pytestmark = pytest.mark.django_db
CS = ("orders.view_order", "orders.modify_order")
BEIJING = {
    "province": "北京",
    "city": "北京市",
    "district": "朝阳区",
    "detail": "建国路 8 号",
    "recipient": "李四",
    "phone": "13700000000",
}


def _stock(sku):
    from dispatch.models import Stock

    return {
        s.warehouse.code: (s.on_hand, s.reserved)
        for s in Stock.objects.filter(sku=sku).select_related("warehouse")
    }


def test_an_address_change_re_plans_stock_and_sends_the_order_back_to_review(
    make_order, stocked_sku, buyer, make_ops, actor
):
    from dispatch.models import Allocation
    from mall.core.actors import system_actor
    from ops.services.sla import sla_clock_start

    sku = stocked_sku(10, where=("WH-SH", "WH-BJ"))
    order = make_order(buyer, [(sku, 3)], status="allocated")
    sla_clock_start(kind="order.ship", subject=order, actor=system_actor())
    assert _stock(sku) == {"WH-SH": (10, 3), "WH-BJ": (10, 0)}
    service = make_ops("cs-m", perms=CS, regions=None)

    request = modification_request_create(actor=buyer, order=order, address=BEIJING)
    assert modification_request_payload(actor=buyer, request=request)["recipient"] == "李四"
    assert "李四" not in request.payload_encrypted
    applied = modification_request_apply(actor=service, request=request)

    assert applied.status == ModificationRequest.Status.APPLIED and applied.decided_by == service
    order.refresh_from_db()
    assert order.status == Order.Status.PENDING_REVIEW
    assert (order.province.name, order.region.code, order.recipient, order.phone) == (
        "北京",
        "north",
        "李四",
        "13700000000",
    )
    assert order.reviewed_by is None and order.allocated_at is None
    assert _stock(sku) == {"WH-SH": (10, 0), "WH-BJ": (10, 3)}
    live = Allocation.objects.get(order_no=order.order_no, status="allocated")
    assert live.province.name == "北京"
    assert clocks("order.ship", order)[-1].status == "cancelled"
    assert running_clock("order.review", order) is not None
    types = list(order.events.values_list("type", flat=True))
    assert types == ["modification_request", "submit_review", "modification_apply"]


def test_when_the_new_province_cannot_be_served_nothing_changes(
    make_order, stocked_sku, buyer, make_ops
):
    from dispatch.exceptions import OutOfStock

    sku = stocked_sku(5)  # WH-SH only, which does not deliver to 北京
    order = make_order(buyer, [(sku, 2)], status="approved")
    service = make_ops("cs-m2", perms=CS, regions=None)
    request = modification_request_create(actor=service, order=order, address=BEIJING)

    with pytest.raises(OutOfStock):
        modification_request_apply(actor=service, request=request)

    order.refresh_from_db()
    assert (order.status, order.province.name) == ("approved", "上海")
    assert _stock(sku) == {"WH-SH": (5, 2)}
    request.refresh_from_db()
    assert request.status == ModificationRequest.Status.PENDING


def test_after_shipping_a_request_is_refused_at_once_with_the_reason(
    make_order, stocked_sku, buyer
):
    order = make_order(buyer, [(stocked_sku(), 1)], status="shipped")

    request = modification_request_create(actor=buyer, order=order, address=BEIJING)

    assert request.status == ModificationRequest.Status.REFUSED
    assert request.decision_reason
    assert Order.objects.get(pk=order.pk).province.name == "上海"


def test_refusals_of_requests(make_order, stocked_sku, buyer, make_member, make_ops):
    order = make_order(buyer, [(stocked_sku(), 1)], status="pending_review")
    with pytest.raises(OrderNotFound):
        modification_request_create(actor=make_member("13800000003"), order=order, address=BEIJING)
    with pytest.raises(InvalidOrderInput):
        modification_request_create(actor=buyer, order=order, address={**BEIJING, "phone": ""})
    with pytest.raises(InvalidOrderInput):
        modification_request_create(
            actor=buyer, order=order, address={**BEIJING, "province": "火星"}
        )
    request = modification_request_create(actor=buyer, order=order, address=BEIJING)
    with pytest.raises(OrdersPermissionDenied):
        modification_request_apply(
            actor=make_ops("v", perms=("orders.view_order",)), request=request
        )
    service = make_ops("cs-m3", perms=CS)
    refused = modification_request_refuse(actor=service, request=request, reason="地址无法配送")
    assert refused.status == ModificationRequest.Status.REFUSED
    with pytest.raises(OrderStateConflict):
        modification_request_apply(actor=service, request=request)


def test_applying_clears_a_review_hold(make_order, stocked_sku, buyer, make_ops):
    sku = stocked_sku(5, where=("WH-SH", "WH-BJ"))
    order = make_order(
        buyer,
        [(sku, 1)],
        status="pending_review",
        is_review_held=True,
        review_hold_reason="地址不详",
    )
    start_review_clock(order)
    service = make_ops("cs-m4", perms=CS, regions=None)
    request = modification_request_create(actor=service, order=order, address=BEIJING)

    modification_request_apply(actor=service, request=request)

    order.refresh_from_db()
    assert (order.status, order.is_review_held, order.review_hold_reason) == (
        "pending_review",
        False,
        "",
    )
