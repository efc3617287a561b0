# ruff: noqa: F811 - fixtures imported from matcher_support are parameters here
"""The set-based matcher: every class on its own, duplicates, fees, totals tie-out."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.payments.reconciliation.matcher_support import (  # noqa: F401 - fixtures
    DAY,
    at,
    bill_row,
    buyer,
    kinds,
    reconcile_rows,
    records,
    unknown_row,
)

pytestmark = pytest.mark.django_db


def test_all_matched_ties_out(records):
    a, b = records.txn("100.00"), records.txn("55.50")
    r = records.refund(a, "30.00")
    run = reconcile_rows("sandbox", DAY, [bill_row(a), bill_row(b), bill_row(r)])
    assert run.summary["matched"] == 3
    assert kinds(run) == {}
    assert run.totals["tie_out"]["payment"]["ok"] is True
    assert run.totals["matched"]["payment_amount"] == "155.50"
    assert run.totals["matched"]["refund_amount"] == "30.00"
    assert run.totals["ours"]["payment"] == {"count": 2, "amount": "155.50"}
    lines = list(run.lines.order_by("line_no").values_list("outcome", "transaction_id"))
    assert lines == [("matched", a.pk), ("matched", b.pk), ("matched", None)]


def test_each_class(records):
    matched = records.txn("10.00")
    short = records.txn("20.00")  # not on the bill
    wrong = records.txn("30.00")
    unpaid = records.txn("40.00", status="unpaid", paid_at=None)
    refunded = records.refund(matched, "5.00")
    refund_short = records.refund(wrong, "6.00")
    refund_wrong = records.refund(wrong, "7.00")
    rows = [
        bill_row(matched),
        bill_row(wrong, amount="31.00"),
        bill_row(unpaid, occurred_at=at(DAY, 10)),
        unknown_row(amount="9.90"),
        bill_row(refunded),
        bill_row(refund_wrong, amount="7.50"),
        unknown_row(kind="refund", amount="1.00"),
    ]
    run = reconcile_rows("sandbox", DAY, rows)
    assert kinds(run) == {
        ("platform_only", "open"): 1,
        ("amount_mismatch", "open"): 1,
        ("channel_only", "open"): 2,
        ("refund_platform_only", "open"): 1,
        ("refund_amount_mismatch", "open"): 1,
        ("refund_channel_only", "open"): 1,
    }
    s = run.summary
    assert (s["matched"], s["platform_only"], s["channel_only"], s["amount_mismatch"]) == (
        2,
        1,
        2,
        1,
    )
    d = run.discrepancies.get(kind="platform_only")
    assert (d.transaction_id, d.our_amount, d.difference_amount) == (
        short.pk,
        Decimal("20.00"),
        Decimal("20.00"),
    )
    d = run.discrepancies.get(kind="amount_mismatch")
    assert (d.our_amount, d.channel_amount, d.difference_amount) == (
        Decimal("30.00"),
        Decimal("31.00"),
        Decimal("1.00"),
    )
    d = run.discrepancies.get(kind="refund_platform_only")
    assert d.refund_id == refund_short.pk
    d = run.discrepancies.get(kind="channel_only", transaction__isnull=False)
    assert d.transaction_id == unpaid.pk
    assert run.totals["tie_out"]["refund"]["ok"] is True


def test_duplicates_within_the_bill_and_across_runs(records):
    a = records.txn("10.00")
    run = reconcile_rows("sandbox", DAY, [bill_row(a), bill_row(a)])
    assert kinds(run) == {("duplicate", "open"): 1}
    assert run.summary["matched"] == 1
    assert run.totals["tie_out"]["payment"]["ok"] is True
    # the same record again on the next day's bill: a duplicate of the live run's line
    other = reconcile_rows("sandbox", DAY.replace(day=DAY.day + 1), [bill_row(a)])
    assert kinds(other, kind="duplicate") == {("duplicate", "open"): 1}


def test_fee_mismatch_beyond_the_tolerance(records):
    a = records.txn("100.00", fee="0.60")
    b = records.txn("100.00", fee="0.60")
    run = reconcile_rows("sandbox", DAY, [bill_row(a, fee="0.61"), bill_row(b, fee="0.90")])
    assert run.summary["matched"] == 2
    d = run.discrepancies.get()
    assert (d.kind, d.transaction_id, d.difference_amount) == (
        "fee_mismatch",
        b.pk,
        Decimal("0.30"),
    )


def test_other_channels_are_ignored(records):
    records.txn("10.00", channel="alipay")
    run = reconcile_rows("sandbox", DAY, [])
    assert kinds(run) == {}


def test_superseding(records):
    a = records.txn("10.00")
    first = reconcile_rows("sandbox", DAY, [])
    assert kinds(first) == {("platform_only", "open"): 1}
    second = reconcile_rows("sandbox", DAY, [bill_row(a)])
    first.refresh_from_db()
    assert first.superseded_by_id == second.pk
    assert kinds(first) == {("platform_only", "superseded"): 1}
    assert second.summary["matched"] == 1  # not a duplicate of the superseded run


def test_fallback_on_the_channel_number(records):
    a = records.txn("10.00")
    run = reconcile_rows("sandbox", DAY, [bill_row(a, transaction_no="")])
    assert run.summary["matched"] == 1


@pytest.mark.parametrize("status", ["REFUND/PROCESSING", "REFUND/CHANGE", "REFUND/REFUNDCLOSE"])
def test_refund_not_succeeded_at_the_channel_is_never_matched(records, status):
    """Review P1-2: a WeChat refund line whose 退款状态 is not SUCCESS against our
    succeeded refund is refund_platform_only (the money did not go back), not matched."""
    txn = records.txn("50.00", paid_at=at(DAY, 10))
    refund = records.refund(txn, "20.00", succeeded_at=at(DAY, 15))
    run = reconcile_rows("sandbox", DAY, [bill_row(txn), bill_row(refund, channel_status=status)])
    assert kinds(run) == {("refund_platform_only", "open"): 1}
    item = run.discrepancies.get()
    assert (item.refund_id, item.our_amount, item.difference_amount) == (
        refund.pk,
        Decimal("20.00"),
        Decimal("20.00"),
    )
    assert run.summary["matched"] == 1
    assert run.totals["matched"]["refund_amount"] == "0.00"
    assert run.totals["tie_out"]["refund"]["ok"] is True


def test_our_side_ties_out(records):
    """Review P3: our done records of the day are tied out too (matched + amounts differ +
    duplicate on the bill, platform_only / cross_day items without a line)."""
    matched = records.txn("10.00", paid_at=at(DAY, 9))
    differs = records.txn("20.00", paid_at=at(DAY, 10))
    records.txn("30.00", paid_at=at(DAY, 11))  # platform_only
    records.txn("40.00", paid_at=at(DAY, 23, 55))  # held cross-day
    refund = records.refund(matched, "5.00", succeeded_at=at(DAY, 12))
    run = reconcile_rows(
        "sandbox",
        DAY,
        [bill_row(matched), bill_row(differs, amount="21.00"), bill_row(matched), bill_row(refund)],
    )
    assert run.totals["tie_out"]["ours_payment"] == {
        "ours": "100.00",
        "classified": "100.00",
        "ok": True,
    }
    assert run.totals["tie_out"]["ours_refund"]["ok"] is True
