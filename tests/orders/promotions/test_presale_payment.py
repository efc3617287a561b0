# ruff: noqa: F811 - fixtures imported from presale_support are parameters here
"""Presale: placement terms, the deposit then the rest through the sandbox channel,
the final window, amounts adding up, and what the storefront shows."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from ops.models import AuditEntry, SlaClock
from orders.exceptions import InvalidOrderInput
from orders.models import Order, OrderEvent
from orders.services.payment import order_amount_due
from orders.services.placement import order_place
from payments.models import PaymentTransaction
from tests.orders.promotions.presale_support import (  # noqa: F401 - fixtures
    SHANGHAI,
    buyer,
    deposit_paid,
    fully_paid,
    on_shelf_sku,
    open_final_window,
    pay,
    presale_order,
    presale_sku,
    start,
)

pytestmark = pytest.mark.django_db
D = Decimal


def _clock(order, kind):
    return SlaClock.objects.filter(kind=kind, subject_id=str(order.pk)).order_by("-id").first()


def test_a_presale_order_takes_the_deposit_window_and_ship_date_of_its_product(
    presale_sku, presale_order
):
    sku = presale_sku()
    order = presale_order(2, sku=sku)
    product = sku.product

    assert order.is_presale and order.status == Order.Status.PENDING_PAYMENT
    assert (order.total_amount, order.deposit_amount) == (D("600.00"), D("100.00"))
    assert order.final_payment_starts_at == product.presale_final_payment_starts_at
    assert order.final_payment_ends_at == product.presale_final_payment_ends_at
    assert order.presale_ship_date == product.presale_ship_date
    assert order_amount_due(order=order) == D("100.00")
    assert order.expires_at is not None  # the deposit's unpaid clock, as usual
    assert _clock(order, "order.unpaid").closed_at is None
    place = OrderEvent.objects.get(order=order, type="place")
    assert place.data["deposit_amount"] == "100.00"


def test_a_presale_product_is_ordered_on_its_own(presale_sku, on_shelf_sku, buyer):
    presale, other = presale_sku(), on_shelf_sku(10, price="20.00")

    with pytest.raises(InvalidOrderInput) as refused:
        order_place(
            actor=buyer(),
            address=SHANGHAI,
            lines=[{"sku": presale.code, "quantity": 1}, {"sku": other.code, "quantity": 1}],
        )

    assert refused.value.status_code == 400 and "lines" in refused.value.fields
    assert not Order.objects.exists()


def test_a_deposit_not_below_the_payable_amount_is_refused(presale_sku, presale_order):
    sku = presale_sku(price="100.00", deposit="100.00")

    with pytest.raises(InvalidOrderInput) as refused:
        presale_order(1, sku=sku)

    assert "lines" in refused.value.fields
    assert not Order.objects.exists()


def test_deposit_then_final_payment_through_the_sandbox_channel(
    presale_order, member_client, api_client
):
    order = presale_order(2)
    client = member_client(order.member)

    answer = start(client, order)
    assert answer.status_code == 200 and answer.json()["amount"] == "100.00"
    deposit_no = pay(client, api_client, order)
    deposit = PaymentTransaction.objects.get(transaction_no=deposit_no)

    assert order.status == Order.Status.DEPOSIT_PAID
    assert (order.paid_amount, order.deposit_payment_no) == (D("100.00"), deposit_no)
    assert order.deposit_paid_at is not None and order.paid_at is None
    assert order_amount_due(order=order) == D("500.00")
    assert _clock(order, "order.unpaid").status == "met"
    assert _clock(order, "order.review") is None
    assert AuditEntry.objects.filter(action="order.pay_deposit", object_id=str(order.pk)).exists()

    # The rest only inside the final window (three days on): 409, saying when it opens.
    early = start(client, order)
    assert early.status_code == 409 and early.json()["error"]["code"] == "invalid_state"
    assert "final_payment_starts_at" in early.json()["error"]

    open_final_window(order)
    answer = start(client, order)
    assert answer.status_code == 200 and answer.json()["amount"] == "500.00"
    final_no = pay(client, api_client, order)
    final = PaymentTransaction.objects.get(transaction_no=final_no)

    assert final_no != deposit_no and final.expires_at == order.final_payment_ends_at
    assert order.status == Order.Status.PENDING_REVIEW
    assert (order.paid_amount, order.payment_no) == (D("600.00"), final_no)
    assert order.paid_at is not None and order_amount_due(order=order) == D("0.00")
    # amounts add up: the two ordinary transactions make the total
    assert deposit.paid_amount + final.paid_amount == order.total_amount
    assert (deposit.status, final.status) == ("paid", "paid")
    assert _clock(order, "order.review").closed_at is None
    events = OrderEvent.objects.filter(order=order).order_by("id")
    types = list(events.values_list("type", flat=True))
    assert types.count("pay_deposit") == 1 and types[-2:] == ["pay", "submit_review"]


def test_the_final_payment_after_its_window_is_refused(deposit_paid, member_client):
    order, _deposit_no = deposit_paid()
    Order.objects.filter(pk=order.pk).update(
        final_payment_starts_at=timezone.now() - timedelta(days=2),
        final_payment_ends_at=timezone.now() - timedelta(minutes=1),
    )

    answer = start(member_client(order.member), order)

    assert answer.status_code == 409 and answer.json()["error"]["code"] == "invalid_state"
    assert "final_payment_ends_at" in answer.json()["error"]
    assert PaymentTransaction.objects.filter(order=order).count() == 1  # the deposit only


def test_a_second_payment_of_the_deposit_is_refunded_not_taken_as_the_final(
    presale_order, member_client, api_client, django_capture_on_commit_callbacks
):
    from tests.orders.checkout_support import notify_body, sandbox_post

    order = presale_order(2)
    client = member_client(order.member)
    first = start(client, order, scene="jsapi").json()["transaction_no"]
    second = start(client, order, scene="native").json()["transaction_no"]
    open_final_window(order)  # the final window is open, and the second deposit arrives
    assert sandbox_post(api_client, notify_body(first, "100.00")).status_code == 200

    with django_capture_on_commit_callbacks(execute=True):
        assert sandbox_post(api_client, notify_body(second, "100.00")).status_code == 200

    order.refresh_from_db()
    assert order.status == Order.Status.DEPOSIT_PAID and order.paid_amount == D("100.00")
    duplicate = PaymentTransaction.objects.get(transaction_no=second)
    assert duplicate.refunded_amount == D("100.00")


def test_the_storefront_shows_the_deposit_the_rest_the_window_and_the_ship_date(
    deposit_paid, member_client
):
    order, _deposit_no = deposit_paid()
    open_final_window(order)

    answer = member_client(order.member).get(f"/api/v1/store/orders/{order.order_no}/")

    assert answer.status_code == 200
    body = answer.json()
    assert (body["status"], body["amount_due"], body["payable_amount"]) == (
        "deposit_paid",
        "500.00",
        "600.00",
    )
    presale = body["presale"]
    assert (presale["deposit_amount"], presale["final_amount"]) == ("100.00", "500.00")
    assert presale["final_payment_open"] is True
    assert presale["ship_date"] == order.presale_ship_date.isoformat()
    assert presale["deposit_paid_at"] is not None


def test_an_ordinary_order_shows_no_presale_block(on_shelf_sku, buyer, member_client):
    sku = on_shelf_sku(5, price="20.00")
    member = buyer()
    order = order_place(actor=member, address=SHANGHAI, lines=[{"sku": sku.code, "quantity": 1}])

    body = member_client(member).get(f"/api/v1/store/orders/{order.order_no}/").json()

    assert body["presale"] is None and body["amount_due"] == f"{order.total_amount:.2f}"


def test_the_ship_clock_of_a_presale_starts_at_the_later_of_approval_and_the_ship_date(
    presale_order,
):
    from orders.promotions.presale import presale_ship_clock_start

    order = presale_order(1)
    ship_day = timezone.make_aware(
        timezone.datetime.combine(order.presale_ship_date, timezone.datetime.min.time())
    )
    before, after = ship_day - timedelta(days=3), ship_day + timedelta(hours=5)

    assert presale_ship_clock_start(order=order, approved_at=before) == ship_day
    assert presale_ship_clock_start(order=order, approved_at=after) == after
    order.is_presale = False
    assert presale_ship_clock_start(order=order, approved_at=before) == before
