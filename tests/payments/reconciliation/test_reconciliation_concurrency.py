# ruff: noqa: F811 - fixtures imported from matcher_support are parameters here
"""Runs under concurrency (PostgreSQL, real locks): two starts of one bill make one run
(the other answers 409); two neighbouring days' runs at once clear a cross-day pair
exactly once."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import override_settings
from django.utils import timezone

from tests.conftest import requires_postgres
from tests.payments.reconciliation.matcher_support import (  # noqa: F401 - fixtures
    at,
    bill_row,
    buyer,
    numbered,
    records,
)

GATEWAYS = {"sandbox": {"secret": "s"}, "balance": {}}


def _race(works) -> tuple[list, list]:
    barrier = threading.Barrier(len(works))
    results, crashes = [], []
    lock = threading.Lock()

    def run(work) -> None:
        try:
            barrier.wait(timeout=60)
            outcome = work()
            with lock:
                results.append(outcome)
        except Exception as exc:  # noqa: BLE001 - reported by the test
            with lock:
                crashes.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(w,)) for w in works]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results, crashes


def _bill(rows) -> SimpleUploadedFile:
    from payments.reconciliation.wechat_bill import write_bill

    return SimpleUploadedFile("bill.csv", write_bill(numbered(rows)))


@requires_postgres
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@override_settings(PAYMENT_GATEWAYS=GATEWAYS, CELERY_TASK_ALWAYS_EAGER=False)
def test_two_starts_of_one_bill_make_one_run():
    from mall.core.actors import system_actor
    from payments.exceptions import ReconciliationRunning
    from payments.models import Reconciliation
    from payments.services.reconciliation import reconciliation_start

    day = timezone.localdate() - timedelta(days=1)

    def start():
        try:
            return reconciliation_start(
                actor=system_actor(), channel="sandbox", bill_date=day, upload=_bill([])
            ).pk
        except ReconciliationRunning:
            return "409"

    results, crashes = _race([start] * 6)
    assert crashes == []
    assert sorted(results, key=str).count("409") == 5
    assert Reconciliation.objects.filter(channel="sandbox", bill_date=day).count() == 1


@requires_postgres
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@override_settings(PAYMENT_GATEWAYS=GATEWAYS, CELERY_TASK_ALWAYS_EAGER=False)
def test_neighbouring_days_at_once_clear_a_cross_day_pair_once(records):
    from mall.core.actors import system_actor
    from payments.models import Discrepancy
    from payments.services.reconciliation import reconciliation_execute, reconciliation_start

    day = timezone.localdate() - timedelta(days=3)
    following = day + timedelta(days=1)
    late = records.txn("88.00", paid_at=at(day, 23, 50))
    early = records.txn("12.00", paid_at=at(following, 0, 5))
    actor = system_actor()
    run_t = reconciliation_start(
        actor=actor,
        channel="sandbox",
        bill_date=day,
        upload=_bill([bill_row(early, occurred_at=at(day, 23, 59))]),
    )
    run_n = reconciliation_start(
        actor=actor,
        channel="sandbox",
        bill_date=following,
        upload=_bill([bill_row(late, occurred_at=at(following, 0, 1))]),
    )

    def execute(pk):
        return lambda: reconciliation_execute(actor=system_actor(), reconciliation_id=pk).status

    results, crashes = _race([execute(run_t.pk), execute(run_n.pk)])
    assert crashes == []
    assert results == ["done", "done"]
    items = Discrepancy.objects.filter(kind="cross_day")
    assert items.count() == 4  # each record: a bill line on one day, ours on the other
    assert set(items.values_list("status", flat=True)) == {"cleared"}
    for record in (late, early):
        pair = items.filter(transaction=record)
        assert pair.count() == 2
        # the run that came second cleared both halves
        assert len(set(pair.values_list("cleared_by", flat=True))) == 1
