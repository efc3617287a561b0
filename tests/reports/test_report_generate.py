"""Generating the daily, weekly and monthly reports: Excel content, one archive row per
period (the schedule may run twice), subscribers notified through the inbox."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import openpyxl
import pytest
from django.utils import timezone

from mall.core.actors import system_actor
from ops.models import AuditEntry, StaffNotification
from ops.reports.exceptions import InvalidReportInput, SubscriptionNotAllowed
from ops.reports.models import ReportArchive, ReportKind
from ops.reports.services import (
    report_generate,
    report_generate_latest,
    subscription_create,
)

pytestmark = pytest.mark.django_db


def _numbers(values):
    """Cell values as Decimals (openpyxl reads numbers back as int or float)."""
    return [Decimal(str(v)) if isinstance(v, int | float) else v for v in values]


def _workbook(archive):
    with archive.file.open("rb") as handle:
        return openpyxl.load_workbook(handle)


def test_the_weekly_report_holds_the_weeks_figures_and_the_previous_weeks(trade):
    archive, created = report_generate(
        actor=system_actor(), kind=ReportKind.WEEKLY, period_start=trade
    )

    assert created
    assert archive.period_end == trade + timedelta(days=6)
    book = _workbook(archive)
    summary, regions, channels, daily = book.worksheets
    header = [cell.value for cell in summary[4]]
    this_week = dict(zip(header, [cell.value for cell in summary[5]], strict=True))
    previous = dict(zip(header, [cell.value for cell in summary[6]], strict=True))
    values = _numbers(this_week.values())
    # GMV, orders, paid orders, conversion, AOV, new members, buyers, repeat, retention,
    # refunded, refund rate
    assert values[1:] == [
        Decimal("460"),
        7,
        5,
        Decimal("0.7143"),
        Decimal("92"),
        2,
        3,
        Decimal("0.6667"),
        Decimal("0.6667"),
        Decimal("220"),
        Decimal("0.4783"),
    ]
    assert _numbers(previous.values())[1:4] == [Decimal("170"), 3, 3]
    assert summary.cell(row=5, column=2).number_format == "#,##0.00"
    assert summary.cell(row=5, column=5).number_format == "0.00%"
    assert [_numbers(c.value for c in row)[:4] for row in regions.iter_rows(min_row=2)] == [
        ["华东", Decimal("180"), 4, 3],
        ["华北", Decimal("280"), 3, 2],
    ]
    assert [row[0].value for row in channels.iter_rows(min_row=2)] == ["自营商城", "天猫旗舰店"]
    assert daily.max_row == 8  # header + 7 days
    assert daily.cell(row=2, column=1).value == trade.isoformat()


def test_the_weekly_report_sheets_and_headers_read_in_chinese(trade):
    archive, _created = report_generate(
        actor=system_actor(), kind=ReportKind.WEEKLY, period_start=trade
    )
    book = _workbook(archive)

    assert book.sheetnames == ["核心数据", "按区域", "按渠道", "每日明细"]
    assert book.worksheets[0].cell(row=4, column=2).value == "GMV（元）"


def test_a_daily_report_has_no_daily_detail_sheet(trade):
    archive, _created = report_generate(
        actor=system_actor(), kind=ReportKind.DAILY, period_start=trade
    )

    book = _workbook(archive)
    assert len(book.worksheets) == 3
    assert _numbers([book.worksheets[0].cell(row=5, column=2).value]) == [Decimal("100")]


def test_a_text_cell_that_looks_like_a_formula_is_written_as_text(trade, channels):
    from orders.models import SalesChannel

    SalesChannel.objects.filter(pk=channels["B"].pk).update(name="=HYPERLINK(1)")
    archive, _created = report_generate(
        actor=system_actor(), kind=ReportKind.WEEKLY, period_start=trade
    )

    channel_names = [row[0].value for row in _workbook(archive).worksheets[2].iter_rows(min_row=2)]
    assert "'=HYPERLINK(1)" in channel_names


def test_generating_the_same_report_twice_keeps_one_archive_row_and_one_audit_entry(trade):
    first, created = report_generate(
        actor=system_actor(), kind=ReportKind.DAILY, period_start=trade
    )
    again, created_again = report_generate(
        actor=system_actor(), kind=ReportKind.DAILY, period_start=trade
    )

    assert created and not created_again
    assert again.pk == first.pk
    assert ReportArchive.objects.filter(kind="daily", period_start=trade).count() == 1
    assert AuditEntry.objects.filter(action="report.generate").count() == 1


def test_the_scheduled_job_generates_the_last_closed_period_of_each_kind(db):
    today = timezone.localdate()

    daily = report_generate_latest(actor=system_actor(), kind="daily")
    weekly = report_generate_latest(actor=system_actor(), kind="weekly")
    monthly = report_generate_latest(actor=system_actor(), kind="monthly")
    weekly_again = report_generate_latest(actor=system_actor(), kind="weekly")

    assert daily["period_start"] == today - timedelta(days=1)
    assert weekly["period_start"] == today - timedelta(days=today.weekday() + 7)
    assert monthly["period_start"] == (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    assert weekly_again == {**weekly, "created": False}
    assert ReportArchive.objects.count() == 3


def test_the_job_also_generates_the_days_missed_since_the_newest_report(db):
    today = timezone.localdate()
    report_generate(actor=system_actor(), kind="daily", period_start=today - timedelta(days=4))

    result = report_generate_latest(actor=system_actor(), kind="daily")

    assert result["caught_up"] == 2  # three and two days ago; then yesterday
    starts = set(ReportArchive.objects.values_list("period_start", flat=True))
    assert starts == {today - timedelta(days=n) for n in (4, 3, 2, 1)}
    again = report_generate_latest(actor=system_actor(), kind="daily")
    assert (again["created"], again["caught_up"]) == (False, 0)


def test_a_period_that_has_not_ended_or_does_not_start_on_its_first_day_is_refused(db):
    today = timezone.localdate()
    with pytest.raises(InvalidReportInput):
        report_generate(actor=system_actor(), kind="daily", period_start=today)
    with pytest.raises(InvalidReportInput):
        report_generate(
            actor=system_actor(),
            kind="weekly",
            period_start=today - timedelta(days=today.weekday() + 6),
        )
    with pytest.raises(InvalidReportInput):
        report_generate(actor=system_actor(), kind="yearly", period_start=today)
    assert not ReportArchive.objects.exists()
    assert not AuditEntry.objects.filter(action="report.generate").exists()


def test_subscribers_who_may_read_reports_get_one_notice_with_the_download_link(all_reader, trade):
    subscription_create(actor=all_reader, kind="daily")
    subscription_create(actor=all_reader, kind="daily")  # twice: still one subscription

    archive, _created = report_generate(
        actor=system_actor(), kind=ReportKind.DAILY, period_start=trade
    )
    report_generate(actor=system_actor(), kind=ReportKind.DAILY, period_start=trade)

    notices = StaffNotification.objects.filter(recipient=all_reader, kind="reports.report_ready")
    assert notices.count() == 1
    assert notices.get().link == f"/admin/reports/reportarchive/{archive.pk}/download/"
    assert all_reader.report_subscriptions.count() == 1


def test_a_regional_reader_cannot_subscribe_to_mall_wide_reports(east_reader):
    with pytest.raises(SubscriptionNotAllowed):
        subscription_create(actor=east_reader, kind="daily")
    assert not east_reader.report_subscriptions.exists()
    assert not AuditEntry.objects.filter(action="report.subscribe").exists()


def test_a_subscriber_who_lost_scope_all_is_not_notified(all_reader, trade):
    from rbac.models import Role

    subscription_create(actor=all_reader, kind="daily")
    Role.objects.filter(group__user=all_reader).update(scope_kind="regions")

    report_generate(actor=system_actor(), kind=ReportKind.DAILY, period_start=trade)

    assert not StaffNotification.objects.filter(recipient=all_reader).exists()
