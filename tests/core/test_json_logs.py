"""Structured logs: one JSON object per line with the request id, carried into Celery tasks."""

from __future__ import annotations

import json
import logging

import pytest
from celery import shared_task

from mall.core import logs
from mall.core.context import RequestIdLogFilter, request_id_var


def formatted(record: logging.LogRecord) -> dict:
    RequestIdLogFilter().filter(record)
    return json.loads(logs.JsonFormatter().format(record))


def make_record(message: str, *args, exc_info=None, **extra) -> logging.LogRecord:
    record = logging.LogRecord("mall.test", logging.WARNING, __file__, 1, message, args, exc_info)
    for key, value in extra.items():
        setattr(record, key, value)
    return record


def test_a_log_line_is_one_json_object_with_the_request_id_and_the_extra_fields():
    token = request_id_var.set("req-0123456789")
    try:
        line = formatted(make_record("stock %s is low", "SH-01", sku_code="T-1", units=3))
    finally:
        request_id_var.reset(token)

    assert line["message"] == "stock SH-01 is low"
    assert (line["level"], line["logger"]) == ("WARNING", "mall.test")
    assert line["request_id"] == "req-0123456789"
    assert (line["sku_code"], line["units"]) == ("T-1", 3)
    assert line["time"].endswith("+00:00")


def test_an_exception_is_kept_whole_in_one_line():
    try:
        raise ValueError("库存不足")
    except ValueError:
        import sys

        record = make_record("allocation failed", exc_info=sys.exc_info())
    text = logs.JsonFormatter().format(record)

    assert "\n" not in text
    line = json.loads(text)
    assert "ValueError: 库存不足" in line["exception"]
    assert line["request_id"] is None


@shared_task(name="tests.core.log_something")
def log_something_task() -> dict:
    record = make_record("inside a task")
    return formatted(record)


@pytest.mark.django_db
def test_inside_a_task_the_line_names_the_task_and_keeps_the_request_id():
    token = request_id_var.set("req-abcdef123456")
    try:
        line = log_something_task.delay().get()
    finally:
        request_id_var.reset(token)

    assert line["task"] == "tests.core.log_something"
    assert line["task_id"]
    assert line["request_id"] == "req-abcdef123456"


def test_the_request_id_goes_into_the_headers_of_a_task_enqueued_in_a_request():
    headers: dict = {}
    token = request_id_var.set("req-published-01")
    try:
        logs.task_publish_add_request_id(headers=headers)
    finally:
        request_id_var.reset(token)
    assert headers == {logs.REQUEST_ID_HEADER: "req-published-01"}

    outside_a_request: dict = {}
    logs.task_publish_add_request_id(headers=outside_a_request)
    assert outside_a_request == {}


def test_a_worker_runs_the_task_under_the_request_id_from_its_headers_then_forgets_it():
    from ops.tasks import heartbeat_task

    heartbeat_task.push_request(id="task-1", **{logs.REQUEST_ID_HEADER: "req-from-header"})
    try:
        logs.task_prerun_restore_request_id(task_id="task-1", task=heartbeat_task)
        assert request_id_var.get() == "req-from-header"
        logs.task_postrun_clear_request_id(task_id="task-1")
    finally:
        heartbeat_task.pop_request()

    assert request_id_var.get() == ""


@pytest.mark.parametrize(
    ("environment", "expected"),
    [
        ({"DJANGO_SECURE": "1"}, "json"),
        ({"DJANGO_SECURE": "1", "LOG_FORMAT": "plain"}, "plain"),
        ({"MALL_DEMO": "1"}, "plain"),
        ({}, "plain"),
    ],
)
def test_logs_are_json_in_production_and_plain_in_development_unless_log_format_says(
    environment, expected
):
    import os
    import subprocess
    import sys

    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DJANGO_SECURE", "LOG_FORMAT", "MALL_DEMO"}
    }
    env.update(environment, DJANGO_SETTINGS_MODULE="mall.settings")
    code = (
        "from django.conf import settings; "
        "print(settings.LOGGING['handlers']['console']['formatter'])"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == expected
