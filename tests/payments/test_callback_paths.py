# ruff: noqa: F811 - fixtures imported from other test modules are parameters here
"""The callback's negative paths, each on record: what is stored, what is answered.

Every callback is written as a ``CallbackRecord`` before anything else (a forged one
too; only verified ones are channel-health samples); a forged, unsigned or tampered one is 401 and
changes nothing else; a body that is not the protocol is 400; a transaction we do not
have and an amount that is not the amount due open one anomaly each (however often
the channel repeats them) and are answered as failures, so the channel retries.
Answers as ../shared/API.md says: 200 ``{"code": "SUCCESS"}``; 400/401 in the API
error shape.
"""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from django.db import connection

from mall.core import guard as guard_module
from mall.core.guard import Verdict, register_review_handler, register_rule, unregister_rule
from ops.models import AuditEntry, StaffNotification
from orders.models import Order
from orders.services.placement import order_place
from payments.gateways.sandbox import sandbox_sign
from payments.models import (
    CallbackRecord,
    ChannelCall,
    PaymentAnomaly,
    PaymentTransaction,
    Refund,
)
from payments.services.transactions import payment_start
from tests.orders.after_sales_fixtures import staff  # noqa: F401 - fixture
from tests.orders.checkout_support import (  # noqa: F401 - fixtures
    SHANGHAI,
    buyer,
    notify_body,
    on_shelf_sku,
    sandbox_post,
    sign,
)

D = Decimal
MANAGE = "payments.manage_payment_anomaly"


@pytest.fixture
def started(buyer, on_shelf_sku):
    """An unpaid order with its unpaid sandbox transaction."""
    member = buyer()
    item = on_shelf_sku(10, price="120.00")
    order = order_place(actor=member, address=SHANGHAI, lines=[{"sku": item.code, "quantity": 1}])
    answer = payment_start(actor=member, order=order, channel="sandbox")
    return order, PaymentTransaction.objects.get(transaction_no=answer["transaction_no"])


def _due(txn) -> str:
    return f"{txn.total_amount:.2f}"


def _error(answer) -> dict:
    assert answer["Content-Type"] == "application/json"
    body = answer.json()
    assert set(body) == {"error"} and {"code", "message"} <= set(body["error"])
    return body["error"]


def _unchanged(order: Order, txn: PaymentTransaction) -> None:
    order.refresh_from_db()
    txn.refresh_from_db()
    assert order.status == Order.Status.PENDING_PAYMENT and order.paid_at is None
    assert order.paid_amount == 0 and order.payment_no == ""
    assert txn.status == PaymentTransaction.Status.UNPAID and txn.paid_at is None
    assert txn.paid_amount == 0 and txn.channel_trade_no == ""
    assert not AuditEntry.objects.filter(action__in=["payment.paid", "order.pay"]).exists()


def test_forged_unsigned_and_tampered_callbacks_are_401_on_record_and_change_nothing(
    started, api_client
):
    order, txn = started
    body = notify_body(txn.transaction_no, _due(txn))

    forged = sandbox_post(api_client, body, signature="0" * 64)
    unsigned = sandbox_post(api_client, body, signature="")
    tampered = sandbox_post(api_client, body.replace(b'"n1"', b'"n2"'), signature=sign(body))
    wrong_key = sandbox_post(api_client, body, signature=sandbox_sign("another-secret", body))

    for answer in (forged, unsigned, tampered, wrong_key):
        assert answer.status_code == 401
        assert _error(answer)["code"] == "invalid_signature"
    records = list(CallbackRecord.objects.order_by("id"))
    assert len(records) == 4
    for record in records:
        assert (record.outcome, record.verified, record.error_code) == (
            "rejected",
            False,
            "invalid_signature",
        )
        assert record.transaction_id is None and record.reference_no == ""
        assert record.channel == "sandbox" and record.kind == "payment"
    assert records[0].headers == {
        "X-Sandbox-Signature": "0" * 64,
        "Content-Type": "application/json",
    }
    assert records[0].body == body.decode()
    # Forged notices are not the channel's doing: no health sample (a flood of them must
    # not make a healthy channel look down).
    assert not ChannelCall.objects.filter(channel="sandbox", operation="notify").exists()
    _unchanged(order, txn)
    assert not PaymentAnomaly.objects.exists()


GOOD = {"transaction_no": "PT1", "channel_trade_no": "X", "amount": "1.00", "status": "SUCCESS"}


def _with(**fields) -> bytes:
    return json.dumps({**GOOD, **fields}).encode()


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[1, 2]",
        b'{"transaction_no": "PT1"}',
        _with(amount=1.5),  # a number, not a string with two decimals
        _with(amount="1.005"),
        _with(amount="-1.00"),
        _with(status="PAID"),
        _with(paid_at="2026-11-28T10:00:00"),  # no time zone
        _with(transaction_no="P" * 65),
    ],
)
def test_a_signed_body_that_is_not_the_protocol_is_400_on_record(api_client, db, body):
    answer = sandbox_post(api_client, body, signature=sign(body))

    assert answer.status_code == 400
    error = _error(answer)
    assert error["code"] == "invalid_notification" and error["message"]
    record = CallbackRecord.objects.get()
    assert (record.outcome, record.error_code) == ("rejected", "invalid_notification")
    assert not PaymentAnomaly.objects.exists()
    assert not ChannelCall.objects.filter(operation="notify").exists()


def test_an_unknown_transaction_is_one_anomaly_and_400(api_client, staff, db):
    holder = staff("finance_all", [MANAGE])
    body = notify_body("PT20261128NOSUCHNO1", "10.00")

    first = sandbox_post(api_client, body)
    again = sandbox_post(api_client, body)

    for answer in (first, again):
        assert answer.status_code == 400
        assert _error(answer)["code"] == "unknown_transaction"
    anomaly = PaymentAnomaly.objects.get()
    assert (anomaly.kind, anomaly.reference_no, anomaly.status) == (
        "unknown_transaction",
        "PT20261128NOSUCHNO1",
        "open",
    )
    assert anomaly.transaction_id is None and anomaly.reported_amount == D("10.00")
    records = CallbackRecord.objects.all()
    assert [(r.outcome, r.error_code, r.verified) for r in records] == [
        ("anomaly", "unknown_transaction", True)
    ] * 2
    assert StaffNotification.objects.filter(recipient=holder, kind="payments.anomaly").count() == 1
    assert ChannelCall.objects.filter(operation="notify", ok=True).count() == 2


def test_an_amount_mismatch_repeated_three_times_is_one_anomaly_and_asks_risk_each_time(
    started, api_client, staff, django_capture_on_commit_callbacks
):
    order, txn = started
    holder = staff("finance_all", [MANAGE])
    east = staff("finance_east", [MANAGE], scope="regions", regions=["east"])
    north = staff("finance_north", [MANAGE], scope="regions", regions=["north"])
    bystander = staff("clerk", ["orders.view_order"])
    asked: list[dict] = []

    def rule(**context):
        asked.append(context)
        return Verdict(decision="review", rule="test_payment_amount", reason="mismatch")

    opened: list[dict] = []

    def case_opener(**kwargs):
        opened.append(kwargs)

    register_rule("payment.callback", "test_payment_amount", rule)
    register_review_handler(case_opener)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            answers = [
                sandbox_post(api_client, notify_body(txn.transaction_no, "1.00", nonce=f"n{n}"))
                for n in range(3)
            ]
    finally:
        unregister_rule("payment.callback", "test_payment_amount")
        guard_module._review_handlers.remove(case_opener)

    for answer in answers:
        assert answer.status_code == 400
        assert _error(answer)["code"] == "amount_mismatch"
    anomaly = PaymentAnomaly.objects.get()
    assert (anomaly.kind, anomaly.transaction_id, anomaly.region_id) == (
        "amount_mismatch",
        txn.pk,
        order.region_id,
    )
    assert (anomaly.expected_amount, anomaly.reported_amount) == (txn.total_amount, D("1.00"))
    assert AuditEntry.objects.filter(action="payment.anomaly").count() == 1
    assert len(asked) == 3
    for context in asked:
        assert context["transaction"].pk == txn.pk
        assert context["reported_amount"] == D("1.00")
    # the review verdict reaches risk's case opener, after commit
    # (risk's own payment_amount_mismatch rule reports it too: both findings arrive)
    rules = [{f.rule for f in o["verdict"].findings} for o in opened]
    assert [(o["point"], o["subject"].pk) for o in opened] == [("payment.callback", txn.pk)] * 3
    assert all("test_payment_amount" in found for found in rules)
    notified = StaffNotification.objects.filter(kind="payments.anomaly")
    assert sorted(n.recipient.username for n in notified) == sorted(
        [holder.username, east.username]
    )
    assert not notified.filter(recipient__in=[north, bystander]).exists()
    records = CallbackRecord.objects.all()
    assert [(r.outcome, r.error_code, r.transaction_id) for r in records] == [
        ("anomaly", "amount_mismatch", txn.pk)
    ] * 3
    _unchanged(order, txn)


def test_a_wrong_amount_after_the_payment_is_still_an_anomaly_not_a_duplicate(started, api_client):
    _order, txn = started

    paid = sandbox_post(api_client, notify_body(txn.transaction_no, _due(txn)))
    wrong = sandbox_post(api_client, notify_body(txn.transaction_no, "0.01", nonce="n2"))

    assert paid.status_code == 200 and wrong.status_code == 400
    assert _error(wrong)["code"] == "amount_mismatch"
    txn.refresh_from_db()
    assert txn.status == PaymentTransaction.Status.PAID and txn.paid_amount == txn.total_amount
    assert PaymentAnomaly.objects.get().kind == "amount_mismatch"


def test_a_failed_payment_is_an_event_not_a_payment(started, api_client):
    order, txn = started

    answer = sandbox_post(api_client, notify_body(txn.transaction_no, _due(txn), status="FAILED"))

    assert (answer.status_code, answer.json()) == (200, {"code": "SUCCESS"})
    order.refresh_from_db()
    assert order.events.filter(type="payment_failed").count() == 1
    event = order.events.get(type="payment_failed")
    assert event.data["transaction_no"] == txn.transaction_no
    assert AuditEntry.objects.filter(action="payment.failed", object_id=str(txn.pk)).count() == 1
    record = CallbackRecord.objects.get()
    assert (record.outcome, record.verified, record.transaction_id) == ("ignored", True, txn.pk)
    _unchanged(order, txn)
    # The payer can still pay: a later success is applied.
    later = sandbox_post(api_client, notify_body(txn.transaction_no, _due(txn), nonce="n2"))
    assert later.status_code == 200
    order.refresh_from_db()
    assert order.status == Order.Status.PENDING_REVIEW


def test_the_callback_body_and_the_payer_are_stored_encrypted(started, api_client):
    _order, txn = started
    payer = "oPAYER-openid-7f3a9c"
    data = json.loads(notify_body(txn.transaction_no, _due(txn)))
    body = json.dumps({**data, "payer": payer}).encode()

    answer = sandbox_post(api_client, body)

    assert (answer.status_code, answer.json()) == (200, {"code": "SUCCESS"})
    record = CallbackRecord.objects.get()
    assert record.body == body.decode() and payer in record.body
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT body_encrypted FROM {CallbackRecord._meta.db_table} WHERE id = %s",
            [record.pk],
        )
        (raw_body,) = cursor.fetchone()
        cursor.execute(
            f"SELECT payer_encrypted FROM {PaymentTransaction._meta.db_table} WHERE id = %s",
            [txn.pk],
        )
        (raw_payer,) = cursor.fetchone()
    assert raw_body and payer not in raw_body and txn.transaction_no not in raw_body
    assert raw_payer and payer not in raw_payer
    txn.refresh_from_db()
    assert txn.payer == payer
    assert (record.outcome, record.verified, record.reference_no) == (
        "applied",
        True,
        txn.transaction_no,
    )


def test_the_answers_are_as_the_api_says(started, api_client):
    _order, txn = started
    body = notify_body(txn.transaction_no, _due(txn))

    applied = sandbox_post(api_client, body)
    replay = sandbox_post(api_client, body)
    unknown_channel = api_client.post(
        "/api/v1/payments/notify/paypal/", data=body, content_type="application/json"
    )
    get = api_client.get("/api/v1/payments/notify/sandbox/")

    for answer in (applied, replay):
        assert answer.status_code == 200
        assert answer["Content-Type"] == "application/json"
        assert answer.content == b'{"code": "SUCCESS"}'
    assert unknown_channel.status_code == 404
    assert get.status_code == 405
    records = CallbackRecord.objects.order_by("id")
    assert [r.outcome for r in records] == ["applied", "duplicate"]
    assert AuditEntry.objects.filter(action="payment.paid", object_id=str(txn.pk)).count() == 1


def test_a_late_payment_with_a_shipping_fee_is_refunded_in_full(buyer, on_shelf_sku, api_client):
    """The refund request of a payment after cancellation covers the shipping fee too:
    the goods are booked on the lines, the fee on the order (it used to be split over
    the lines and refused at execution as more than a line had paid)."""
    from mall.core.actors import system_actor
    from orders.models import AfterSale
    from orders.services.after_sales import after_sale_refund_execute
    from orders.services.cancellation import order_cancel

    member = buyer()
    item = on_shelf_sku(10, price="30.00")
    order = order_place(actor=member, address=SHANGHAI, lines=[{"sku": item.code, "quantity": 1}])
    started = payment_start(actor=member, order=order, channel="sandbox")
    txn = PaymentTransaction.objects.get(transaction_no=started["transaction_no"])
    shipping = order.shipping_amount - order.shipping_discount_amount
    assert shipping > 0 and txn.total_amount == D("30.00") + shipping
    order_cancel(actor=order.member, order=order, reason="不要了")

    answer = sandbox_post(api_client, notify_body(txn.transaction_no, _due(txn)))
    case = AfterSale.objects.get(order=order)
    after_sale_refund_execute(actor=system_actor(), after_sale=case)

    assert answer.status_code == 200
    case.refresh_from_db()
    order.refresh_from_db()
    assert case.approved_amount == txn.total_amount and case.refund_submitted_at is not None
    lines = list(case.lines.values_list("amount", flat=True))
    assert sum(lines) == D("30.00")
    assert order.refunded_amount == txn.total_amount
    refund = Refund.objects.get(transaction=txn)
    assert (refund.source, refund.amount) == ("after_sale", txn.total_amount)
    assert refund.after_sale_case_no == case.case_no


def test_channels_without_callbacks_or_not_configured_are_404_and_nothing_is_stored(
    api_client, settings, db
):
    settings.PAYMENT_GATEWAYS = {"sandbox": {"secret": "s"}, "balance": {}}
    for channel in ("balance", "wechat", "nope"):
        answer = api_client.post(
            f"/api/v1/payments/notify/{channel}/", data=b"{}", content_type="application/json"
        )
        assert answer.status_code == 404, channel
    assert not CallbackRecord.objects.exists()


def test_a_body_far_larger_than_a_notice_is_413_and_not_stored(api_client, db):
    body = json.dumps({"transaction_no": "PT1", "pad": "x" * 70_000}).encode()

    answer = sandbox_post(api_client, body)

    assert answer.status_code == 413 and _error(answer)["code"] == "too_large"
    assert not CallbackRecord.objects.exists()


def test_a_signature_header_that_is_not_ascii_is_401_not_a_crash(api_client, started):
    order, txn = started

    answer = sandbox_post(api_client, notify_body(txn.transaction_no, _due(txn)), "签名" * 32)

    assert answer.status_code == 401
    _unchanged(order, txn)


@pytest.mark.parametrize("when", ["2026-13-45T10:00:00+08:00", "2026-11-28T10:00:00+99:00"])
def test_a_signed_time_that_is_not_a_time_is_400_not_a_crash(api_client, started, when):
    order, txn = started
    data = json.loads(notify_body(txn.transaction_no, _due(txn)))
    body = json.dumps({**data, "paid_at": when}).encode()

    answer = sandbox_post(api_client, body)

    assert answer.status_code == 400 and "paid_at" in _error(answer).get("fields", {})
    _unchanged(order, txn)


def test_an_absurd_amount_is_refused_or_an_anomaly_with_the_amount_unknown(api_client, started):
    from mall.core.actors import system_actor
    from payments.gateways.base import SUCCESS, Notice
    from payments.services.transactions import payment_apply

    order, txn = started
    answer = sandbox_post(api_client, notify_body(txn.transaction_no, "9" * 30 + ".00"))
    assert answer.status_code == 400 and "amount" in _error(answer)["fields"]

    # A channel speaking in fen can report any integer: beyond the money column it is
    # kept as "unknown", never a crash.
    huge = Notice(transaction_no=txn.transaction_no, status=SUCCESS, amount=D("1e20"))
    applied = payment_apply(actor=system_actor(), channel="sandbox", notice=huge, source="notify")

    assert (applied.outcome, applied.error) == ("anomaly", "amount_mismatch")
    anomaly = PaymentAnomaly.objects.get(kind="amount_mismatch")
    assert anomaly.reported_amount is None and anomaly.expected_amount == txn.total_amount
    _unchanged(order, txn)
