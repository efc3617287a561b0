# ruff: noqa: F811 - fixtures imported from matcher_support are parameters here
"""Cross-day items (window T−1..T+1): held, cleared by the neighbouring day, escalated."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.payments.reconciliation.matcher_support import (  # noqa: F401 - fixtures
    DAY,
    at,
    bill_row,
    buyer,
    kinds,
    reconcile_rows,
    records,
)

pytestmark = pytest.mark.django_db
NEXT = DAY + timedelta(days=1)
PREV = DAY - timedelta(days=1)


def test_ours_before_midnight_on_the_next_bill_day_first(records):
    """Paid 23:50 on T, the channel books it on T+1; T's run comes first."""
    late = records.txn("88.00", paid_at=at(DAY, 23, 50))
    run_t = reconcile_rows("sandbox", DAY, [])
    held = run_t.discrepancies.get()
    assert (held.kind, held.status, held.held_until) == ("cross_day", "held", NEXT)
    assert held.transaction_id == late.pk
    run_n = reconcile_rows("sandbox", NEXT, [bill_row(late, occurred_at=at(NEXT, 0, 1))])
    held.refresh_from_db()
    assert (held.status, held.cleared_by_id) == ("cleared", run_n.pk)
    assert kinds(run_n) == {("cross_day", "cleared"): 1}
    assert run_n.totals["tie_out"]["payment"]["ok"] is True


def test_ours_before_midnight_next_bill_first(records):
    """The other order: T+1's run holds its line; T's run clears both."""
    late = records.txn("88.00", paid_at=at(DAY, 23, 50))
    run_n = reconcile_rows("sandbox", NEXT, [bill_row(late, occurred_at=at(NEXT, 0, 1))])
    assert kinds(run_n) == {("cross_day", "held"): 1}
    run_t = reconcile_rows("sandbox", DAY, [])
    assert kinds(run_t) == {("cross_day", "cleared"): 1}
    assert kinds(run_n) == {("cross_day", "cleared"): 1}
    assert run_n.discrepancies.get().cleared_by_id == run_t.pk


def test_channel_books_it_the_day_before(records):
    """Paid 00:05 on T+1 here, on T's bill at the channel (both directions)."""
    early = records.txn("12.00", paid_at=at(NEXT, 0, 5))
    run_t = reconcile_rows("sandbox", DAY, [bill_row(early, occurred_at=at(DAY, 23, 59))])
    assert kinds(run_t) == {("cross_day", "held"): 1}
    run_n = reconcile_rows("sandbox", NEXT, [])
    assert kinds(run_n) == {("cross_day", "cleared"): 1}
    assert kinds(run_t) == {("cross_day", "cleared"): 1}


def test_refund_cross_day(records):
    txn = records.txn("50.00", paid_at=at(DAY, 10))
    refund = records.refund(txn, "20.00", succeeded_at=at(DAY, 23, 55))
    run_t = reconcile_rows("sandbox", DAY, [bill_row(txn)])
    assert kinds(run_t) == {("cross_day", "held"): 1}
    run_n = reconcile_rows("sandbox", NEXT, [bill_row(refund, occurred_at=at(NEXT, 0, 2))])
    assert kinds(run_n) == {("cross_day", "cleared"): 1}
    assert kinds(run_t) == {("cross_day", "cleared"): 1}


def test_far_from_midnight_is_platform_only(records):
    records.txn("10.00", paid_at=at(DAY, 23, 0))
    run = reconcile_rows("sandbox", DAY, [])
    assert kinds(run) == {("platform_only", "open"): 1}


def test_held_past_its_window_opens_as_what_it_is(records):
    late = records.txn("70.00", paid_at=at(DAY, 23, 45))
    gone = records.txn("5.00", paid_at=at(PREV, 12))  # PREV's bill never comes
    run_t = reconcile_rows("sandbox", DAY, [bill_row(gone, occurred_at=at(DAY, 9))])
    assert kinds(run_t) == {("cross_day", "held"): 2}
    # T+1's bill shows neither (nobody runs PREV); T+2's run finds both held past the date
    reconcile_rows("sandbox", NEXT, [])
    later = reconcile_rows("sandbox", NEXT + timedelta(days=1), [])
    assert kinds(run_t) == {("platform_only", "open"): 1, ("channel_only", "open"): 1}
    assert run_t.discrepancies.get(kind="platform_only").transaction_id == late.pk
    assert later.summary["cross_day"] == 0


def test_a_record_two_days_away_is_open(records):
    old = records.txn("9.00", paid_at=at(PREV - timedelta(days=1), 12))
    run = reconcile_rows("sandbox", DAY, [bill_row(old, occurred_at=at(DAY, 9))])
    assert kinds(run) == {("cross_day", "open"): 1}


def test_payment_line_does_not_clear_the_neighbours_held_refund(records):
    """Review P1-1: payment 23:50 and its refund 23:55 on T, both held; T+1's bill shows
    only the payment. The refund's held item stays held, then opens as refund_platform_only."""
    from payments.models import Discrepancy

    txn = records.txn("100.00", paid_at=at(DAY, 23, 50))
    refund = records.refund(txn, "100.00", succeeded_at=at(DAY, 23, 55))
    run_t = reconcile_rows("sandbox", DAY, [])
    assert kinds(run_t) == {("cross_day", "held"): 2}
    run_n = reconcile_rows("sandbox", NEXT, [bill_row(txn, occurred_at=at(NEXT, 0, 1))])
    assert kinds(run_n) == {("cross_day", "cleared"): 1}
    paid = Discrepancy.objects.get(reconciliation=run_t, refund__isnull=True)
    held_refund = Discrepancy.objects.get(reconciliation=run_t, refund=refund)
    assert (paid.status, paid.cleared_by_id) == ("cleared", run_n.pk)
    assert (held_refund.status, held_refund.cleared_by_id) == ("held", None)
    reconcile_rows("sandbox", DAY + timedelta(days=2), [])
    held_refund.refresh_from_db()
    assert (held_refund.kind, held_refund.status) == ("refund_platform_only", "open")


def test_refund_line_clears_only_the_held_refund(records):
    """Review P1-1, the other way: T+1's bill shows only the refund; the held payment of
    that transaction stays held and the refund line clears the refund's item."""
    from payments.models import Discrepancy

    txn = records.txn("100.00", paid_at=at(DAY, 23, 50))
    refund = records.refund(txn, "100.00", succeeded_at=at(DAY, 23, 55))
    run_t = reconcile_rows("sandbox", DAY, [])
    run_n = reconcile_rows("sandbox", NEXT, [bill_row(refund, occurred_at=at(NEXT, 0, 2))])
    assert kinds(run_n) == {("cross_day", "cleared"): 1}
    assert Discrepancy.objects.get(reconciliation=run_t, refund=refund).status == "cleared"
    assert Discrepancy.objects.get(reconciliation=run_t, refund__isnull=True).status == "held"


def test_next_day_retried_after_the_day_after(records):
    """Review P2-1: T+1's download failed and is retried after T+2's run. T's held item
    is not escalated while T+1 has no live run, and the retried T+1 clears it."""
    late = records.txn("88.00", paid_at=at(DAY, 23, 50))
    run_t = reconcile_rows("sandbox", DAY, [])
    reconcile_rows("sandbox", DAY + timedelta(days=2), [])
    assert kinds(run_t) == {("cross_day", "held"): 1}
    run_n = reconcile_rows("sandbox", NEXT, [bill_row(late, occurred_at=at(NEXT, 0, 1))])
    assert kinds(run_t) == {("cross_day", "cleared"): 1}
    assert kinds(run_n) == {("cross_day", "cleared"): 1}


def test_redo_of_a_day_after_its_neighbour_cleared_it(records):
    """Review P2-1: day T re-done after T+1 cleared the pair: the redo clears it too."""
    late = records.txn("88.00", paid_at=at(DAY, 23, 50))
    reconcile_rows("sandbox", DAY, [])
    run_n = reconcile_rows("sandbox", NEXT, [bill_row(late, occurred_at=at(NEXT, 0, 1))])
    redo = reconcile_rows("sandbox", DAY, [])
    assert kinds(redo) == {("cross_day", "cleared"): 1}
    assert kinds(run_n) == {("cross_day", "cleared"): 1}
    # the next days find nothing to escalate
    reconcile_rows("sandbox", DAY + timedelta(days=2), [])
    assert kinds(redo) == {("cross_day", "cleared"): 1}


def test_redo_of_the_next_day_clears_what_escalation_opened(records):
    """Review P2-1: T+1 first ran on a file without the line, T+2 escalated T's item to
    platform_only; T+1 re-done with the right file clears it as cross-day."""
    late = records.txn("88.00", paid_at=at(DAY, 23, 50))
    run_t = reconcile_rows("sandbox", DAY, [])
    reconcile_rows("sandbox", NEXT, [])
    reconcile_rows("sandbox", DAY + timedelta(days=2), [])
    assert kinds(run_t) == {("platform_only", "open"): 1}
    redo = reconcile_rows("sandbox", NEXT, [bill_row(late, occurred_at=at(NEXT, 0, 1))])
    assert kinds(redo) == {("cross_day", "cleared"): 1}
    item = run_t.discrepancies.get()
    assert (item.kind, item.status, item.cleared_by_id) == ("cross_day", "cleared", redo.pk)
