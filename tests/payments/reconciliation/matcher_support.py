# ruff: noqa: F401, F811 - fixtures imported from checkout_support are parameters here
"""Helpers of the matcher tests: our records at given times, bill rows, a run over rows.

``records`` makes paid transactions and succeeded refunds directly (purpose
``recharge``: no order needed) at chosen Asia/Shanghai times; ``bill_row`` builds a
``BillRow``; ``reconcile_rows(channel, day, rows)`` runs the real loader + matcher in one
transaction and ends the run ``done`` (superseding like the executor does).
"""

from __future__ import annotations

import itertools
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import transaction

from tests.orders.checkout_support import buyer

CN = ZoneInfo("Asia/Shanghai")
DAY = date(2026, 11, 20)
_numbers = itertools.count(1)


def at(day: date, hh: int, mm: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hh, mm, tzinfo=CN)


@pytest.fixture
def records(buyer):
    from payments.models import PaymentTransaction, Refund

    member = buyer()

    class Records:
        def txn(self, amount="100.00", paid_at=None, *, channel="sandbox", fee="0.60", **kw):
            n = next(_numbers)
            return PaymentTransaction.objects.create(
                transaction_no=kw.pop("transaction_no", f"T{n:010d}"),
                channel_trade_no=kw.pop("channel_trade_no", f"4200{n:010d}"),
                purpose="recharge",
                member=member,
                channel=channel,
                status=kw.pop("status", "paid"),
                total_amount=Decimal(amount),
                paid_amount=Decimal(amount),
                fee_amount=Decimal(fee),
                paid_at=paid_at or at(DAY, 12),
                **kw,
            )

        def refund(self, txn, amount="30.00", succeeded_at=None, **kw):
            n = next(_numbers)
            return Refund.objects.create(
                refund_no=f"R{n:010d}",
                channel_refund_no=f"5030{n:010d}",
                transaction=txn,
                channel=txn.channel,
                source="duplicate",
                amount=Decimal(amount),
                status=kw.pop("status", "succeeded"),
                succeeded_at=succeeded_at or at(DAY, 15),
                **kw,
            )

    return Records()


def bill_row(record, *, line_no=0, amount=None, fee=None, occurred_at=None, **over):
    """The bill line of one of our transactions / refunds (as the channel would write)."""
    from payments.models import Refund
    from payments.reconciliation.bills import PAYMENT, REFUND, BillRow

    if isinstance(record, Refund):
        values = {
            "kind": REFUND,
            "occurred_at": occurred_at or record.succeeded_at,
            "transaction_no": record.transaction.transaction_no,
            "channel_trade_no": record.transaction.channel_trade_no,
            "refund_no": record.refund_no,
            "channel_refund_no": record.channel_refund_no,
            "amount": Decimal(amount) if amount is not None else record.amount,
            "settle_amount": Decimal(amount) if amount is not None else record.amount,
            "fee_amount": Decimal(fee) if fee is not None else record.fee_refund_amount,
            "channel_status": "REFUND",
        }
    else:
        value = Decimal(amount) if amount is not None else record.paid_amount
        values = {
            "kind": PAYMENT,
            "occurred_at": occurred_at or record.paid_at,
            "transaction_no": record.transaction_no,
            "channel_trade_no": record.channel_trade_no,
            "refund_no": "",
            "channel_refund_no": "",
            "amount": value,
            "settle_amount": value,
            "fee_amount": Decimal(fee) if fee is not None else record.fee_amount,
            "channel_status": "SUCCESS",
        }
    values.update(over)
    return BillRow(line_no=line_no, **values)


def unknown_row(*, kind="payment", amount="10.00", occurred_at=None, line_no=0):
    from payments.reconciliation.bills import BillRow

    n = next(_numbers)
    return BillRow(
        line_no=line_no,
        kind=kind,
        occurred_at=occurred_at or at(DAY, 9),
        transaction_no=f"X{n:010d}",
        channel_trade_no=f"4299{n:010d}",
        refund_no=f"XR{n:09d}" if kind == "refund" else "",
        channel_refund_no=f"5099{n:010d}" if kind == "refund" else "",
        amount=Decimal(amount),
        settle_amount=Decimal(amount),
        fee_amount=Decimal("0.00"),
        channel_status="SUCCESS" if kind == "payment" else "REFUND",
    )


# Rows enough to fill the head an upload is checked by at submit (``bills.HEAD_BYTES``):
# a bad line after them reaches the job, which must fail the run naming it.
HEAD_FILLER = 700


def past_the_head(day: date) -> list:
    """Good lines (unknown to us: channel-only items) that push what follows past the head
    ``reconciliation_start`` reads at submit."""
    return [unknown_row(occurred_at=at(day, 9)) for _ in range(HEAD_FILLER)]


def numbered(rows):
    return [row._replace(line_no=i + 2) for i, row in enumerate(rows)]


def reconcile_rows(channel: str, day: date, rows, *, period_end=None):
    """A run of ``channel``'s bill of ``day`` made of ``rows``: load, match, done."""
    from mall.core.actors import system_actor
    from mall.core.transitions import transition
    from payments.models import Reconciliation
    from payments.reconciliation.bills import BillTotals
    from payments.reconciliation.loader import load_rows
    from payments.reconciliation.matching import match
    from payments.services.reconciliation import _supersede

    actor = system_actor()
    rows = numbered(rows)
    totals = BillTotals()
    for row in rows:
        totals.add(row)
    with transaction.atomic():
        run = Reconciliation.objects.create(
            channel=channel, bill_date=day, period_end=day, source="upload", status="queued"
        )
        transition(run, "running", actor=actor, action="reconciliation.run")
        load_rows(run, rows)
        summary, figures = match(run, bill_totals=totals, actor=actor)
        _supersede(actor, run)
        transition(
            run,
            "done",
            actor=actor,
            action="reconciliation.done",
            summary=summary,
            totals=figures,
            progress=100,
        )
    return run


def kinds(run, **filters):
    """{(kind, status): count} of the run's discrepancies."""
    from collections import Counter

    from payments.models import Discrepancy

    return dict(
        Counter(
            (d.kind, d.status) for d in Discrepancy.objects.filter(reconciliation=run, **filters)
        )
    )


def next_day(day: date, n: int = 1) -> date:
    return day + timedelta(days=n)
