"""The two-person adjustment under concurrency (PostgreSQL, real row locks): several
approvers pressing "approve" at once make one approval (the others 409), and the
proposer is refused even when racing them; resolutions racing in one run keep its open
figures true."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.db import connection

from ops.models import AuditEntry
from payments.exceptions import DiscrepancyStateConflict, SameApprover
from payments.models import Discrepancy, ReconciliationAdjustment
from payments.services.discrepancies import (
    adjustment_approve,
    adjustment_propose,
    discrepancy_resolve,
)
from tests.conftest import requires_postgres
from tests.payments.reconciliation.queue_factories import (
    make_discrepancy,
    make_finance,
    make_run,
)

WORKERS = 6


def _race(work, count: int = WORKERS) -> tuple[list, list]:
    barrier = threading.Barrier(count)
    results, crashes = [], []
    lock = threading.Lock()

    def run(number: int) -> None:
        try:
            barrier.wait(timeout=60)
            outcome = work(number)
            with lock:
                results.append(outcome)
        except Exception as exc:  # noqa: BLE001 - reported by the test
            with lock:
                crashes.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results, crashes


@requires_postgres
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_simultaneous_approvals_make_one_approval_and_the_proposer_cannot_approve():
    proposer = make_finance("race_prop")
    approvers = [make_finance(f"race_appr{n}") for n in range(WORKERS - 1)]
    item = make_discrepancy()
    adjustment = adjustment_propose(actor=proposer, discrepancy=item, amount="1.00", note="竞态")
    actors = [proposer, *approvers]

    def work(number: int):
        return adjustment_approve(actor=actors[number], adjustment=adjustment).decided_by_id

    results, crashes = _race(work)

    assert len(results) == 1 and results[0] != proposer.pk
    assert sum(isinstance(c, SameApprover) for c in crashes) == 1
    assert sum(isinstance(c, DiscrepancyStateConflict) for c in crashes) == WORKERS - 2
    assert len(crashes) == WORKERS - 1
    adjustment.refresh_from_db()
    assert adjustment.status == ReconciliationAdjustment.Status.APPROVED
    assert adjustment.decided_by_id == results[0]
    assert Discrepancy.objects.get(pk=item.pk).status == Discrepancy.Status.ADJUSTED
    assert (
        AuditEntry.objects.filter(
            action="reconciliation.adjustment_approve", object_id=str(adjustment.pk)
        ).count()
        == 1
    )


@requires_postgres
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_simultaneous_resolutions_in_one_run_keep_its_open_figures_true():
    finance = make_finance("race_res")
    run = make_run()
    items = [
        make_discrepancy(run, our_amount="1.00", channel_amount="3.00") for _ in range(WORKERS)
    ]
    keep = make_discrepancy(run, our_amount="1.00", channel_amount="1.50")

    def work(number: int):
        return discrepancy_resolve(actor=finance, discrepancy=items[number], note="并发").pk

    results, crashes = _race(work)

    assert crashes == [] and len(results) == WORKERS
    run.refresh_from_db()
    assert run.open_count == 1 and run.open_amount == Decimal("0.50")
    assert keep.status == Discrepancy.Status.OPEN
