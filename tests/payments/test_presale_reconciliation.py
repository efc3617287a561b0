# ruff: noqa: F811 - fixtures imported from presale_support are parameters here
"""A presale's two payments are ordinary transactions: the sandbox bill of the day
holds both, and the reconciliation matches both."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from django.test import TestCase
from django.utils import timezone

from mall.core.actors import system_actor
from payments.models import BillLine, PaymentTransaction
from payments.services.reconciliation import reconciliation_execute, reconciliation_start
from tests.orders.promotions.presale_support import (  # noqa: F401 - fixtures
    buyer,
    deposit_paid,
    fully_paid,
    on_shelf_sku,
    presale_order,
    presale_sku,
    staff,
)

pytestmark = pytest.mark.django_db
PERMS = ("payments.run_reconciliation", "payments.view_reconciliation")


def test_the_sandbox_bill_of_the_day_holds_both_payments_and_both_match(fully_paid, staff):
    order, deposit_no, final_no = fully_paid()
    day = timezone.localdate() - timedelta(days=1)
    noon = timezone.make_aware(datetime.combine(day, time(12)))
    # Both paid yesterday (the bill of a day is read the next day).
    PaymentTransaction.objects.filter(transaction_no=deposit_no).update(paid_at=noon)
    PaymentTransaction.objects.filter(transaction_no=final_no).update(
        paid_at=noon + timedelta(hours=2)
    )
    finance = staff("presale_recon", PERMS)

    with TestCase.captureOnCommitCallbacks(execute=False):  # the task is run here
        run = reconciliation_start(actor=finance, channel="sandbox", bill_date=day)
    run = reconciliation_execute(actor=system_actor(), reconciliation_id=run.pk, task_id="t-1")

    assert run.status == "done", run.error
    lines = BillLine.objects.filter(reconciliation=run, kind="payment")
    assert {line.transaction_no: line.outcome for line in lines} == {
        deposit_no: "matched",
        final_no: "matched",
    }
    assert run.summary["matched"] == 2 and run.open_count == 0
    assert sum(line.transaction.paid_amount for line in lines) == order.total_amount
