"""Channel funds: the statement reader, matching a statement against the channel's ledger,
and starting a statement run (permission, scope, period, file checks, one in flight)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import transaction
from django.test import override_settings

from mall.core.actors import system_actor
from payments.models import BillLine, Discrepancy, Reconciliation
from payments.models.reconciliation import SUMMARY_KEYS
from payments.reconciliation.bills import BillFormatError
from payments.reconciliation.statement import StatementLine, StatementReader, write_statement
from payments.services.channel_funds import statement_load_and_match, statement_start
from tests.conftest import requires_postgres
from tests.payments.reconciliation.funds_support import (
    FIXTURES,
    PERIOD_END,
    PERIOD_START,
    Progress,
    at,
    finance_user,
    grant_channel,
    make_run,
    post,
    upload,
)

D = Decimal


def read(name_or_data, *, start=PERIOD_START, end=PERIOD_END) -> StatementReader:
    data = name_or_data
    if not isinstance(data, bytes):
        data = (FIXTURES / name_or_data).read_bytes()
    reader = StatementReader(data=data, bill_date=start, period_end=end)
    reader.rows_read = list(reader.rows())
    reader.finish()
    return reader


# --- the reader -----------------------------------------------------------------------------


def test_the_reader_reads_a_statement_with_bom_crlf_total_and_closing_balance():
    reader = read("good_bom_crlf.csv")
    rows = reader.rows_read
    assert [(r.line_no, r.kind, r.transaction_no, r.channel_status, r.amount) for r in rows] == [
        (2, "payment", "ST-1001", "settlement", D("120.00")),
        (3, "payment", "ST-1002", "settlement", D("80.50")),
        (4, "refund", "ST-1001", "refund", D("20.00")),
        (5, "refund", "WD-01", "withdrawal", D("50.00")),
        (6, "refund", "ADJ-7", "adjustment", D("0.50")),
    ]
    assert rows[0].occurred_at.isoformat() == "2026-10-02T09:30:00+08:00"
    assert reader.net_amount == D("130.00")
    assert (reader.declared_count, reader.declared_sum) == (5, D("130.00"))
    assert reader.closing_balance == D("130.00")
    assert reader.totals.payment_amount == D("200.50")
    assert reader.totals.refund_amount == D("70.50")


def test_writer_and_reader_round_trip_without_a_total_line():
    data = write_statement(
        [
            StatementLine(at(date(2026, 10, 3)), "R-1", "settlement", D("9.90"), "a,b"),
            StatementLine(date(2026, 10, 4), "R-2", "adjustment", D("1"), ""),
        ],
        with_total=False,
        bom=True,
    )
    reader = read(data)
    assert [(r.transaction_no, r.amount) for r in reader.rows_read] == [
        ("R-1", D("9.90")),
        ("R-2", D("1.00")),
    ]
    assert reader.declared_count is None and reader.closing_balance is None


@pytest.mark.parametrize(
    ("name", "line", "words"),
    [
        ("missing_column.csv", 1, "类型"),
        ("bad_amount.csv", 3, "abc"),
        ("bad_date.csv", 2, "2026/10/02"),
        ("wrong_sign.csv", 3, "退款"),
        ("unknown_kind.csv", 3, "充值"),
        ("outside_period.csv", 3, "2026-11-01"),
        ("extra_field.csv", 2, "6"),
        ("line_after_total.csv", 4, "合计"),
        ("gbk.csv", 1, "UTF-8"),
    ],
)
def test_a_malformed_statement_is_refused_naming_its_line(name, line, words):
    with pytest.raises(BillFormatError) as caught:
        read(name)
    assert caught.value.line == line
    assert caught.value.code == "bill_malformed"
    assert words in str(caught.value.message)


def test_a_total_line_that_does_not_add_up_is_refused_at_the_end():
    with pytest.raises(BillFormatError) as caught:
        read("total_mismatch.csv")
    assert "16.00" in str(caught.value.message) and "15.00" in str(caught.value.message)


# --- load and match -------------------------------------------------------------------------


@pytest.fixture
def channel(make_channel):
    return make_channel("tm-funds")


def _run_match(run, data: bytes, progress=None):
    with transaction.atomic():
        return statement_load_and_match(
            actor=system_actor(), run=run, data=data, progress=progress or Progress()
        )


@pytest.mark.django_db
def test_every_class_is_found_and_the_figures_tie_out(channel, make_channel):
    day = date(2026, 10, 10)
    post(channel, "settlement", "100.00", "S-OK", when=at(day))
    post(channel, "settlement", "50.00", "S-DIFF", when=at(day))
    post(channel, "settlement", "30.00", "S-OURS", when=at(day))  # not on the statement
    post(channel, "refund", "-10.00", "S-OK", when=at(day, 13))  # same reference, other kind
    post(channel, "settlement", "40.00", "S-DUP", when=at(day))
    # another channel's entry with a reference the statement names: not ours to match
    post(make_channel("jd-other"), "settlement", "7.00", "S-THEIRS", when=at(day))
    run = make_run(channel)
    data = write_statement(
        [
            StatementLine(at(day), "S-OK", "settlement", D("100.00")),
            StatementLine(at(day), "S-DIFF", "settlement", D("55.00")),
            StatementLine(at(day), "S-OK", "refund", D("-10.00")),
            StatementLine(at(day), "S-DUP", "settlement", D("40.00")),
            StatementLine(at(day), "S-DUP", "settlement", D("40.00")),
            StatementLine(at(day), "S-THEIRS", "settlement", D("7.00")),
        ],
        closing_balance=D("210.00"),
    )
    progress = Progress()

    summary, totals = _run_match(run, data, progress)

    assert set(summary) == set(SUMMARY_KEYS)
    assert summary["matched"] == 3  # S-OK settlement, S-OK refund, first S-DUP
    assert summary["amount_mismatch"] == 1
    assert summary["channel_only"] == 1
    assert summary["platform_only"] == 1
    assert summary["duplicate"] == 1
    assert sum(summary.values()) == 7
    others = [key for key in SUMMARY_KEYS if key.startswith(("refund_", "cross", "fee"))]
    assert all(summary[key] == 0 for key in others)

    rows = {
        (d.kind, d.transaction_no): d
        for d in Discrepancy.objects.filter(reconciliation=run).select_related("ledger_entry")
    }
    assert set(rows) == {
        ("amount_mismatch", "S-DIFF"),
        ("channel_only", "S-THEIRS"),
        ("platform_only", "S-OURS"),
        ("duplicate", "S-DUP"),
    }
    diff = rows[("amount_mismatch", "S-DIFF")]
    assert (diff.our_amount, diff.channel_amount, diff.difference_amount) == (
        D("50.00"),
        D("55.00"),
        D("5.00"),
    )
    assert diff.ledger_entry.reference_no == "S-DIFF" and diff.bill_line.line_no == 3
    ours = rows[("platform_only", "S-OURS")]
    assert (ours.our_amount, ours.channel_amount, ours.difference_amount) == (
        D("30.00"),
        None,
        D("30.00"),
    )
    assert ours.bill_line is None and ours.ledger_entry.kind == "settlement"
    theirs = rows[("channel_only", "S-THEIRS")]
    assert theirs.ledger_entry is None and theirs.channel_amount == D("7.00")
    for row in rows.values():
        assert row.status == Discrepancy.Status.OPEN
        assert row.sales_channel_id == channel.pk and row.channel == ""
        assert row.business_date == PERIOD_START and row.region_id is None
    outcomes = dict(BillLine.objects.filter(reconciliation=run).values_list("line_no", "outcome"))
    assert outcomes == {
        2: "matched",
        3: "amount_mismatch",
        4: "matched",
        5: "matched",
        6: "duplicate",
        7: "channel_only",
    }

    assert totals["tie_out"]["ok"] is True
    assert totals["statement"]["net_amount"] == "232.00"
    assert totals["statement"]["declared_count"] == 6
    assert totals["ledger"]["entry_count"] == 5
    assert totals["ledger"]["net_amount"] == "210.00"
    assert totals["balance"] == {
        "statement_closing": "210.00",
        "ledger_closing": "210.00",
        "channel_balance_now": "210.00",
        "difference": "0.00",
        "ok": True,
    }
    assert progress.calls[-1][0] == progress.calls[-1][1]


@pytest.mark.django_db
def test_only_the_channels_entries_inside_the_period_count(channel):
    before = post(channel, "settlement", "5.00", "EARLY", when=at(date(2026, 9, 30), 23, 59))
    post(channel, "settlement", "6.00", "FIRST", when=at(PERIOD_START, 0, 0))
    post(channel, "settlement", "7.00", "LAST", when=at(PERIOD_END, 23, 59))
    post(channel, "settlement", "8.00", "LATE", when=at(date(2026, 11, 1), 0, 0))
    run = make_run(channel)
    data = write_statement(
        [
            StatementLine(at(PERIOD_START), "FIRST", "settlement", D("6.00")),
            StatementLine(at(PERIOD_END), "LAST", "settlement", D("7.00")),
            # our entry is dated the day before the period: not this period's
            StatementLine(at(PERIOD_START), "EARLY", "settlement", D("5.00")),
        ],
        closing_balance=D("20.00"),
    )

    summary, totals = _run_match(run, data)

    assert summary["matched"] == 2
    assert summary["channel_only"] == 1
    assert summary["platform_only"] == 0  # LATE is next period's
    assert totals["ledger"]["opening_balance"] == str(before.balance_after_amount)
    assert totals["ledger"]["closing_balance"] == "18.00"
    assert totals["balance"]["ok"] is False and totals["balance"]["difference"] == "2.00"


@pytest.mark.django_db
def test_a_statement_without_closing_balance_records_no_balance_verdict(channel):
    post(channel, "settlement", "5.00", "ONLY", when=at(date(2026, 10, 3)))
    run = make_run(channel)
    summary, totals = _run_match(
        run, write_statement([StatementLine(at(date(2026, 10, 3)), "ONLY", "settlement", D("5"))])
    )
    assert summary["matched"] == 1
    assert totals["balance"]["statement_closing"] is None and totals["balance"]["ok"] is None
    assert totals["balance"]["ledger_closing"] == "5.00"


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["bad_amount.csv", "total_mismatch.csv", "outside_period.csv"])
def test_load_and_match_writes_nothing_when_the_file_is_malformed(channel, name):
    post(channel, "settlement", "10.00", "ST-1", when=at(date(2026, 10, 2)))
    run = make_run(channel)
    with transaction.atomic():
        with pytest.raises(BillFormatError):
            statement_load_and_match(
                actor=system_actor(),
                run=run,
                data=(FIXTURES / name).read_bytes(),
                progress=Progress(),
            )
        # the caller's transaction goes on: nothing of the statement is in it
        assert not BillLine.objects.filter(reconciliation=run).exists()
        assert not Discrepancy.objects.filter(reconciliation=run).exists()


@pytest.mark.django_db
def test_load_and_match_refuses_a_payment_bill_run(channel):
    run = Reconciliation.objects.create(
        kind="payment_bill",
        channel="sandbox",
        bill_date=PERIOD_START,
        period_end=PERIOD_START,
        source="upload",
    )
    with pytest.raises(Exception) as caught:
        _run_match(run, (FIXTURES / "good_bom_crlf.csv").read_bytes())
    assert getattr(caught.value, "status_code", None) == 400
    assert not BillLine.objects.filter(reconciliation=run).exists()


# --- starting a run -------------------------------------------------------------------------


def _good() -> bytes:
    return (FIXTURES / "good_bom_crlf.csv").read_bytes()


@pytest.mark.django_db
def test_finance_with_the_channel_starts_a_run_with_the_file_kept(
    make_staff, channel, django_capture_on_commit_callbacks
):
    from ops.models import AuditEntry

    user = grant_channel(finance_user(make_staff), channel)
    with django_capture_on_commit_callbacks() as callbacks:
        run = statement_start(
            actor=user,
            sales_channel=channel,
            period_start=PERIOD_START,
            period_end=PERIOD_END,
            upload=upload(_good(), "tmall-2026-10.csv"),
        )
    assert len(callbacks) == 1  # the task, enqueued after commit
    run.refresh_from_db()
    assert (run.kind, run.status, run.channel, run.sales_channel_id) == (
        "channel_statement",
        "queued",
        "",
        channel.pk,
    )
    assert (run.bill_date, run.period_end, run.source) == (PERIOD_START, PERIOD_END, "upload")
    assert run.requested_by_id == user.pk and run.bill_name == "tmall-2026-10.csv"
    with run.bill_file.open("rb") as handle:
        assert handle.read() == _good()
    import hashlib

    assert run.bill_sha256 == hashlib.sha256(_good()).hexdigest()
    entry = AuditEntry.objects.filter(action="reconciliation.start").latest("id")
    assert entry.data["sales_channel"] == channel.code


@pytest.mark.django_db
def test_a_user_without_the_channel_gets_not_found_and_nothing_is_recorded(
    make_staff, channel, make_channel
):
    from orders.exceptions import ChannelNotFound

    user = grant_channel(finance_user(make_staff), make_channel("other-ch"))
    with pytest.raises(ChannelNotFound):
        statement_start(
            actor=user,
            sales_channel=channel,
            period_start=PERIOD_START,
            period_end=PERIOD_END,
            upload=upload(_good()),
        )
    with pytest.raises(ChannelNotFound):
        statement_start(
            actor=user,
            sales_channel=999999,
            period_start=PERIOD_START,
            period_end=PERIOD_END,
            upload=upload(_good()),
        )
    assert not Reconciliation.objects.exists()


@pytest.mark.django_db
def test_without_the_run_permission_the_start_is_refused(make_staff, channel):
    from payments.exceptions import PaymentsPermissionDenied

    user = grant_channel(make_staff("nope", perms=("payments.view_reconciliation",)), channel)
    with pytest.raises(PaymentsPermissionDenied):
        statement_start(
            actor=user,
            sales_channel=channel,
            period_start=PERIOD_START,
            period_end=PERIOD_END,
            upload=upload(_good()),
        )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("start", "end", "field"),
    [
        (date(2026, 10, 1), date(2026, 11, 1), "period_end"),  # 32 days
        (date(2026, 10, 5), date(2026, 10, 4), "period_end"),
        (None, None, "period_end"),  # today: not ended
    ],
)
def test_the_period_must_have_ended_and_span_at_most_31_days(
    make_staff, channel, start, end, field
):
    from django.utils import timezone

    from payments.exceptions import InvalidPaymentInput

    if start is None:
        end = timezone.localdate()
        start = end - timedelta(days=3)
    user = grant_channel(finance_user(make_staff), channel)
    with pytest.raises(InvalidPaymentInput) as caught:
        statement_start(
            actor=user,
            sales_channel=channel,
            period_start=start,
            period_end=end,
            upload=upload(_good()),
        )
    assert field in caught.value.fields


@pytest.mark.django_db
def test_a_second_run_of_the_period_while_one_is_queued_is_409(make_staff, channel):
    from payments.exceptions import ReconciliationRunning

    user = grant_channel(finance_user(make_staff), channel)
    kwargs = {
        "actor": user,
        "sales_channel": channel,
        "period_start": PERIOD_START,
        "period_end": PERIOD_END,
    }
    statement_start(**kwargs, upload=upload(_good()))
    with pytest.raises(ReconciliationRunning):
        statement_start(**kwargs, upload=upload(_good()))
    assert Reconciliation.objects.count() == 1
    # once the first one has ended, the period may be run again (a corrected statement)
    Reconciliation.objects.update(status="done")
    statement_start(**kwargs, upload=upload(_good()))
    assert Reconciliation.objects.count() == 2


@pytest.mark.django_db
def test_a_file_over_the_limit_or_without_the_header_is_refused_at_once(make_staff, channel):
    from ops.parameters import get_parameter
    from payments.exceptions import BillTooLarge
    from payments.parameters import RECON_MAX_BILL_MB

    user = grant_channel(finance_user(make_staff), channel)
    kwargs = {
        "actor": user,
        "sales_channel": channel,
        "period_start": PERIOD_START,
        "period_end": PERIOD_END,
    }
    with pytest.raises(BillFormatError) as caught:
        statement_start(**kwargs, upload=upload((FIXTURES / "missing_column.csv").read_bytes()))
    assert caught.value.line == 1
    too_large = _good() + b"x" * (get_parameter(RECON_MAX_BILL_MB) * 1024 * 1024)
    with pytest.raises(BillTooLarge):
        statement_start(**kwargs, upload=upload(too_large))
    assert not Reconciliation.objects.exists()


# --- through the runs' executor (payments/services/reconciliation.py) ------------------------


def _start_and_execute(user, channel, data: bytes):
    from mall.core.actors import system_actor
    from payments.services.reconciliation import reconciliation_execute

    run = statement_start(
        actor=user,
        sales_channel=channel,
        period_start=PERIOD_START,
        period_end=PERIOD_END,
        upload=upload(data),
    )
    return reconciliation_execute(actor=system_actor(), reconciliation_id=run.pk)


@pytest.mark.django_db
def test_a_statement_run_goes_through_the_task_to_done_with_its_queue(make_staff, channel):
    day = date(2026, 10, 12)
    post(channel, "settlement", "100.00", "E-OK", when=at(day))
    post(channel, "settlement", "20.00", "E-OURS", when=at(day))
    user = grant_channel(finance_user(make_staff), channel)
    data = write_statement(
        [
            StatementLine(at(day), "E-OK", "settlement", D("100.00")),
            StatementLine(at(day), "E-THEIRS", "settlement", D("3.00")),
        ],
        closing_balance=D("120.00"),
    )

    run = _start_and_execute(user, channel, data)

    run.refresh_from_db()
    assert run.status == "done", (run.error_code, run.error)
    assert run.progress == 100
    assert run.summary["matched"] == 1
    assert run.summary["platform_only"] == 1 and run.summary["channel_only"] == 1
    assert run.open_count == 2 and run.open_amount == D("23.00")
    assert run.totals["balance"]["ok"] is True


@pytest.mark.django_db
def test_a_malformed_statement_fails_its_run_with_the_line_and_loads_nothing(make_staff, channel):
    user = grant_channel(finance_user(make_staff), channel)
    run = _start_and_execute(user, channel, (FIXTURES / "bad_amount.csv").read_bytes())
    run.refresh_from_db()
    assert (run.status, run.error_code) == ("failed", "bill_malformed")
    assert "3" in run.error
    assert not BillLine.objects.filter(reconciliation=run).exists()
    assert not Discrepancy.objects.filter(reconciliation=run).exists()


@pytest.mark.django_db
def test_a_corrected_statement_supersedes_the_earlier_run(make_staff, channel):
    day = date(2026, 10, 12)
    post(channel, "settlement", "100.00", "C-1", when=at(day))
    user = grant_channel(finance_user(make_staff), channel)
    wrong = write_statement([StatementLine(at(day), "C-1", "settlement", D("90.00"))])
    first = _start_and_execute(user, channel, wrong)
    right = write_statement([StatementLine(at(day), "C-1", "settlement", D("100.00"))])
    second = _start_and_execute(user, channel, right)
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == ("done", "done")
    assert first.superseded_by_id == second.pk
    assert Discrepancy.objects.get(reconciliation=first).status == "superseded"
    assert second.summary["matched"] == 1 and second.open_count == 0


# --- review P2-3: overlapping periods, re-runs and our own adjustments --------------------------


def _start(user, channel, start, end):
    return statement_start(
        actor=user,
        sales_channel=channel,
        period_start=start,
        period_end=end,
        upload=upload(_good()),
    )


@pytest.mark.django_db
def test_a_period_overlapping_a_live_or_running_run_of_another_period_is_refused(
    make_staff, channel, make_channel
):
    from payments.services.channel_funds import StatementPeriodOverlaps

    user = grant_channel(finance_user(make_staff), channel)
    month = _start(user, channel, PERIOD_START, PERIOD_END)  # queued
    # in flight: another period that overlaps it (another start day) is refused
    with pytest.raises(StatementPeriodOverlaps) as caught:
        _start(user, channel, date(2026, 10, 5), date(2026, 10, 10))
    assert caught.value.status_code == 409
    assert f"#{month.pk}" in str(caught.value.message)
    Reconciliation.objects.filter(pk=month.pk).update(status="done")
    # live (done, not superseded): the same, whichever end overlaps
    for start, end in (
        (date(2026, 10, 2), PERIOD_END),  # Oct 2–31 against Oct 1–31
        (PERIOD_START, date(2026, 10, 15)),  # Oct 1–15 would have superseded the month
        (date(2026, 9, 20), date(2026, 10, 1)),
        (date(2026, 10, 31), date(2026, 11, 6)),
    ):
        with pytest.raises(StatementPeriodOverlaps):
            _start(user, channel, start, end)
    assert Reconciliation.objects.count() == 1
    # periods that do not overlap, another channel, and the same period again are fine
    _start(user, channel, date(2026, 9, 1), date(2026, 9, 30))
    _start(user, channel, date(2026, 11, 1), date(2026, 11, 6))
    other = make_channel("tm-other")
    _start(grant_channel(user, other), other, PERIOD_START, date(2026, 10, 15))
    again = _start(user, channel, PERIOD_START, PERIOD_END)
    assert again.pk != month.pk
    # a superseded or failed run no longer blocks
    Reconciliation.objects.filter(pk=again.pk).update(status="done")
    Reconciliation.objects.filter(pk=month.pk).update(superseded_by=again)
    Reconciliation.objects.filter(pk=again.pk).update(status="failed")
    _start(user, channel, PERIOD_START, date(2026, 10, 15))


def _approve_adjustment(item, amount):
    from payments.services.discrepancies import adjustment_approve, adjustment_propose
    from tests.payments.reconciliation.queue_factories import make_finance

    proposal = adjustment_propose(
        actor=make_finance(f"prop{item.pk}"), discrepancy=item, amount=amount, note="渠道少结"
    )
    return adjustment_approve(actor=make_finance(f"appr{item.pk}"), adjustment=proposal)


@pytest.mark.django_db
def test_a_rerun_writes_the_differences_already_adjusted_as_adjusted(make_staff, channel):
    day = date(2026, 10, 12)
    post(channel, "settlement", "100.00", "C-1", when=at(day))
    post(channel, "settlement", "5.00", "C-2", when=at(day))
    user = grant_channel(finance_user(make_staff), channel)
    short = StatementLine(at(day), "C-1", "settlement", D("90.00"))
    first = _start_and_execute(user, channel, write_statement([short]))
    item = Discrepancy.objects.get(reconciliation=first, kind="amount_mismatch")
    _approve_adjustment(item, "-10.00")
    # a corrected file (C-2 was missing) of the same period: C-1 is still 90 on it
    fixed = [short, StatementLine(at(day), "C-2", "settlement", D("5.00"))]
    second = _start_and_execute(user, channel, write_statement(fixed))
    second.refresh_from_db()
    assert second.status == "done", second.error
    again = Discrepancy.objects.get(reconciliation=second)
    assert (again.kind, again.transaction_no) == ("amount_mismatch", "C-1")
    assert again.status == "adjusted"
    assert again.resolution_note
    assert second.open_count == 0 and second.totals["carried_adjusted"] == 1
    item.refresh_from_db()
    assert item.status == "adjusted"  # the superseded run keeps its decision
    # a different amount at stake is a new difference: it opens again
    changed = [StatementLine(at(day), "C-1", "settlement", D("80.00")), fixed[1]]
    third = _start_and_execute(user, channel, write_statement(changed))
    third.refresh_from_db()
    assert Discrepancy.objects.get(reconciliation=third).status == "open"
    assert third.open_count == 1 and third.totals["carried_adjusted"] == 0


@pytest.mark.django_db
def test_the_entry_an_approved_adjustment_posted_is_not_platform_only_next_period(channel):
    from orders.models import ChannelLedgerEntry

    day = date(2026, 10, 12)
    post(channel, "settlement", "100.00", "N-1", when=at(day))
    october = make_run(channel)
    _run_match(october, write_statement([StatementLine(at(day), "N-1", "settlement", D("99"))]))
    adjustment = _approve_adjustment(Discrepancy.objects.get(reconciliation=october), "-1.00")
    assert adjustment.ledger_reference == f"RECADJ-{adjustment.pk}"
    # the correction is posted after October: it falls in November's period
    november_day = date(2026, 11, 3)
    ChannelLedgerEntry.objects.filter(reference_no=adjustment.ledger_reference).update(
        created_at=at(november_day)
    )
    post(channel, "adjustment", "2.00", "RECADJ-999999", when=at(november_day))  # not ours
    post(channel, "settlement", "30.00", "N-2", when=at(november_day))
    november = make_run(channel, start=date(2026, 11, 1), end=date(2026, 11, 20))
    _run_match(
        november,
        write_statement([StatementLine(at(november_day), "N-2", "settlement", D("30"))]),
    )
    found = Discrepancy.objects.filter(reconciliation=november)
    assert [(d.kind, d.transaction_no) for d in found] == [("platform_only", "RECADJ-999999")]


@pytest.mark.django_db
def test_superseding_closes_the_proposals_waiting_on_superseded_items(make_staff, channel):
    from ops.models import AuditEntry
    from payments.exceptions import DiscrepancyStateConflict
    from payments.services.discrepancies import (
        adjustment_approve,
        adjustment_propose,
        adjustments_close_for_superseded,
    )
    from tests.payments.reconciliation.queue_factories import make_finance

    day = date(2026, 10, 12)
    post(channel, "settlement", "100.00", "P-1", when=at(day))
    user = grant_channel(finance_user(make_staff), channel)
    short = write_statement([StatementLine(at(day), "P-1", "settlement", D("90.00"))])
    first = _start_and_execute(user, channel, short)
    item = Discrepancy.objects.get(reconciliation=first)
    proposal = adjustment_propose(
        actor=make_finance("prop"), discrepancy=item, amount="-10.00", note="渠道少结"
    )
    second = _start_and_execute(user, channel, short)
    other = Discrepancy.objects.get(reconciliation=second)  # open: must be left alone
    waiting = adjustment_propose(
        actor=make_finance("prop2"), discrepancy=other, amount="-10.00", note="再提"
    )
    item.refresh_from_db()
    assert item.status == "superseded"

    from mall.core.actors import system_actor

    # the executor's supersede closed the waiting proposal already; calling again
    # closes nothing more (and never the open item's proposal)
    closed = adjustments_close_for_superseded(
        actor=system_actor(), discrepancy_ids=[item.pk, other.pk]
    )

    assert closed == []
    proposal.refresh_from_db()
    waiting.refresh_from_db()
    assert proposal.status == "rejected" and proposal.decided_by_id is None
    assert proposal.decision_note and proposal.decided_at is not None
    assert waiting.status == "proposed"
    assert AuditEntry.objects.filter(
        action="reconciliation.adjustment_close", object_id=str(proposal.pk)
    ).exists()
    with pytest.raises(DiscrepancyStateConflict):
        adjustment_approve(actor=make_finance("appr"), adjustment=proposal)
    # a second call finds nothing left to close
    assert adjustments_close_for_superseded(actor=system_actor(), discrepancy_ids=[item.pk]) == []


@requires_postgres
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@override_settings(CELERY_TASK_ALWAYS_EAGER=False)
def test_overlapping_starts_at_once_make_one_run(channel):
    """Six starts of overlapping periods with different start days (the in-flight
    constraint does not cover them): the channel's row lock lets exactly one through."""
    import threading

    from django.db import connection

    from mall.core.actors import system_actor
    from payments.services.channel_funds import StatementPeriodOverlaps

    barrier = threading.Barrier(6)
    results, crashes = [], []
    guard = threading.Lock()

    def start(offset: int) -> None:
        try:
            barrier.wait(timeout=60)
            try:
                outcome = _start(
                    system_actor(), channel, PERIOD_START + timedelta(days=offset), PERIOD_END
                ).pk
            except StatementPeriodOverlaps:
                outcome = "409"
            with guard:
                results.append(outcome)
        except Exception as exc:  # noqa: BLE001 - reported by the test
            with guard:
                crashes.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=start, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert crashes == []
    assert sorted(results, key=str).count("409") == 5
    assert Reconciliation.objects.filter(sales_channel=channel).count() == 1


@pytest.mark.django_db
def test_a_statement_run_and_its_items_are_read_only_by_readers_of_every_row(make_staff, channel):
    """A channel operator (scope: granted objects, holding the channel) starts the
    statement run but reads neither the run (whole-bill figures) nor its items (no
    region: scope "all" only); a scope-"all" finance user reads both."""
    from payments import selectors
    from tests.payments.reconciliation.queue_factories import make_finance

    day = date(2026, 10, 12)
    post(channel, "settlement", "100.00", "P-9", when=at(day))
    operator = grant_channel(
        finance_user(
            make_staff,
            "op_fin",
            perms=(
                "payments.run_reconciliation",
                "payments.view_reconciliation",
                "payments.view_discrepancy",
            ),
        ),
        channel,
    )
    short = write_statement([StatementLine(at(day), "P-9", "settlement", D("90.00"))])
    run = _start_and_execute(operator, channel, short)
    assert run.status == "done" and run.discrepancies.count() == 1

    assert not selectors.reconciliation_list(actor=operator).exists()
    assert not selectors.discrepancy_list(actor=operator).exists()
    everyone = make_finance("fin_all_stmt")
    assert list(selectors.reconciliation_list(actor=everyone)) == [run]
    assert selectors.discrepancy_list(actor=everyone).count() == 1
