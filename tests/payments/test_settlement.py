"""Settlement per channel and local day: sums, boundaries, recompute, confirmation, job."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from mall.core.actors import system_actor
from mall.core.transitions import InvalidTransition
from ops.models import AuditEntry, SystemParameter
from ops.parameters import forget_cached
from payments.exceptions import PaymentsPermissionDenied, PaymentStateConflict
from payments.models import Settlement
from payments.services.settlement import (
    settlement_compute,
    settlement_confirm,
    settlements_compute_due,
)
from payments.services.transactions import _fee
from tests.payments.scope_cases import make_refund, make_staff_with_role, make_txn

D = Decimal
pytestmark = pytest.mark.django_db


def _at(day, hour, minute=0, second=0):
    """A moment of ``day`` in Asia/Shanghai (the project's TIME_ZONE)."""
    return timezone.make_aware(datetime.combine(day, datetime.min.time())) + timedelta(
        hours=hour, minutes=minute, seconds=second
    )


@pytest.fixture
def day():
    return timezone.localdate() - timedelta(days=3)


@pytest.fixture
def hand_built_day(day):
    """Three channels' money on ``day`` and around it (figures computed by hand below)."""
    before, after = day - timedelta(days=1), day + timedelta(days=1)
    # sandbox: three payments that day (one at 00:00:00 and one at 23:59:59 local)
    t1 = make_txn(channel="sandbox", amount="100.00", fee="0.60", paid_at=_at(day, 0))
    t2 = make_txn(channel="sandbox", amount="33.33", fee="0.20", paid_at=_at(day, 12, 30))
    t3 = make_txn(channel="sandbox", amount="4.25", fee="0.03", paid_at=_at(day, 23, 59, 59))
    # … not that day: the evening before and the midnight after, an unpaid one
    old = make_txn(channel="sandbox", amount="50.00", fee="0.30", paid_at=_at(before, 23, 59, 59))
    make_txn(channel="sandbox", amount="70.00", fee="0.42", paid_at=_at(after, 0))
    make_txn(channel="sandbox", status="unpaid", amount="80.00")
    # sandbox refunds that day: a partial one of t1, one of the day before's payment
    make_refund(t1, amount="40.00", fee_back="0.24", at=_at(day, 15))
    make_refund(old, amount="5.00", fee_back="0.03", at=_at(day, 9))
    # … refunds that do not count for the day: the next day, failed, still pending
    make_refund(t2, amount="3.33", fee_back="0.02", at=_at(after, 1))
    make_refund(t3, amount="1.00", status="failed")
    make_refund(t3, amount="2.00", status="pending")
    # wechat: a payment refunded in full the same day
    w1 = make_txn(channel="wechat", amount="50.00", fee="0.30", paid_at=_at(day, 10))
    make_refund(w1, amount="50.00", fee_back="0.30", at=_at(day, 11))
    # alipay: a balance recharge (no order)
    make_txn(channel="alipay", recharge=True, amount="20.00", fee="0.12", paid_at=_at(day, 8))
    return day


def test_fees_are_rounded_half_up_to_the_cent():
    # the fees used in the hand-built day are what the payment service charges
    assert _fee("sandbox", D("100.00")) == D("0.60")
    assert _fee("sandbox", D("33.33")) == D("0.20")  # 0.19998
    assert _fee("sandbox", D("4.25")) == D("0.03")  # 0.0255: half-up, not half-even (0.02)


def test_sums_equal_the_hand_computed_figures(hand_built_day):
    day = hand_built_day
    sandbox = settlement_compute(actor=system_actor(), channel="sandbox", business_date=day)
    assert (sandbox.payment_count, sandbox.gross_amount, sandbox.fee_amount) == (
        3,
        D("137.58"),
        D("0.83"),
    )
    assert (sandbox.refund_count, sandbox.refund_amount, sandbox.fee_refund_amount) == (
        2,
        D("45.00"),
        D("0.27"),
    )
    assert sandbox.net_amount == D("92.02")  # 137.58 − 0.83 − 45.00 + 0.27
    assert sandbox.expected_on == day  # sandbox pays out T+0
    assert sandbox.status == Settlement.Status.DRAFT and sandbox.computed_at is not None

    wechat = settlement_compute(actor=system_actor(), channel="wechat", business_date=day)
    assert (wechat.payment_count, wechat.gross_amount, wechat.fee_amount) == (
        1,
        D("50.00"),
        D("0.30"),
    )
    assert (wechat.refund_count, wechat.refund_amount, wechat.fee_refund_amount) == (
        1,
        D("50.00"),
        D("0.30"),
    )
    assert wechat.net_amount == D("0.00")
    assert wechat.expected_on == day + timedelta(days=1)  # WeChat Pay T+1

    alipay = settlement_compute(actor=system_actor(), channel="alipay", business_date=day)
    assert (alipay.payment_count, alipay.gross_amount, alipay.net_amount) == (
        1,
        D("20.00"),
        D("19.88"),
    )

    unionpay = settlement_compute(actor=system_actor(), channel="unionpay", business_date=day)
    assert (unionpay.payment_count, unionpay.refund_count, unionpay.net_amount) == (0, 0, D("0.00"))

    # the next day holds the midnight payment and the late refund
    after = settlement_compute(
        actor=system_actor(), channel="sandbox", business_date=day + timedelta(days=1)
    )
    assert (after.payment_count, after.gross_amount, after.refund_amount) == (
        1,
        D("70.00"),
        D("3.33"),
    )


def test_net_can_be_negative_when_refunds_exceed_receipts(day):
    paid = make_txn(
        channel="sandbox", amount="30.00", fee="0.18", paid_at=_at(day - timedelta(days=1), 9)
    )
    make_refund(paid, amount="30.00", fee_back="0.18", at=_at(day, 9))
    row = settlement_compute(actor=system_actor(), channel="sandbox", business_date=day)
    assert row.net_amount == D("-29.82")


def test_settlement_days_follow_the_parameter(day):
    SystemParameter.objects.update_or_create(
        key="payments.settlement_days_alipay", defaults={"value": 3}
    )
    forget_cached("payments.settlement_days_alipay")
    row = settlement_compute(actor=system_actor(), channel="alipay", business_date=day)
    assert row.expected_on == day + timedelta(days=3)


def test_recompute_is_idempotent_and_follows_new_rows_while_draft(hand_built_day):
    day = hand_built_day
    first = settlement_compute(actor=system_actor(), channel="sandbox", business_date=day)
    figures = (first.payment_count, first.gross_amount, first.net_amount)
    again = settlement_compute(actor=system_actor(), channel="sandbox", business_date=day)
    assert again.pk == first.pk
    assert (again.payment_count, again.gross_amount, again.net_amount) == figures
    assert Settlement.objects.filter(channel="sandbox", business_date=day).count() == 1
    # nothing changed: one audit entry (the first computation) only
    assert (
        AuditEntry.objects.filter(
            action="payment.settlement_compute", object_id=str(first.pk)
        ).count()
        == 1
    )
    # a refund found later for that day is taken in by the next computation
    late = make_txn(channel="sandbox", amount="10.00", fee="0.06", paid_at=_at(day, 20))
    make_refund(late, amount="10.00", fee_back="0.06", at=_at(day, 21))
    third = settlement_compute(actor=system_actor(), channel="sandbox", business_date=day)
    assert (third.payment_count, third.refund_count) == (4, 3)
    assert third.net_amount == D("92.02")  # +10 − 0.06 − 10 + 0.06


def test_a_confirmed_settlement_is_frozen(hand_built_day, make_staff):
    day = hand_built_day
    finance = make_staff_with_role("fin_confirm")
    row = settlement_compute(actor=finance, channel="sandbox", business_date=day)
    confirmed = settlement_confirm(actor=finance, settlement=row)
    assert confirmed.status == Settlement.Status.CONFIRMED
    assert confirmed.confirmed_by == finance and confirmed.confirmed_at is not None
    assert AuditEntry.objects.filter(action="payment.settlement_confirm").count() == 1

    make_txn(channel="sandbox", amount="99.00", fee="0.59", paid_at=_at(day, 22))
    with pytest.raises(PaymentStateConflict) as refused:
        settlement_compute(actor=finance, channel="sandbox", business_date=day)
    assert refused.value.status_code == 409
    row.refresh_from_db()
    assert (row.payment_count, row.gross_amount) == (3, D("137.58"))
    with pytest.raises(InvalidTransition):
        settlement_confirm(actor=finance, settlement=row)


def test_computing_and_confirming_need_the_permission(day, make_staff):
    clerk = make_staff("fin_viewer", perms=("payments.view_settlement",))
    with pytest.raises(PaymentsPermissionDenied):
        settlement_compute(actor=clerk, channel="sandbox", business_date=day)
    row = settlement_compute(actor=system_actor(), channel="sandbox", business_date=day)
    with pytest.raises(PaymentsPermissionDenied):
        settlement_confirm(actor=clerk, settlement=row)
    row.refresh_from_db()
    assert row.status == Settlement.Status.DRAFT


def test_the_nightly_job_settles_yesterday_for_channels_with_activity():
    yesterday = timezone.localdate() - timedelta(days=1)
    make_txn(channel="sandbox", amount="12.00", fee="0.07", paid_at=_at(yesterday, 10))
    old = make_txn(channel="alipay", amount="8.00", fee="0.05", paid_at=_at(yesterday, 1))
    make_refund(old, amount="2.00", fee_back="0.01", at=_at(yesterday, 3))
    make_txn(channel="wechat", amount="5.00", fee="0.03", paid_at=_at(timezone.localdate(), 0, 1))

    result = settlements_compute_due(actor=system_actor())
    assert result == {"date": yesterday.isoformat(), "computed": 2, "confirmed_kept": 0}
    rows = {row.channel: row for row in Settlement.objects.filter(business_date=yesterday)}
    assert set(rows) == {"sandbox", "alipay"}
    assert rows["alipay"].net_amount == D("5.96")  # 8.00 − 0.05 − 2.00 + 0.01

    settlement_confirm(actor=system_actor(), settlement=rows["sandbox"])
    again = settlements_compute_due(actor=system_actor())
    assert again == {"date": yesterday.isoformat(), "computed": 1, "confirmed_kept": 1}


def test_a_future_day_or_unknown_channel_is_refused():
    from payments.exceptions import InvalidPaymentInput

    with pytest.raises(InvalidPaymentInput):
        settlement_compute(
            actor=system_actor(),
            channel="sandbox",
            business_date=timezone.localdate() + timedelta(days=1),
        )
    with pytest.raises(InvalidPaymentInput):
        settlement_compute(
            actor=system_actor(), channel="paypal", business_date=timezone.localdate()
        )
    assert not Settlement.objects.exists()


def test_the_scheduled_task_runs_the_nightly_job_and_records_its_run():
    from mall.core.jobs import JobRun
    from payments.tasks import SCHEDULE, payments_settlements_compute_task

    yesterday = timezone.localdate() - timedelta(days=1)
    make_txn(channel="unionpay", amount="15.00", fee="0.08", paid_at=_at(yesterday, 14))
    result = payments_settlements_compute_task.delay().get()
    assert result == {"date": yesterday.isoformat(), "computed": 1, "confirmed_kept": 0}
    assert Settlement.objects.get(channel="unionpay", business_date=yesterday).net_amount == D(
        "14.92"
    )
    run = JobRun.objects.get(name="payments.settlements_compute")
    assert run.status == JobRun.Status.SUCCEEDED
    entry = SCHEDULE["payments: compute settlements"]
    assert entry["cron"] == "30 2 * * *"
    assert entry["task"] == "payments.tasks.payments_settlements_compute_task"
