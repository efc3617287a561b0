"""The discovery jobs: scheduled, registered with Celery, labelled, recorded as job runs."""

from __future__ import annotations

import pytest

from mall.celery import app
from orders.labels import ACTION_LABELS, NOTIFICATION_KINDS, TASK_LABELS
from orders.promotions.tasks_discovery import (
    SCHEDULE,
    hot_item_alerts_send_task,
    preheat_send_task,
    recommendations_rebuild_task,
)
from orders.tasks import SCHEDULE as ORDERS_SCHEDULE


def test_the_jobs_are_in_the_orders_schedule_with_labels():
    assert SCHEDULE["promotions: hot-item stock alerts"]["cron"] == "*/10 * * * *"
    for name, entry in SCHEDULE.items():
        assert ORDERS_SCHEDULE[name] == entry
        assert entry["task"] in app.tasks, entry["task"]
        assert name in TASK_LABELS
    for run in (
        "promotions.recommendations_rebuild",
        "promotions.preheat_send",
        "promotions.hot_item_alerts_send",
    ):
        assert run in TASK_LABELS
    assert "promotions.recommendations_rebuild" in ACTION_LABELS
    assert "promotions.preheat_send" in ACTION_LABELS
    assert "promotions.hot_item" in NOTIFICATION_KINDS


@pytest.mark.django_db
def test_each_job_runs_its_service_and_records_the_run():
    from mall.core.models import JobRun

    assert recommendations_rebuild_task.apply().get() == {
        "affinities": 0,
        "member_recommendations": 0,
    }
    assert preheat_send_task.apply().get() == {"promotions": 0, "notices": 0}
    assert hot_item_alerts_send_task.apply().get() == {"notified": 0}
    runs = dict(JobRun.objects.values_list("name", "status"))
    assert runs == {
        "promotions.recommendations_rebuild": JobRun.Status.SUCCEEDED,
        "promotions.preheat_send": JobRun.Status.SUCCEEDED,
        "promotions.hot_item_alerts_send": JobRun.Status.SUCCEEDED,
    }
