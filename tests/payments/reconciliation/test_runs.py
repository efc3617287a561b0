# ruff: noqa: F811 - fixtures imported from matcher_support are parameters here
"""Runs through the real services: upload, parse, load, match, done / failed; both formats."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.utils import timezone

from tests.orders.after_sales_fixtures import staff  # noqa: F401
from tests.payments.reconciliation.matcher_support import (  # noqa: F401 - fixtures
    at,
    bill_row,
    buyer,
    kinds,
    numbered,
    past_the_head,
    records,
    unknown_row,
)

pytestmark = pytest.mark.django_db
GATEWAYS = {"sandbox": {"secret": "s"}, "alipay": {}, "balance": {}, "wechat": {}}
PERMS = ("payments.run_reconciliation", "payments.view_reconciliation")


@pytest.fixture
def finance(staff):
    return staff("recon_finance", PERMS)


def yesterday():
    return timezone.localdate() - timedelta(days=1)


def write(channel, rows, **kw):
    if channel == "alipay":
        from payments.reconciliation.alipay_bill import write_bill

        return write_bill(numbered(rows), **kw)
    from payments.reconciliation.wechat_bill import write_bill

    return write_bill(numbered(rows), **kw)


def upload(data, name="bill.csv"):
    return SimpleUploadedFile(name, data, content_type="text/csv")


def start_and_run(actor, channel, day, data):
    from django.test import TestCase

    with TestCase.captureOnCommitCallbacks(execute=True):
        return _start_and_run(actor, channel, day, data)


def _start_and_run(actor, channel, day, data):
    from django.test import TestCase

    from mall.core.actors import system_actor
    from payments.services.reconciliation import reconciliation_execute, reconciliation_start

    with TestCase.captureOnCommitCallbacks(execute=False):  # the task is run here
        run = reconciliation_start(actor=actor, channel=channel, bill_date=day, upload=upload(data))
    assert run.status == "queued" and run.source == "upload"
    return reconciliation_execute(actor=system_actor(), reconciliation_id=run.pk, task_id="t-1")


@override_settings(PAYMENT_GATEWAYS=GATEWAYS)
@pytest.mark.parametrize("channel", ["sandbox", "alipay"])
def test_every_class_on_an_uploaded_bill(channel, records, finance):
    import hashlib

    day = yesterday()
    noon = at(day, 12)
    ok = records.txn("100.00", noon, channel=channel)
    short = records.txn("20.00", noon, channel=channel)
    wrong = records.txn("30.00", noon, channel=channel)
    fee_off = records.txn("40.00", noon, channel=channel, fee="0.24")
    late = records.txn("50.00", at(day, 23, 50), channel=channel)
    refund_ok = records.refund(ok, "10.00", at(day, 14))
    refund_short = records.refund(wrong, "3.00", at(day, 14))
    refund_wrong = records.refund(fee_off, "4.00", at(day, 14))
    rows = [
        bill_row(ok),
        bill_row(ok),  # duplicate
        bill_row(wrong, amount="31.00"),
        bill_row(fee_off, fee="0.50"),
        unknown_row(amount="9.90", occurred_at=at(day, 9)),
        bill_row(refund_ok),
        bill_row(refund_wrong, amount="4.40"),
        unknown_row(kind="refund", amount="1.00", occurred_at=at(day, 9)),
    ]
    data = write(channel, rows)
    run = start_and_run(finance, channel, day, data)
    assert run.status == "done", (run.error_code, run.error)
    assert run.bill_sha256 == hashlib.sha256(data).hexdigest()
    assert (run.progress, run.rows_done, run.rows_total) == (100, 8, 8)
    assert kinds(run) == {
        ("platform_only", "open"): 1,
        ("channel_only", "open"): 1,
        ("amount_mismatch", "open"): 1,
        ("duplicate", "open"): 1,
        ("fee_mismatch", "open"): 1,
        ("cross_day", "held"): 1,
        ("refund_platform_only", "open"): 1,
        ("refund_amount_mismatch", "open"): 1,
        ("refund_channel_only", "open"): 1,
    }
    assert run.summary["matched"] == 3
    assert run.discrepancies.get(kind="platform_only").transaction_id == short.pk
    assert run.discrepancies.get(kind="cross_day").transaction_id == late.pk
    assert run.discrepancies.get(kind="refund_platform_only").refund_id == refund_short.pk
    assert run.open_count == 8
    stakes = sum(d.difference_amount for d in run.discrepancies.filter(status="open"))
    assert run.open_amount == stakes
    assert run.totals["tie_out"]["payment"]["ok"] and run.totals["tie_out"]["refund"]["ok"]
    assert run.totals["lines"]["payment_amount"] == "280.90"
    from ops.models import StaffNotification

    assert StaffNotification.objects.filter(
        recipient=finance, kind="payments.reconciliation_open"
    ).exists()


@override_settings(PAYMENT_GATEWAYS=GATEWAYS)
@pytest.mark.parametrize("channel", ["sandbox", "alipay"])
def test_malformed_file_fails_with_nothing_loaded(channel, records, finance):
    from payments.models import BillLine

    day = yesterday()
    ok = records.txn("100.00", at(day, 12), channel=channel)
    # past the head checked at submit: the job meets the bad line
    data = write(channel, [*past_the_head(day), bill_row(ok), bill_row(ok)])
    lines = data.split(b"\r\n")
    second = [i for i, line in enumerate(lines) if b"100.00" in line and line[:1] != b"#"][-1]
    lines[second] = lines[second].replace(b"100.00", b"1x0.00")  # the second detail line
    run = start_and_run(finance, channel, day, b"\r\n".join(lines))
    assert (run.status, run.error_code) == ("failed", "bill_malformed")
    assert run.error
    assert not BillLine.objects.filter(reconciliation=run).exists()
    assert not run.discrepancies.exists()


@override_settings(PAYMENT_GATEWAYS=GATEWAYS)
def test_summary_not_matching_the_lines_fails(records, finance):
    from payments.models import BillLine
    from payments.reconciliation.bills import BillTotals

    day = yesterday()
    ok = records.txn("100.00", at(day, 12))
    wrong = BillTotals(payment_count=1, payment_amount=Decimal("99.00"))
    run = start_and_run(finance, "sandbox", day, write("sandbox", [bill_row(ok)], declared=wrong))
    assert (run.status, run.error_code) == ("failed", "bill_malformed")
    assert not BillLine.objects.filter(reconciliation=run).exists()
    from ops.models import StaffNotification

    assert StaffNotification.objects.filter(
        recipient=finance, kind="payments.reconciliation_failed"
    ).exists()


@override_settings(PAYMENT_GATEWAYS=GATEWAYS)
def test_one_run_in_flight_per_bill(finance):
    from payments.exceptions import ReconciliationRunning
    from payments.services.reconciliation import reconciliation_start

    day = yesterday()
    reconciliation_start(
        actor=finance, channel="sandbox", bill_date=day, upload=upload(write("sandbox", []))
    )
    with pytest.raises(ReconciliationRunning):
        reconciliation_start(
            actor=finance, channel="sandbox", bill_date=day, upload=upload(write("sandbox", []))
        )


@override_settings(PAYMENT_GATEWAYS=GATEWAYS)
def test_start_refusals(finance, staff):
    from ops.models import SystemParameter
    from payments.exceptions import (
        BillTooLarge,
        InvalidPaymentInput,
        PaymentsPermissionDenied,
        ReconciliationChannelUnsupported,
    )
    from payments.services.reconciliation import reconciliation_start

    day = yesterday()
    with pytest.raises(ReconciliationChannelUnsupported):
        reconciliation_start(actor=finance, channel="balance", bill_date=day)
    with pytest.raises(ReconciliationChannelUnsupported):
        reconciliation_start(actor=finance, channel="unionpay", bill_date=day)
    with pytest.raises(InvalidPaymentInput):
        reconciliation_start(actor=finance, channel="sandbox", bill_date=timezone.localdate())
    with pytest.raises(PaymentsPermissionDenied):
        reconciliation_start(actor=staff("nobody"), channel="sandbox", bill_date=day)
    SystemParameter.objects.create(key="payments.reconciliation_max_bill_mb", value=1)
    from ops.parameters import forget_cached

    forget_cached("payments.reconciliation_max_bill_mb")
    with pytest.raises(BillTooLarge):
        reconciliation_start(
            actor=finance, channel="sandbox", bill_date=day, upload=upload(b"x" * (1024 * 1024 + 1))
        )


@override_settings(PAYMENT_GATEWAYS=GATEWAYS)
def test_task_runs_on_commit_and_a_redo_supersedes(
    records, finance, django_capture_on_commit_callbacks
):
    from payments.models import Reconciliation
    from payments.services.reconciliation import reconciliation_start

    day = yesterday()
    ok = records.txn("100.00", at(day, 12))
    with django_capture_on_commit_callbacks(execute=True):
        first = reconciliation_start(
            actor=finance, channel="sandbox", bill_date=day, upload=upload(write("sandbox", []))
        )
    first.refresh_from_db()
    assert first.status == "done" and first.task_id
    assert kinds(first) == {("platform_only", "open"): 1}
    with django_capture_on_commit_callbacks(execute=True):
        second = reconciliation_start(
            actor=finance,
            channel="sandbox",
            bill_date=day,
            upload=upload(write("sandbox", [bill_row(ok)])),
        )
    second.refresh_from_db()
    first.refresh_from_db()
    assert second.status == "done" and second.summary["matched"] == 1
    assert first.superseded_by_id == second.pk
    assert kinds(first) == {("platform_only", "superseded"): 1}
    assert Reconciliation.objects.filter(superseded_by__isnull=True, status="done").count() == 1


@override_settings(PAYMENT_GATEWAYS=GATEWAYS)
def test_redelivered_task_finds_the_run_done(records, finance):
    from mall.core.actors import system_actor
    from payments.services.reconciliation import reconciliation_execute

    day = yesterday()
    run = start_and_run(finance, "sandbox", day, write("sandbox", []))
    again = reconciliation_execute(actor=system_actor(), reconciliation_id=run.pk)
    assert again.status == "done" and again.finished_at == run.finished_at


@override_settings(PAYMENT_GATEWAYS=GATEWAYS)
def test_demo_seed_shows_every_class_once(records):
    from payments.demo_reconciliation import seed
    from payments.models import Reconciliation

    day = yesterday()
    for hour in (9, 10, 11, 12, 13):
        paid = records.txn("80.00", at(day, hour))
    records.refund(paid, "10.00", at(day, 15))
    records.refund(paid, "20.00", at(day, 16))
    records.txn("15.00", at(day - timedelta(days=1), 22))
    run = seed()
    assert run.status == "done", run.error
    found = set(run.discrepancies.values_list("kind", flat=True))
    assert found == {
        "platform_only",
        "channel_only",
        "amount_mismatch",
        "refund_platform_only",
        "refund_channel_only",
        "refund_amount_mismatch",
        "duplicate",
        "cross_day",
        "fee_mismatch",
    }
    assert seed().pk == run.pk
    assert Reconciliation.objects.count() == 1


OURS = {
    **GATEWAYS,
    "wechat": {"mchid": "1900000001"},
    "alipay": {"seller_id": "2088000000000000"},
}


@override_settings(PAYMENT_GATEWAYS=OURS)
@pytest.mark.parametrize("channel", ["wechat", "alipay"])
def test_a_bill_of_another_day_is_refused(channel, records, finance):
    """Review P2-2: payment lines not on the run's day (Asia/Shanghai) fail the run."""
    day = yesterday()
    ok = records.txn("100.00", at(day, 12), channel=channel)
    other = records.txn("20.00", at(day - timedelta(days=3), 12), channel=channel)
    data = write(channel, [bill_row(ok), bill_row(other)])
    run = start_and_run(finance, channel, day, data)
    assert (run.status, run.error_code) == ("failed", "bill_malformed")
    assert run.error.startswith("Line ") and (day - timedelta(days=3)).isoformat() in run.error
    assert not run.discrepancies.exists()


@override_settings(PAYMENT_GATEWAYS=OURS)
def test_an_alipay_bill_of_another_account_is_refused(records, finance):
    """Review P2-2: #账号 must begin with our seller id; the error names no merchant id."""
    day = yesterday()
    ok = records.txn("100.00", at(day, 12), channel="alipay")
    run = start_and_run(
        finance, "alipay", day, write("alipay", [bill_row(ok)], merchant="20889999999999990156")
    )
    assert (run.status, run.error_code) == ("failed", "bill_malformed")
    assert "2088" not in run.error
    good = start_and_run(
        finance, "alipay", day, write("alipay", [bill_row(ok)], merchant="20880000000000000156")
    )
    assert good.status == "done" and good.summary["matched"] == 1


@override_settings(PAYMENT_GATEWAYS=OURS)
def test_a_wechat_bill_of_mixed_merchants_is_refused(records, finance):
    """Review P2-2: lines of more than one 商户号 are refused, not left unchecked."""
    day = yesterday()
    one = records.txn("100.00", at(day, 12), channel="wechat")
    two = records.txn("30.00", at(day, 13), channel="wechat")
    lines = write("wechat", [bill_row(one), bill_row(two)]).split(b"\r\n")
    second = next(i for i, line in enumerate(lines) if two.transaction_no.encode() in line)
    lines[second] = lines[second].replace(b"1900000001", b"1900000999")
    run = start_and_run(finance, "wechat", day, b"\r\n".join(lines))
    assert (run.status, run.error_code) == ("failed", "bill_malformed")
    assert "1900000001" not in run.error


@override_settings(PAYMENT_GATEWAYS=GATEWAYS)
def test_values_the_table_cannot_hold_fail_as_malformed(records, finance):
    """Review P3: an over-long number fails the run as bill_malformed with its line."""
    day = yesterday()
    ok = records.txn("100.00", at(day, 12), channel="wechat")
    row = bill_row(ok, transaction_no="T" * 70)
    rows = [*past_the_head(day), bill_row(ok), row]
    run = start_and_run(finance, "wechat", day, write("wechat", rows))
    assert (run.status, run.error_code) == ("failed", "bill_malformed")
    assert f"Line {len(rows) + 1}" in run.error


@override_settings(PAYMENT_GATEWAYS=GATEWAYS)
def test_a_bill_date_before_2000_is_refused(finance):
    from datetime import date

    from payments.exceptions import InvalidPaymentInput
    from payments.services.reconciliation import reconciliation_start

    for day in (date(1, 1, 1), date(1999, 12, 31)):
        with pytest.raises(InvalidPaymentInput):
            reconciliation_start(actor=finance, channel="sandbox", bill_date=day)


@override_settings(PAYMENT_GATEWAYS=GATEWAYS)
def test_runs_whose_items_a_run_moved_are_recounted(records, finance):
    """Review P3: escalation opens day T's held item; T's open figures follow."""
    day = yesterday() - timedelta(days=2)
    records.txn("70.00", at(day, 23, 50))
    run_t = start_and_run(finance, "sandbox", day, write("sandbox", []))
    assert (run_t.open_count, kinds(run_t)) == (0, {("cross_day", "held"): 1})
    start_and_run(finance, "sandbox", day + timedelta(days=1), write("sandbox", []))
    start_and_run(finance, "sandbox", day + timedelta(days=2), write("sandbox", []))
    run_t.refresh_from_db()
    assert kinds(run_t) == {("platform_only", "open"): 1}
    assert (run_t.open_count, run_t.open_amount) == (1, Decimal("70.00"))
    redo = start_and_run(finance, "sandbox", day, write("sandbox", []))
    run_t.refresh_from_db()
    assert run_t.superseded_by_id == redo.pk
    assert (run_t.open_count, run_t.open_amount) == (0, Decimal("0.00"))


@override_settings(PAYMENT_GATEWAYS=GATEWAYS)
def test_the_final_done_does_not_overwrite_a_run_failed_meanwhile(records, finance, monkeypatch):
    """Review P3: while this worker downloads, a redelivered copy fails the run; the
    final move re-reads the run under lock and leaves it failed, with nothing loaded."""
    from django.test import TestCase

    from mall.core.actors import system_actor
    from payments.models import BillLine
    from payments.services import reconciliation as service

    day = yesterday()
    ok = records.txn("100.00", at(day, 12))
    data = write("sandbox", [bill_row(ok)])

    def channel_download(run):  # the channel (outside party); another worker fails the run
        service._fail(system_actor(), run.pk, error="the other copy failed", code="channel_error")
        return data

    monkeypatch.setattr(service, "_download", channel_download)
    with TestCase.captureOnCommitCallbacks(execute=False):
        run = service.reconciliation_start(actor=finance, channel="sandbox", bill_date=day)
    result = service.reconciliation_execute(actor=system_actor(), reconciliation_id=run.pk)
    run.refresh_from_db()
    assert (result.status, run.status, run.error_code) == ("failed", "failed", "channel_error")
    assert not BillLine.objects.filter(reconciliation=run).exists()
    assert not run.discrepancies.exists()
