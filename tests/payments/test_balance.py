# ruff: noqa: F811 - fixtures imported from refund_support are parameters here
"""The member balance (储值): recharge through a channel, pay with it, refunds back to it,
the ledger's invariants and the verify command."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from mall.core.actors import system_actor
from mall.core.exceptions import InvalidInput, PermissionDeniedError
from members.exceptions import InsufficientBalance, InvalidBalanceAmount, LedgerReferenceTaken
from members.models import BalanceEntry, Member
from members.services.balance import (
    balance_adjust,
    balance_pay,
    balance_recharge,
    balance_refund,
    balance_verify,
)
from ops.models import AuditEntry
from orders.services.after_sales import after_sale_refund_execute
from payments.models import PaymentTransaction, Refund
from tests.orders.checkout_support import notify_body, sandbox_post
from tests.payments.refund_support import (  # noqa: F401 - fixtures
    buyer,
    cs_agent,
    finance,
    on_shelf_sku,
    paid_order,
    place,
    refund_case,
    staff,
    start,
)

pytestmark = pytest.mark.django_db
D = Decimal
RECHARGE_URL = "/api/v1/store/me/balance/recharge/"


def _balance(member) -> Decimal:
    member.refresh_from_db(fields=["balance_amount"])
    return member.balance_amount


def _fund(member, amount) -> None:
    balance_recharge(actor=system_actor(), member=member, amount=amount, reference=f"T{amount}")


def test_a_recharge_through_the_sandbox_is_credited_once(buyer, member_client, api_client):
    member = buyer()
    client = member_client(member)

    started = client.post(RECHARGE_URL, {"amount": "100.00", "channel": "sandbox"}, format="json")

    assert started.status_code == 200, started.content
    number = started.json()["transaction_no"]
    txn = PaymentTransaction.objects.get(transaction_no=number)
    assert (txn.purpose, txn.order_id, txn.region_id, txn.member_id) == (
        "recharge",
        None,
        None,
        member.pk,
    )
    assert started.json()["pay_params"]["notify_url"] == "/api/v1/payments/notify/sandbox/"
    assert _balance(member) == 0  # nothing before the channel says paid
    first = sandbox_post(api_client, notify_body(number, "100.00"))
    again = sandbox_post(api_client, notify_body(number, "100.00", nonce="n2"))
    assert first.status_code == 200 and again.status_code == 200
    assert _balance(member) == D("100.00")
    entry = BalanceEntry.objects.get(member=member)
    assert (entry.kind, entry.reference, entry.amount) == ("recharge", number, D("100.00"))
    txn.refresh_from_db()
    assert txn.status == "paid"
    statement = client.get("/api/v1/store/me/balance/")
    assert statement.status_code == 200
    assert statement.json()["balance"] == "100.00"
    assert [(e["kind"], e["amount"]) for e in statement.json()["entries"]] == [
        ("recharge", "100.00")
    ]


@pytest.mark.parametrize(
    "body",
    [
        {"amount": "0.99", "channel": "sandbox"},
        {"amount": "50000.01", "channel": "sandbox"},
        {"amount": "1e10", "channel": "sandbox"},
        {"amount": "abc", "channel": "sandbox"},
        {"amount": "10.00", "channel": "balance"},
        {"amount": "10.00", "channel": "sandbox", "scene": "nowhere"},
        {"amount": "10.00", "channel": "wechat"},  # not configured here
    ],
)
def test_a_recharge_outside_the_bounds_or_from_the_balance_is_400(buyer, member_client, body):
    answer = member_client(buyer()).post(RECHARGE_URL, body, format="json")
    assert answer.status_code == 400, answer.content
    assert not PaymentTransaction.objects.exists()


def test_the_balance_endpoints_need_a_member(api_client, db):
    assert api_client.get("/api/v1/store/me/balance/").status_code in (401, 403)
    assert api_client.post(RECHARGE_URL, {"amount": "10.00"}, format="json").status_code in (
        401,
        403,
    )


def test_paying_with_the_balance_pays_the_order_at_once(place, buyer, member_client):
    member = buyer()
    _fund(member, "500.00")
    order = place(member)

    answer = start(member_client(member), order, channel="balance")

    assert answer.status_code == 200, answer.content
    assert answer.json()["status"] == "paid"
    order.refresh_from_db()
    assert order.status == "pending_review" and order.paid_amount == order.total_amount
    txn = PaymentTransaction.objects.get(transaction_no=answer.json()["transaction_no"])
    assert (txn.status, txn.fee_amount) == ("paid", D("0.00"))
    assert _balance(member) == D("500.00") - order.total_amount
    pay = BalanceEntry.objects.get(member=member, kind="pay")
    assert (pay.reference, pay.amount) == (txn.transaction_no, -order.total_amount)
    assert balance_verify(actor=system_actor()) == []


def test_a_balance_too_small_is_409_and_leaves_nothing(place, buyer, member_client):
    member = buyer()
    _fund(member, "10.00")
    order = place(member)

    answer = start(member_client(member), order, channel="balance")

    assert answer.status_code == 409
    assert answer.json()["error"]["code"] == "insufficient_balance"
    order.refresh_from_db()
    assert order.status == "pending_payment"
    assert not PaymentTransaction.objects.filter(order=order).exists()
    assert _balance(member) == D("10.00")


def test_an_after_sales_refund_of_a_balance_payment_goes_back_to_the_balance_at_once(
    paid_order, buyer, cs_agent, finance, django_capture_on_commit_callbacks
):
    member = buyer()
    _fund(member, "300.00")
    order, txn = paid_order(channel="balance", member=member)
    case = refund_case(order, cs_agent, amount="40.00")
    before = _balance(member)

    with django_capture_on_commit_callbacks(execute=True):
        after_sale_refund_execute(actor=finance, after_sale=case)

    case.refresh_from_db()
    refund = Refund.objects.get(after_sale_case_no=case.case_no)
    txn.refresh_from_db()
    assert case.status == "completed" and case.refund_submitted_at is None
    assert (refund.status, refund.channel) == ("succeeded", "balance")
    assert (txn.status, txn.refunded_amount) == ("partially_refunded", D("40.00"))
    assert _balance(member) == before + D("40.00")
    entry = BalanceEntry.objects.get(kind="refund", reference=refund.refund_no)
    assert entry.amount == D("40.00") and entry.member_id == member.pk
    assert balance_verify(actor=system_actor()) == []


def test_posting_the_same_reference_twice_changes_nothing(buyer):
    member, other = buyer(), buyer()
    first = balance_recharge(actor=system_actor(), member=member, amount="50.00", reference="R1")
    again = balance_recharge(actor=system_actor(), member=member, amount="50.00", reference="R1")
    paid = balance_pay(actor=system_actor(), member=member, amount="20.00", reference="P1")
    paid_again = balance_pay(actor=system_actor(), member=member, amount="20.00", reference="P1")
    back = balance_refund(actor=system_actor(), member=member, amount="5.00", reference="F1")

    assert first.pk == again.pk and paid.pk == paid_again.pk
    assert (paid.amount, paid.balance_after, back.balance_after) == (
        D("-20.00"),
        D("30.00"),
        D("35.00"),
    )
    assert _balance(member) == D("35.00") and BalanceEntry.objects.count() == 3
    with pytest.raises(LedgerReferenceTaken):
        balance_recharge(actor=system_actor(), member=other, amount="50.00", reference="R1")
    assert AuditEntry.objects.filter(action="member.balance_pay").count() == 1


@pytest.mark.parametrize("amount", ["0", "-1.00", "0.001", "100000000.01", 1.5, True, "x"])
def test_amounts_that_are_not_positive_cents_are_refused(buyer, amount):
    with pytest.raises(InvalidBalanceAmount):
        balance_recharge(actor=system_actor(), member=buyer(), amount=amount, reference="R")
    assert not BalanceEntry.objects.exists()


def test_a_payment_never_takes_the_balance_below_zero(buyer):
    member = buyer()
    _fund(member, "30.00")
    with pytest.raises(InsufficientBalance):
        balance_pay(actor=system_actor(), member=member, amount="30.01", reference="P1")
    balance_pay(actor=system_actor(), member=member, amount="30.00", reference="P2")
    assert _balance(member) == 0


def test_staff_adjust_the_balance_with_the_permission_and_a_reason(buyer, staff):
    member = buyer()
    _fund(member, "20.00")
    clerk = staff("clerk", ("members.view_member",))
    keeper = staff("keeper", ("members.adjust_member_balance",))

    with pytest.raises(PermissionDeniedError):
        balance_adjust(actor=clerk, member=member, amount="5.00", reason="goodwill")
    with pytest.raises(PermissionDeniedError):
        balance_adjust(actor=member, member=member, amount="5.00", reason="goodwill")
    with pytest.raises(InvalidInput):
        balance_adjust(actor=keeper, member=member, amount="5.00", reason=" ")
    with pytest.raises(InsufficientBalance):
        balance_adjust(actor=keeper, member=member, amount="-20.01", reason="correction")
    up = balance_adjust(actor=keeper, member=member, amount="5.00", reason="goodwill")
    down = balance_adjust(actor=keeper, member=member, amount="-25.00", reason="correction")

    assert (up.kind, up.amount, up.note) == ("adjustment", D("5.00"), "goodwill")
    assert (down.amount, down.balance_after) == (D("-25.00"), D("0.00"))
    assert up.reference != down.reference
    assert AuditEntry.objects.filter(action="member.balance_adjustment").count() == 2


def test_balance_verify_finds_a_tampered_balance(buyer):
    member = buyer()
    _fund(member, "80.00")
    call_command("balance_verify", stdout=io.StringIO())

    Member.objects.filter(pk=member.pk).update(balance_amount=D("81.00"))

    problems = balance_verify(actor=system_actor())
    assert [(p.member_id, p.balance, p.ledger_total) for p in problems] == [
        (member.pk, D("81.00"), D("80.00"))
    ]
    with pytest.raises(CommandError):
        call_command("balance_verify", stdout=io.StringIO())


def test_a_recharge_repeated_with_the_same_idempotency_key_is_one_transaction(buyer, member_client):
    client = member_client(buyer())
    body = {"amount": "20.00", "channel": "sandbox", "scene": "h5"}

    first = client.post(RECHARGE_URL, body, format="json", HTTP_IDEMPOTENCY_KEY="top-up-1")
    again = client.post(RECHARGE_URL, body, format="json", HTTP_IDEMPOTENCY_KEY="top-up-1")

    assert first.status_code == again.status_code == 200
    assert first.json()["transaction_no"] == again.json()["transaction_no"]
    assert PaymentTransaction.objects.filter(purpose="recharge").count() == 1
