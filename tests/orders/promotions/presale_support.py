# ruff: noqa: F811 - fixtures imported from checkout_support are parameters here
"""Fixtures of the presale tests: a presale product on shelf, its orders, and paying
them through the storefront's sandbox channel."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from tests.orders.after_sales_fixtures import staff  # noqa: F401 - fixture
from tests.orders.checkout_support import (  # noqa: F401 - fixtures
    SHANGHAI,
    buyer,
    notify_body,
    on_shelf_sku,
    sandbox_post,
)

D = Decimal


@pytest.fixture
def presale_sku(on_shelf_sku):
    """A SKU at 300.00 of a presale product: deposit 50.00 a unit, final window from
    three days on for two days, shipped a week on."""
    from catalog.models import Product

    def make(*, price="300.00", deposit="50.00", starts_in=timedelta(days=3), quantity=50):
        sku = on_shelf_sku(quantity, price=price)
        now = timezone.now()
        Product.objects.filter(pk=sku.product_id).update(
            is_presale=True,
            presale_deposit_amount=D(deposit),
            presale_final_payment_starts_at=now + starts_in,
            presale_final_payment_ends_at=now + starts_in + timedelta(days=2),
            presale_ship_date=timezone.localdate(now + starts_in + timedelta(days=4)),
        )
        sku.product.refresh_from_db()
        return sku

    return make


@pytest.fixture
def presale_order(presale_sku, buyer):
    """An unpaid presale order of ``quantity`` units (600.00, deposit 100.00 for two)."""
    from orders.services.placement import order_place

    def make(quantity: int = 2, member=None, sku=None):
        sku = sku or presale_sku()
        return order_place(
            actor=member or buyer(),
            address=SHANGHAI,
            lines=[{"sku": sku.code, "quantity": quantity}],
        )

    return make


def start(client, order, channel="sandbox", scene="jsapi"):
    return client.post(
        f"/api/v1/store/orders/{order.order_no}/pay/",
        {"channel": channel, "scene": scene},
        format="json",
    )


def pay(client, api_client, order) -> str:
    """Start paying what is due now and have the sandbox report it paid; the number."""
    answer = start(client, order)
    assert answer.status_code == 200, answer.content
    number, amount = answer.json()["transaction_no"], answer.json()["amount"]
    assert sandbox_post(api_client, notify_body(number, amount)).status_code == 200
    order.refresh_from_db()
    return number


def open_final_window(order) -> None:
    """Move the order's final window so that it is open now."""
    from orders.models import Order

    now = timezone.now()
    Order.objects.filter(pk=order.pk).update(
        final_payment_starts_at=now - timedelta(minutes=1),
        final_payment_ends_at=now + timedelta(days=1),
    )
    order.refresh_from_db()


@pytest.fixture
def deposit_paid(presale_order, member_client, api_client):
    """A presale order (600.00) whose deposit (100.00) is paid: (order, deposit number)."""

    def make(quantity: int = 2):
        order = presale_order(quantity)
        number = pay(member_client(order.member), api_client, order)
        assert order.status == "deposit_paid", order.status
        return order, number

    return make


@pytest.fixture
def fully_paid(deposit_paid, member_client, api_client):
    """A presale paid in full (deposit, then the rest): (order, deposit no, final no)."""

    def make(quantity: int = 2):
        order, deposit_no = deposit_paid(quantity)
        open_final_window(order)
        final_no = pay(member_client(order.member), api_client, order)
        assert order.status == "pending_review", order.status
        return order, deposit_no, final_no

    return make
