"""The reports' schedule (daily 07:00, Monday 07:30, the 1st at 08:00), its recorded job
runs, and the labels of every code the app writes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from mall.core.labels import action_label, notification_kind_label, task_label
from mall.core.models import JobRun
from mall.core.schedule import collect_schedule
from ops.reports import labels
from ops.reports.models import ReportArchive
from ops.reports.tasks import SCHEDULE, report_archives_purge_task, report_generate_latest_task


def test_the_reports_are_scheduled_daily_at_seven_mondays_at_half_past_and_monthly_at_eight():
    crons = {
        entry["kwargs"].get("kind"): entry["cron"]
        for entry in SCHEDULE.values()
        if entry.get("kwargs")
    }

    assert crons == {"daily": "0 7 * * *", "weekly": "30 7 * * 1", "monthly": "0 8 1 * *"}
    assert set(SCHEDULE) <= set(collect_schedule())


def test_every_schedule_entry_has_a_task_label():
    assert set(SCHEDULE) == set(labels.TASK_LABELS)


@pytest.mark.django_db
def test_the_daily_task_runs_twice_and_keeps_one_report_with_two_recorded_runs():
    report_generate_latest_task.apply(kwargs={"kind": "daily"}).get()
    report_generate_latest_task.apply(kwargs={"kind": "daily"}).get()

    assert (
        ReportArchive.objects.filter(
            kind="daily", period_start=timezone.localdate() - timedelta(days=1)
        ).count()
        == 1
    )
    runs = JobRun.objects.filter(name="reports.generate_daily").order_by("id")
    assert [run.status for run in runs] == ["succeeded", "succeeded"]
    assert [run.result["created"] for run in runs] == [True, False]


@pytest.mark.django_db
def test_the_purge_task_records_its_run():
    report_archives_purge_task.apply().get()
    assert JobRun.objects.get(name="reports.archives_purge").result == {"deleted": 0}


def test_the_codes_the_app_writes_read_in_chinese():
    assert action_label("report.download") == "下载报表"
    assert notification_kind_label("reports.report_ready") == "报表已生成"
    assert task_label("reports: daily core-data report") == "生成核心数据监控日报"
