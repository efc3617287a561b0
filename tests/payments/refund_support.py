# ruff: noqa: F811 - fixtures imported from checkout_support are parameters here
"""Fixtures of the refund and balance tests (imported by those modules).

``paid_order(channel=…)`` places an order of one unit at 120.00 and pays it through the
storefront (sandbox: a signed callback; balance: at once) → (order, transaction).
``finance`` may execute after-sales refunds and retry failed refunds; ``cs_agent``
approves cases.
"""

from __future__ import annotations

import pytest

from tests.orders.after_sales_fixtures import CS_PERMS, FINANCE_PERMS, staff  # noqa: F401
from tests.orders.checkout_support import (  # noqa: F401 - fixtures
    SHANGHAI,
    buyer,
    notify_body,
    on_shelf_sku,
    sandbox_post,
)

REFUND_FINANCE_PERMS = (
    *FINANCE_PERMS,
    "payments.view_refund",
    "payments.retry_refund",
    "payments.view_paymenttransaction",
)


@pytest.fixture
def finance(staff):
    return staff("finance", REFUND_FINANCE_PERMS)


@pytest.fixture
def cs_agent(staff):
    return staff("cs_agent", CS_PERMS)


@pytest.fixture
def place(buyer, on_shelf_sku):
    """An unpaid order of one unit at 120.00 for ``member`` (a new one by default)."""
    from orders.services.placement import order_place

    item = on_shelf_sku(50, price="120.00")

    def make(member=None):
        member = member or buyer()
        return order_place(
            actor=member, address=SHANGHAI, lines=[{"sku": item.code, "quantity": 1}]
        )

    return make


def start(client, order, channel="sandbox", scene="jsapi"):
    return client.post(
        f"/api/v1/store/orders/{order.order_no}/pay/",
        {"channel": channel, "scene": scene},
        format="json",
    )


@pytest.fixture
def paid_order(place, member_client, api_client):
    from payments.models import PaymentTransaction

    def make(channel="sandbox", member=None):
        order = place(member)
        answer = start(member_client(order.member), order, channel)
        assert answer.status_code == 200, answer.content
        number = answer.json()["transaction_no"]
        if channel == "sandbox":
            amount = f"{order.total_amount:.2f}"
            assert sandbox_post(api_client, notify_body(number, amount)).status_code == 200
        order.refresh_from_db()
        assert order.status == "pending_review", order.status
        return order, PaymentTransaction.objects.get(transaction_no=number)

    return make


def refund_case(order, cs_agent, amount=None):
    """An approved refund-only case of the order's line (``refunding``)."""
    from orders.services.after_sales import after_sale_approve, after_sale_request

    case = after_sale_request(
        actor=order.member,
        order=order,
        kind="refund_only",
        lines=[(order.lines.get(), 1)],
        reason="quality",
        amount=amount,
    )
    after_sale_approve(actor=cs_agent, after_sale=case)
    case.refresh_from_db()
    assert case.status == "refunding", case.status
    return case
