"""The sandbox channel's daily bill, written from our own records in WeChat's layout.

The sandbox has no merchant platform: its "download" is this bill, so a reconciliation
of the sandbox exercises the whole path (download, parser, loader, matcher) against
what we recorded. Payments: transactions of the channel ``sandbox`` whose ``paid_at``
falls on the day (Asia/Shanghai) — a ``SUCCESS`` line, amount = settled amount =
``paid_amount``, fee = ``fee_amount``. Refunds: refunds of the channel that
``succeeded`` with ``succeeded_at`` on the day — a ``REFUND`` line, amount = ``amount``,
fee returned = ``fee_refund_amount``. The reads are plain ORM reads (a system job,
nothing served to a person), streamed with ``iterator()`` (a day can hold a million).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from itertools import chain

from payments.models import PaymentTransaction, Refund

from .bills import PAYMENT, REFUND, BillRow
from .wechat_bill import SHANGHAI, write_bill

CHANNEL = "sandbox"
MERCHANT = "sandbox"
APP_ID = "sandbox"
CHUNK = 5000


def _day(bill_date: date) -> tuple[datetime, datetime]:
    start = datetime.combine(bill_date, time.min, tzinfo=SHANGHAI)
    return start, datetime.combine(bill_date + timedelta(days=1), time.min, tzinfo=SHANGHAI)


def _payments(start: datetime, end: datetime) -> Iterator[BillRow]:
    rows = (
        PaymentTransaction.objects.filter(channel=CHANNEL, paid_at__gte=start, paid_at__lt=end)
        .order_by("paid_at", "id")
        .values_list("paid_at", "transaction_no", "channel_trade_no", "paid_amount", "fee_amount")
    )
    for paid_at, transaction_no, trade_no, paid_amount, fee_amount in rows.iterator(CHUNK):
        yield BillRow(
            0, PAYMENT, paid_at, transaction_no, trade_no, "", "", paid_amount, paid_amount,
            fee_amount, "SUCCESS",
        )  # fmt: skip


def _refunds(start: datetime, end: datetime) -> Iterator[BillRow]:
    rows = (
        Refund.objects.filter(
            channel=CHANNEL,
            status=Refund.Status.SUCCEEDED,
            succeeded_at__gte=start,
            succeeded_at__lt=end,
        )
        .order_by("succeeded_at", "id")
        .values_list(
            "succeeded_at",
            "transaction__transaction_no",
            "transaction__channel_trade_no",
            "refund_no",
            "channel_refund_no",
            "amount",
            "fee_refund_amount",
        )
    )
    for at, transaction_no, trade_no, refund_no, channel_refund_no, amount, fee in rows.iterator(
        CHUNK
    ):
        yield BillRow(
            0, REFUND, at, transaction_no, trade_no, refund_no, channel_refund_no, amount,
            amount, fee, "REFUND",
        )  # fmt: skip


def sandbox_bill(*, bill_date: date) -> bytes:
    """Write the sandbox channel's trade bill of ``bill_date`` (WeChat's ALL layout):
    the day's paid transactions, then its succeeded refunds; the summary adds them up."""
    start, end = _day(bill_date)
    return write_bill(
        chain(_payments(start, end), _refunds(start, end)), mchid=MERCHANT, appid=APP_ID
    )
