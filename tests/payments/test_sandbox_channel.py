# ruff: noqa: F811 - fixtures imported from checkout_support are parameters here
"""Paying through the sandbox channel: start, signed callback, replays and refusals."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.core.management import call_command

from members.models import Coupon
from ops.models import AuditEntry, SlaClock, SystemParameter
from orders.models import AfterSale, Order
from orders.services.cancellation import order_cancel
from orders.services.placement import order_place
from payments.models import PaymentTransaction
from tests.orders.checkout_support import (  # noqa: F401 - fixtures
    SHANGHAI,
    buyer,
    give_coupon,
    notify_body,
    on_shelf_sku,
    sandbox_post,
    sign,
)

D = Decimal


@pytest.fixture
def placed(buyer, on_shelf_sku, give_coupon, member_client):
    """An unpaid order (with a coupon) and its member's API client."""
    member = buyer()
    item = on_shelf_sku(10, price="120.00")
    coupon = give_coupon(member, amount="20.00", threshold="100.00")
    order = order_place(
        actor=member,
        address=SHANGHAI,
        lines=[{"sku": item.code, "quantity": 1}],
        coupon_id=coupon.pk,
    )
    return order, member_client(member), coupon


def _start(client, order) -> dict:
    answer = client.post(
        f"/api/v1/store/orders/{order.order_no}/pay/", {"channel": "sandbox"}, format="json"
    )
    assert answer.status_code == 200, answer.content
    return answer.json()


def _clock(order, kind):
    return SlaClock.objects.filter(kind=kind, subject_id=str(order.pk)).first()


def test_starting_a_payment_answers_a_transaction_number_and_again_the_same(placed):
    order, client, _coupon = placed

    first = _start(client, order)
    again = _start(client, order)

    assert first["transaction_no"].startswith("PT") and first["channel"] == "sandbox"
    assert first["amount"] == "100.00"
    assert first["pay_params"]["notify_url"] == "/api/v1/payments/notify/sandbox/"
    assert again["transaction_no"] == first["transaction_no"]
    txn = PaymentTransaction.objects.get(transaction_no=first["transaction_no"])
    assert (txn.order_id, txn.channel, txn.status) == (order.pk, "sandbox", "unpaid")
    assert txn.total_amount == D("100.00")


def test_channels_not_configured_are_unavailable_and_others_orders_are_404(
    placed, buyer, member_client
):
    order, client, _coupon = placed
    url = f"/api/v1/store/orders/{order.order_no}/pay/"

    wechat = client.post(url, {"channel": "wechat"}, format="json")
    assert wechat.status_code == 400
    assert wechat.json()["error"]["code"] == "channel_unavailable"

    stranger = member_client(buyer()).post(url, {"channel": "sandbox"}, format="json")
    assert stranger.status_code == 404


def test_a_good_callback_pays_the_order_once_and_sends_it_to_review(placed, api_client):
    order, client, coupon = placed
    number = _start(client, order)["transaction_no"]
    body = notify_body(number, "100.00")

    answer = sandbox_post(api_client, body)
    replay = sandbox_post(api_client, body)

    assert (answer.status_code, answer.json()) == (200, {"code": "SUCCESS"})
    assert (replay.status_code, replay.json()) == (200, {"code": "SUCCESS"})
    order.refresh_from_db()
    assert order.status == Order.Status.PENDING_REVIEW
    assert order.paid_amount == D("100.00") and order.paid_at is not None
    assert order.needs_second_review is False
    assert list(order.events.values_list("type", flat=True)) == [
        "place",
        "pay_start",
        "pay",
        "submit_review",
    ]
    unpaid = _clock(order, "order.unpaid")
    assert (unpaid.status, unpaid.closed_outcome) == ("met", "met")
    review = _clock(order, "order.review")
    assert review.closed_at is None and review.status == "open"
    coupon.refresh_from_db()
    assert coupon.status == Coupon.Status.USED
    assert AuditEntry.objects.filter(action="order.pay", object_id=str(order.pk)).count() == 1


def test_a_bad_signature_is_401_and_changes_nothing(placed, api_client):
    order, client, _coupon = placed
    body = notify_body(_start(client, order)["transaction_no"], "100.00")

    forged = sandbox_post(api_client, body, signature="0" * 64)
    unsigned = sandbox_post(api_client, body, signature="")
    tampered = sandbox_post(api_client, body.replace(b"100.00", b"1.00"), signature=sign(body))

    assert forged.status_code == 401 and unsigned.status_code == 401
    assert forged.json()["error"]["code"] == "invalid_signature"
    assert tampered.status_code == 401
    order.refresh_from_db()
    assert order.status == Order.Status.PENDING_PAYMENT and order.paid_amount == 0


def test_an_amount_that_is_not_the_payable_amount_is_400_and_changes_nothing(placed, api_client):
    order, client, coupon = placed
    number = _start(client, order)["transaction_no"]

    answer = sandbox_post(api_client, notify_body(number, "99.99"))

    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == "amount_mismatch"
    order.refresh_from_db()
    coupon.refresh_from_db()
    assert order.status == Order.Status.PENDING_PAYMENT and order.paid_at is None
    assert coupon.status == Coupon.Status.LOCKED
    assert _clock(order, "order.unpaid").closed_at is None


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[]",
        b'{"transaction_no": "PT1"}',
        b'{"transaction_no": "PT1", "channel_trade_no": "X", "amount": 1.5, "status": "SUCCESS"}',
    ],
)
def test_a_bad_body_is_400(api_client, body, db):
    answer = sandbox_post(api_client, body, signature=sign(body))
    assert answer.status_code == 400


def test_an_unknown_transaction_is_400(api_client, db):
    answer = sandbox_post(api_client, notify_body("PT000", "1.00"))
    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == "unknown_transaction"


def test_a_large_payment_needs_a_second_reviewer(placed, api_client):
    SystemParameter.objects.create(key="orders.second_review_amount", value="100.00")
    order, client, _coupon = placed
    sandbox_post(api_client, notify_body(_start(client, order)["transaction_no"], "100.00"))
    order.refresh_from_db()
    assert order.needs_second_review is True


def test_a_payment_for_an_order_cancelled_meanwhile_is_recorded_and_refunded(placed, api_client):
    order, client, _coupon = placed
    number = _start(client, order)["transaction_no"]
    order_cancel(actor=order.member, order=order, reason="changed my mind")

    answer = sandbox_post(api_client, notify_body(number, "100.00"))
    replay = sandbox_post(api_client, notify_body(number, "100.00", nonce="n2"))

    assert answer.status_code == 200 and replay.status_code == 200
    order.refresh_from_db()
    assert order.status == Order.Status.CANCELLED and order.paid_amount == D("100.00")
    refund = AfterSale.objects.get(order=order)
    assert (refund.status, refund.approved_amount) == (AfterSale.Status.REFUNDING, D("100.00"))
    assert "paid_after_cancel" in list(order.events.values_list("type", flat=True))


def test_the_sandbox_pay_command_sends_a_signed_callback_through_the_same_path(placed):
    order, client, _coupon = placed
    _start(client, order)
    out = io.StringIO()

    call_command("sandbox_pay", order.order_no, stdout=out)

    order.refresh_from_db()
    assert order.status == Order.Status.PENDING_REVIEW
    assert "SUCCESS" in out.getvalue()


def test_paying_after_the_time_ran_out_or_twice_is_409(placed, api_client):
    from datetime import timedelta

    from django.utils import timezone

    order, client, _coupon = placed
    url = f"/api/v1/store/orders/{order.order_no}/pay/"
    Order.objects.filter(pk=order.pk).update(expires_at=timezone.now() - timedelta(seconds=1))

    late = client.post(url, {"channel": "sandbox"}, format="json")

    assert late.status_code == 409 and late.json()["error"]["code"] == "invalid_state"
    Order.objects.filter(pk=order.pk).update(expires_at=timezone.now() + timedelta(minutes=5))
    number = _start(client, order)["transaction_no"]
    sandbox_post(api_client, notify_body(number, "100.00"))
    again = client.post(url, {"channel": "sandbox"}, format="json")
    assert again.status_code == 409
