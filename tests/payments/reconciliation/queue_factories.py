"""Rows for the queue, API, report and admin tests: runs and discrepancies made
directly (the matcher is tested on its own), each discrepancy on a real transaction
or refund from ``tests/payments/scope_cases.py``."""

from __future__ import annotations

import datetime
import itertools
from decimal import Decimal

from tests.payments.scope_cases import (  # noqa: F401 - re-exported for the tests
    FINANCE_PERMISSIONS,
    make_refund,
    make_staff_with_role,
    make_txn,
)

_lines = itertools.count(1)

RECONCILIATION_PERMISSIONS = (
    "payments.view_reconciliation",
    "payments.run_reconciliation",
    "payments.export_reconciliation",
    "payments.view_discrepancy",
    "payments.resolve_discrepancy",
    "payments.propose_adjustment",
    "payments.approve_adjustment",
    "payments.view_reconciliationadjustment",
)
FINANCE_ALL = (*FINANCE_PERMISSIONS, *RECONCILIATION_PERMISSIONS)


def make_finance(username: str, *, regions=None, perms=FINANCE_ALL):
    """A finance user with every reconciliation permission, scope all or ``regions``."""
    return make_staff_with_role(username, perms=perms, regions=regions)


def make_run(
    *,
    channel: str = "sandbox",
    bill_date: datetime.date | None = None,
    status: str = "done",
    summary: dict | None = None,
    totals: dict | None = None,
    sales_channel=None,
):
    """A finished run (by default) of ``channel``'s bill of ``bill_date``."""
    from payments.models import Reconciliation

    bill_date = bill_date or datetime.date(2026, 11, 27)
    return Reconciliation.objects.create(
        kind="channel_statement" if sales_channel is not None else "payment_bill",
        channel="" if sales_channel is not None else channel,
        sales_channel=sales_channel,
        bill_date=bill_date,
        period_end=bill_date,
        source="upload",
        status=status,
        progress=100 if status == "done" else 0,
        summary=summary if summary is not None else {"matched": 3, "amount_mismatch": 1},
        totals=totals
        if totals is not None
        else {
            "bill": {"payment_count": 4, "payment_amount": "37.00", "refund_amount": "0.00"},
            "matched": {"payment": {"count": 3, "amount": "27.00"}},
            "tie_out": {"payment": True, "refund": True},
        },
    )


def make_line(run, *, txn=None, refund=None, amount: str = "9.00", outcome: str = "matched"):
    from django.utils import timezone

    from payments.models import BillLine

    return BillLine.objects.create(
        reconciliation=run,
        line_no=next(_lines),
        kind="refund" if refund is not None else "payment",
        occurred_at=timezone.now(),
        transaction_no=txn.transaction_no if txn is not None else "",
        refund_no=refund.refund_no if refund is not None else "",
        amount=Decimal(amount),
        outcome=outcome,
        transaction=txn,
        refund=refund,
    )


def make_discrepancy(
    run=None,
    *,
    kind: str = "amount_mismatch",
    status: str = "open",
    region=None,
    txn=None,
    refund=None,
    our_amount: str | None = "9.00",
    channel_amount: str | None = "10.00",
    no_record: bool = False,
    sales_channel=None,
    channel_trade_no: str = "",
):
    """An open discrepancy of ``run`` on a real transaction (of ``region``; made when
    not given) or ``refund``; ``no_record`` for a channel-only item (no region)."""
    from mall.core.actors import system_actor
    from payments.models import Discrepancy
    from payments.services.discrepancies import _recount

    run = run or make_run()
    if not no_record and txn is None and refund is None:
        txn = make_txn(region=region)
    if refund is not None:
        txn = refund.transaction
    ours = Decimal(our_amount) if our_amount is not None else None
    theirs = Decimal(channel_amount) if channel_amount is not None else None
    stake = abs((ours or Decimal(0)) - (theirs or Decimal(0)))
    row = Discrepancy.objects.create(
        reconciliation=run,
        kind=kind,
        status=status,
        channel=run.channel,
        sales_channel=sales_channel,
        business_date=run.bill_date,
        transaction=txn,
        refund=refund,
        order=txn.order if txn is not None else None,
        region=txn.region if txn is not None else None,
        transaction_no=txn.transaction_no if txn is not None else "",
        refund_no=refund.refund_no if refund is not None else "",
        channel_trade_no=channel_trade_no or (f"CH{next(_lines):010d}"),
        our_amount=None if no_record else ours,
        channel_amount=theirs,
        difference_amount=stake,
        detail="测试差异",
    )
    from django.db import transaction

    with transaction.atomic():
        _recount(system_actor(), run.pk)
    return row
