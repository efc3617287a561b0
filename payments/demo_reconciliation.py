"""Demo data of reconciliation (对账): one sandbox bill with every kind of difference.

:func:`seed` writes the sandbox's bill of a recent day from our records (``sandbox_bill``,
WeChat's layout), plants a discrepancy of every class by editing its lines — a paid
line dropped (platform_only), an unknown line added (channel_only), an amount changed,
the same for refunds, a line duplicated, a fee changed, a line of the day before
(a cross-day item, held) — and reconciles it through the real services (the upload path,
as the system), so a new finance user opens a full report and a full queue.

The day is yesterday: ten paid sandbox transactions and three succeeded refunds have
their times moved onto it first (the demo's orders are spread over weeks), and one
payment onto the day before at 23:58 for the cross-day item.
Idempotent: a second call finds the run of that day and adds nothing.

Called from ``payments.demo.seed`` (outside any transaction, after the settlements)::

    from .demo_reconciliation import seed as seed_reconciliation
    seed_reconciliation(stdout=stdout)
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.files.base import ContentFile
from django.utils import timezone

CHANNEL = "sandbox"


def _bounds(day: date) -> tuple[datetime, datetime]:
    from zoneinfo import ZoneInfo

    tz = ZoneInfo(settings.TIME_ZONE)
    return (
        datetime.combine(day, time.min, tzinfo=tz),
        datetime.combine(day + timedelta(days=1), time.min, tzinfo=tz),
    )


def _align_yesterday(day: date) -> None:
    """Give ``day`` a working day's sandbox activity: the demo's orders are spread over
    weeks, so a few paid transactions and succeeded refunds have their times moved onto
    it, and one payment onto the day before at 23:58 (the cross-day item). Times only —
    the demo's time alignment, as ``payments.demo._align_times`` does; amounts, statuses
    and ledgers are untouched."""
    from .models import PaymentTransaction, Refund

    start, _end = _bounds(day)
    paid = PaymentTransaction.objects.filter(channel=CHANNEL, paid_at__isnull=False)
    refunds = list(
        Refund.objects.filter(channel=CHANNEL, status=Refund.Status.SUCCEEDED).order_by("-id")[:3]
    )
    refunded_txns = {refund.transaction_id for refund in refunds}
    # the cross-day payment: one not refunded, moved to the day before at 23:58
    late = paid.exclude(pk__in=refunded_txns).order_by("id").first()
    spared = {late.pk} if late is not None else set()
    moved = list(paid.filter(pk__in=refunded_txns)) + list(
        paid.exclude(pk__in=refunded_txns | spared).order_by("-id")[
            : max(0, 10 - len(refunded_txns))
        ]
    )
    for number, txn in enumerate(moved):
        PaymentTransaction.objects.filter(pk=txn.pk).update(
            paid_at=start + timedelta(hours=8, minutes=47 * number)
        )
    for number, refund in enumerate(refunds):
        Refund.objects.filter(pk=refund.pk).update(
            succeeded_at=start + timedelta(hours=17, minutes=13 * number)
        )
    if late is not None:
        PaymentTransaction.objects.filter(pk=late.pk).update(paid_at=start - timedelta(minutes=2))


def _planted_rows(day: date) -> tuple[list, list[str]]:
    """The day's bill lines with one discrepancy of every class planted."""
    from .models import PaymentTransaction
    from .reconciliation.bills import PAYMENT, REFUND, BillRow
    from .reconciliation.sandbox_bill import sandbox_bill
    from .reconciliation.wechat_bill import WechatBillReader

    reader = WechatBillReader(data=sandbox_bill(bill_date=day), bill_date=day)
    rows = list(reader.rows())
    payments = [row for row in rows if row.kind == PAYMENT]
    refunds = [row for row in rows if row.kind == REFUND]
    planted = []
    start, _end = _bounds(day)
    if len(payments) >= 4:
        payments.pop(0)  # platform_only: paid here, not on the bill
        more = payments[0].amount + Decimal("1.00")
        payments[0] = payments[0]._replace(amount=more, settle_amount=more)  # amount_mismatch
        payments.insert(2, payments[1])  # duplicate
        payments[3] = payments[3]._replace(fee_amount=payments[3].fee_amount + Decimal("0.50"))
        planted += ["platform_only", "amount_mismatch", "duplicate", "fee_mismatch"]
    if len(refunds) >= 2:
        refunds.pop(0)  # refund_platform_only
        refunds[0] = refunds[0]._replace(amount=refunds[0].amount + Decimal("0.50"))
        planted += ["refund_platform_only", "refund_amount_mismatch"]
    stamp = day.strftime("%Y%m%d")
    payments.append(  # channel_only: the channel collected money we have no record of
        BillRow(0, PAYMENT, start + timedelta(hours=10, minutes=12), f"DEMO{stamp}001",
                f"4200000000{stamp}0001", "", "", Decimal("58.00"), Decimal("58.00"),
                Decimal("0.35"), "SUCCESS")
    )  # fmt: skip
    refunds.append(  # refund_channel_only
        BillRow(0, REFUND, start + timedelta(hours=16, minutes=3), f"DEMO{stamp}002",
                f"4200000000{stamp}0002", f"DEMOR{stamp}01", f"5030000000{stamp}01",
                Decimal("12.00"), Decimal("12.00"), Decimal("0.07"), "REFUND")
    )  # fmt: skip
    planted += ["channel_only", "refund_channel_only"]
    before_start, before_end = _bounds(day - timedelta(days=1))
    late = (
        PaymentTransaction.objects.filter(
            channel=CHANNEL, paid_at__gte=before_start, paid_at__lt=before_end
        )
        .order_by("-paid_at")
        .first()
    )
    if late is not None:  # cross_day: the channel booked the day before's payment today
        payments.insert(
            0,
            BillRow(0, PAYMENT, start + timedelta(minutes=3), late.transaction_no,
                    late.channel_trade_no, "", "", late.paid_amount, late.paid_amount,
                    late.fee_amount, "SUCCESS"),
        )  # fmt: skip
        planted.append("cross_day")
    lines = [row._replace(line_no=number + 2) for number, row in enumerate(payments + refunds)]
    return lines, planted


def seed(*, stdout=None):
    """Reconcile one planted sandbox bill (idempotent); return the run or ``None``."""
    from mall.core.actors import system_actor

    from .gateways import available_channels
    from .models import Reconciliation
    from .reconciliation.wechat_bill import write_bill
    from .services.reconciliation import reconciliation_execute, reconciliation_start

    if CHANNEL not in available_channels():
        return None
    day = timezone.localdate() - timedelta(days=1)
    existing = Reconciliation.objects.filter(
        kind=Reconciliation.Kind.PAYMENT_BILL, channel=CHANNEL, bill_date=day
    ).first()
    if existing is not None:
        return existing
    _align_yesterday(day)
    rows, planted = _planted_rows(day)
    data = write_bill(rows, mchid="sandbox", appid="sandbox")
    from django.contrib.auth import get_user_model

    # uploaded by the demo's finance user (the run's page names who started it)
    actor = get_user_model().objects.filter(username="finance").first() or system_actor()
    run = reconciliation_start(
        actor=actor,
        channel=CHANNEL,
        bill_date=day,
        upload=ContentFile(data, name=f"sandbox-{day.isoformat()}.csv"),
    )
    run = reconciliation_execute(actor=actor, reconciliation_id=run.pk)
    if stdout is not None:
        stdout.write(
            f"  payments: reconciliation of the sandbox bill of {day}: {run.status}, "
            f"{run.lines.count()} lines, {run.open_count} open discrepancies "
            f"(planted: {', '.join(planted)})"
        )
    return run
