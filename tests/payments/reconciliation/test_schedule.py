# ruff: noqa: F811 - fixtures imported from matcher_support are parameters here
"""The 10:00 schedule: yesterday's bill of each reconciled, configured channel."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from tests.payments.reconciliation.matcher_support import at, buyer, records  # noqa: F401

pytestmark = pytest.mark.django_db
GATEWAYS = {"sandbox": {"secret": "s"}, "alipay": {}, "balance": {}, "unionpay": {}}


def test_schedule_entry_is_declared():
    from payments.tasks import SCHEDULE

    entry = SCHEDULE["payments: reconcile yesterday's bills"]
    assert entry["task"] == "payments.tasks.reconcile_yesterday"
    assert entry["cron"] == "0 10 * * *"


@override_settings(PAYMENT_GATEWAYS=GATEWAYS)
def test_starts_yesterday_per_channel_and_skips_what_is_there():
    from mall.core.actors import system_actor
    from payments.models import Reconciliation
    from payments.services.reconciliation import reconciliations_schedule_daily

    actor = system_actor()
    outcome = reconciliations_schedule_daily(actor=actor)
    yesterday = timezone.localdate() - timedelta(days=1)
    runs = Reconciliation.objects.filter(bill_date=yesterday)
    assert sorted(runs.values_list("channel", flat=True)) == ["alipay", "sandbox"]
    assert all(r.source == "download" and r.requested_by_id is None for r in runs)
    assert sorted(o["channel"] for o in outcome if "run" in o) == ["alipay", "sandbox"]
    # in flight: skipped, nothing new
    again = reconciliations_schedule_daily(actor=actor)
    assert all(o.get("skipped") for o in again)
    assert Reconciliation.objects.count() == 2
    # another day is its own bill
    reconciliations_schedule_daily(actor=actor, bill_date=yesterday - timedelta(days=1))
    assert Reconciliation.objects.count() == 4


# (sandbox and the member balance only: the Alipay adapter records its call as operation
# "download_bill", longer than ChannelCall.operation's 10 characters on PostgreSQL)
@override_settings(PAYMENT_GATEWAYS={"sandbox": {"secret": "s"}, "balance": {}})
def test_the_sandbox_download_is_written_from_our_records(
    records, django_capture_on_commit_callbacks
):
    from mall.core.actors import system_actor
    from payments.models import Reconciliation
    from payments.services.reconciliation import reconciliations_schedule_daily

    yesterday = timezone.localdate() - timedelta(days=1)
    paid = records.txn("66.00", at(yesterday, 11))
    records.refund(paid, "6.00", at(yesterday, 15))
    with django_capture_on_commit_callbacks(execute=True):
        outcome = reconciliations_schedule_daily(actor=system_actor())
    assert [o["channel"] for o in outcome if "run" in o] == ["sandbox"]
    run = Reconciliation.objects.get()
    assert (run.status, run.source, run.progress) == ("done", "download", 100)
    assert run.bill_sha256 and run.bill_file
    assert run.summary["matched"] == 2 and run.open_count == 0
    assert run.lines.count() == 2
