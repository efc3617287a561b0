# ruff: noqa: F811 - fixtures imported from refund_support are parameters here
"""Refunds through the sandbox channel: after-sales, late and duplicate payments,
failures with backoff, finance's retry, processing refunds finished by a query."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import override_settings
from django.utils import timezone

from mall.core.actors import system_actor
from mall.core.subjects import subject_key
from ops.models import AuditEntry, SlaClock, StaffNotification, SystemParameter
from orders.models import AfterSale, Order
from orders.services.after_sales import after_sale_refund_execute
from orders.services.cancellation import orders_cancel_unpaid_due
from payments.exceptions import PaymentsPermissionDenied, PaymentStateConflict
from payments.gateways.base import REFUND_PROCESSING, RefundResult
from payments.models import CallbackRecord, PaymentAnomaly, PaymentTransaction, Refund
from payments.services.refunds import (
    refund_apply_result,
    refund_retry,
    refund_send,
    refunds_retry_due,
)
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


def _failing_gateways(settings):
    return {"sandbox": {"secret": settings.PAYMENT_SANDBOX_SECRET, "fail_refunds": True}}


def _clock(case):
    return SlaClock.objects.filter(kind="refund.execute", subject_id=str(case.pk)).first()


def _due_now(refund):
    Refund.objects.filter(pk=refund.pk).update(
        next_attempt_at=timezone.now() - timedelta(seconds=1)
    )


def test_an_after_sales_refund_is_sent_after_commit_and_its_success_completes_the_case(
    paid_order, cs_agent, finance, django_capture_on_commit_callbacks
):
    order, txn = paid_order()
    case = refund_case(order, cs_agent, amount="30.00")

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        after_sale_refund_execute(actor=finance, after_sale=case)

    case.refresh_from_db()
    refund = Refund.objects.get(after_sale_case_no=case.case_no)
    assert case.status == AfterSale.Status.REFUNDING and case.refund_submitted_at is not None
    assert (refund.status, refund.amount, refund.channel) == ("pending", D("30.00"), "sandbox")
    txn.refresh_from_db()
    assert (txn.status, txn.refunded_amount) == ("paid", D("30.00"))  # reserved at create
    assert _clock(case).closed_at is None

    with django_capture_on_commit_callbacks(execute=True):
        for callback in callbacks:
            callback()

    refund.refresh_from_db()
    case.refresh_from_db()
    txn.refresh_from_db()
    assert refund.status == Refund.Status.SUCCEEDED
    assert refund.channel_refund_no.startswith("SBXR") and refund.succeeded_at is not None
    assert refund.next_attempt_at is None and refund.attempts == 0
    assert (case.status, case.refunded_amount) == ("completed", D("30.00"))
    assert _clock(case).status == "met"
    assert (txn.status, txn.refunded_amount) == ("partially_refunded", D("30.00"))
    # sending it again changes nothing
    assert refund_send(actor=system_actor(), refund=refund).channel_refund_no == (
        refund.channel_refund_no
    )
    assert AuditEntry.objects.filter(action="payment.refund_succeeded").count() == 1
    assert (
        AuditEntry.objects.filter(action="after_sale.refund", object_id=str(case.pk)).count() == 1
    )


def test_a_payment_after_the_automatic_cancellation_is_refunded_by_the_system(
    place, member_client, api_client, django_capture_on_commit_callbacks
):
    order = place()
    number = start(member_client(order.member), order).json()["transaction_no"]
    Order.objects.filter(pk=order.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert orders_cancel_unpaid_due(actor=system_actor()) == 1
    amount = f"{order.total_amount:.2f}"

    with django_capture_on_commit_callbacks(execute=True):
        answer = sandbox_post(api_client, notify_body(number, amount))

    assert answer.status_code == 200
    order.refresh_from_db()
    case = AfterSale.objects.get(order=order)
    refund = Refund.objects.get(after_sale_case_no=case.case_no)
    txn = PaymentTransaction.objects.get(transaction_no=number)
    assert order.status == Order.Status.CANCELLED and order.paid_amount == order.total_amount
    assert (case.status, case.refunded_amount) == ("completed", order.total_amount)
    assert refund.status == "succeeded" and refund.requested_by is None
    assert (txn.status, txn.refunded_amount) == ("refunded", txn.paid_amount)
    assert PaymentAnomaly.objects.filter(kind="paid_after_cancel", reference_no=number).exists()


def test_a_second_payment_of_an_order_is_refunded_in_full(
    place, member_client, api_client, django_capture_on_commit_callbacks
):
    order = place()
    client = member_client(order.member)
    # The payer opened two ways to pay (two scenes) and paid both.
    first_no = start(client, order, scene="jsapi").json()["transaction_no"]
    second_no = start(client, order, scene="native").json()["transaction_no"]
    assert first_no != second_no
    sandbox_post(api_client, notify_body(first_no, f"{order.total_amount:.2f}"))
    first = PaymentTransaction.objects.get(transaction_no=first_no)

    with django_capture_on_commit_callbacks(execute=True):
        answer = sandbox_post(api_client, notify_body(second_no, f"{order.total_amount:.2f}"))

    assert answer.status_code == 200
    second = PaymentTransaction.objects.get(transaction_no=second_no)
    refund = Refund.objects.get(transaction=second)
    assert (refund.source, refund.status, refund.amount) == (
        "duplicate",
        "succeeded",
        second.paid_amount,
    )
    assert (second.status, second.refunded_amount) == ("refunded", second.paid_amount)
    first.refresh_from_db()
    order.refresh_from_db()
    assert (first.status, first.refunded_amount) == ("paid", D("0.00"))
    assert order.refunded_amount == D("0.00") and order.payment_no == first.transaction_no
    assert PaymentAnomaly.objects.filter(kind="duplicate_payment", reference_no=second_no).exists()


def test_a_failing_channel_is_retried_with_backoff_then_finance_is_told_and_retries(
    paid_order, cs_agent, finance, settings, django_capture_on_commit_callbacks
):
    SystemParameter.objects.create(key="payments.refund_max_attempts", value="3")
    order, txn = paid_order()
    case = refund_case(order, cs_agent, amount="50.00")
    working = dict(settings.PAYMENT_GATEWAYS)

    with override_settings(PAYMENT_GATEWAYS=_failing_gateways(settings)):
        with django_capture_on_commit_callbacks(execute=True):
            after_sale_refund_execute(actor=finance, after_sale=case)
        refund = Refund.objects.get(after_sale_case_no=case.case_no)
        assert (refund.status, refund.attempts) == ("pending", 1)
        assert "SANDBOX_REFUND_FAILED" in refund.last_error
        first_wait = refund.next_attempt_at - timezone.now()
        assert timedelta(seconds=50) < first_wait <= timedelta(minutes=1)

        assert refunds_retry_due(actor=system_actor()) == {
            "sent": 0,
            "succeeded": 0,
            "queried": 0,
            "failed": 0,
        }  # not due yet
        _due_now(refund)
        refunds_retry_due(actor=system_actor())
        refund.refresh_from_db()
        second_wait = refund.next_attempt_at - timezone.now()
        assert refund.attempts == 2 and timedelta(seconds=110) < second_wait <= timedelta(minutes=2)

        _due_now(refund)
        refunds_retry_due(actor=system_actor())
        refund.refresh_from_db()
        assert (refund.status, refund.attempts, refund.next_attempt_at) == ("failed", 3, None)
        anomaly = PaymentAnomaly.objects.get(kind="refund_failed", reference_no=refund.refund_no)
        assert (anomaly.refund_id, anomaly.transaction_id) == (refund.pk, txn.pk)
        notice = StaffNotification.objects.get(kind="payments.refund_failed")
        assert notice.recipient_id == finance.pk and refund.refund_no in notice.title
        # given up: the job leaves it alone, the case waits, the money stays reserved
        _due_now(refund)
        assert refunds_retry_due(actor=system_actor())["sent"] == 0
        case.refresh_from_db()
        txn.refresh_from_db()
        assert case.status == "refunding" and txn.refunded_amount == D("50.00")

    with override_settings(PAYMENT_GATEWAYS=working):
        with django_capture_on_commit_callbacks(execute=True):
            refund_retry(actor=finance, refund=refund)
        refund.refresh_from_db()
        case.refresh_from_db()
        txn.refresh_from_db()
        assert (refund.status, refund.attempts) == ("succeeded", 0)
        assert case.status == "completed" and _clock(case).status == "met"
        assert (txn.status, txn.refunded_amount) == ("partially_refunded", D("50.00"))
        # the "refund failed" anomaly is done work now, and its notices with it
        anomaly.refresh_from_db()
        assert anomaly.status == "resolved" and refund.refund_no in anomaly.resolution_note
        for subject in (anomaly, refund):
            assert not StaffNotification.objects.filter(
                subject_key=subject_key(subject), resolved_at__isnull=True
            ).exists()
        with pytest.raises(PaymentStateConflict):
            refund_retry(actor=finance, refund=refund)
    # settled once
    assert (
        AuditEntry.objects.filter(action="after_sale.refund", object_id=str(case.pk)).count() == 1
    )
    assert AuditEntry.objects.filter(action="payment.refund_retry").count() == 1


def test_only_finance_with_the_permission_may_retry(paid_order, cs_agent, staff, finance):
    order, _txn = paid_order()
    case = refund_case(order, cs_agent, amount="10.00")
    with override_settings(PAYMENT_GATEWAYS={"sandbox": {"secret": "x", "fail_refunds": True}}):
        after_sale_refund_execute(actor=finance, after_sale=case)
    refund = Refund.objects.get(after_sale_case_no=case.case_no)
    Refund.objects.filter(pk=refund.pk).update(status="failed")
    clerk = staff("clerk", ("payments.view_refund",))

    with pytest.raises(PaymentsPermissionDenied):
        refund_retry(actor=clerk, refund=refund)
    with pytest.raises(PaymentsPermissionDenied):
        refund_retry(actor=order.member, refund=refund)
    refund.refresh_from_db()
    assert refund.status == "failed"


def test_a_refund_the_channel_is_processing_is_finished_by_a_query(
    paid_order, cs_agent, finance, django_capture_on_commit_callbacks
):
    order, _txn = paid_order()
    case = refund_case(order, cs_agent, amount="20.00")
    with django_capture_on_commit_callbacks(execute=False):
        after_sale_refund_execute(actor=finance, after_sale=case)  # not sent yet
    refund = Refund.objects.get(after_sale_case_no=case.case_no)

    processing = RefundResult(refund_no=refund.refund_no, status=REFUND_PROCESSING)
    refund = refund_apply_result(actor=system_actor(), refund=refund, result=processing)
    assert (refund.status, refund.next_attempt_at) == ("processing", None)
    assert refunds_retry_due(actor=system_actor())["queried"] == 0  # too early to ask
    Refund.objects.filter(pk=refund.pk).update(updated_at=timezone.now() - timedelta(minutes=11))

    counts = refunds_retry_due(actor=system_actor())

    assert (counts["queried"], counts["succeeded"]) == (1, 1)
    refund.refresh_from_db()
    case.refresh_from_db()
    assert refund.status == "succeeded" and case.status == "completed"


def test_a_lost_send_is_sent_by_the_job(
    paid_order, cs_agent, finance, django_capture_on_commit_callbacks
):
    order, _txn = paid_order()
    case = refund_case(order, cs_agent, amount="20.00")
    with django_capture_on_commit_callbacks(execute=False):
        after_sale_refund_execute(actor=finance, after_sale=case)  # the worker never ran it
    refund = Refund.objects.get(after_sale_case_no=case.case_no)
    assert refunds_retry_due(actor=system_actor())["sent"] == 0  # the send may be in flight
    _due_now(refund)

    assert refunds_retry_due(actor=system_actor())["succeeded"] == 1
    case.refresh_from_db()
    assert case.status == "completed"


def test_the_sandbox_refund_notification_is_recorded_and_refused(api_client, db):
    answer = api_client.post(
        "/api/v1/payments/notify/sandbox/refund/", data=b"{}", content_type="application/json"
    )
    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == "invalid_notification"
    record = CallbackRecord.objects.get()
    assert (record.kind, record.outcome, record.verified) == ("refund", "rejected", False)
    elsewhere = api_client.post(
        "/api/v1/payments/notify/nowhere/refund/", data=b"{}", content_type="application/json"
    )
    assert elsewhere.status_code == 404
