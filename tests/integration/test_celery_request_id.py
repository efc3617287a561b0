"""A real worker logs a task in JSON under the request id it was enqueued with, and counts it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid

import pytest
from django.conf import settings

from mall.core.context import request_id_var
from mall.core.metrics import counter_value

from .test_celery_worker import ROOT, database_url_for_current_test_db

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not settings.REDIS_URL, reason="needs REDIS_URL (Redis as Celery broker)"),
    pytest.mark.skipif(
        not settings.IS_POSTGRES,
        reason="needs PostgreSQL: the worker process cannot see pytest's in-memory SQLite",
    ),
]


@pytest.fixture
def json_worker(transactional_db, tmp_path):
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url_for_current_test_db(),
        REDIS_URL=settings.REDIS_URL,
        DJANGO_SETTINGS_MODULE="mall.settings",
        LOG_FORMAT="json",
        METRICS_REDIS_URL=settings.METRICS_REDIS_URL,
        METRICS_REDIS_KEY=settings.METRICS_REDIS_KEY,
    )
    log = tmp_path / "worker.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            [
                *(sys.executable, "-m", "celery", "-A", "mall", "worker", "--pool=solo"),
                *("--loglevel=INFO", "-Q", "realtime,default,heavy", "--without-gossip"),
                *("--without-mingle", "--without-heartbeat", "-n", f"rid-{os.getpid()}@%h"),
            ],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    from mall.celery import app

    eager = app.conf.task_always_eager
    app.conf.task_always_eager = False
    yield log
    app.conf.task_always_eager = eager
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()


def test_a_task_enqueued_in_a_request_runs_logs_and_counts_under_that_request_id(json_worker):
    from mall.celery import app
    from ops.tasks import heartbeat_task

    app.control.purge()
    name = "ops.tasks.heartbeat_task"
    before = counter_value("celery_tasks", task=name, outcome="success")
    request_id = f"req-{uuid.uuid4().hex[:16]}"
    token = request_id_var.set(request_id)
    try:
        result = heartbeat_task.apply_async(args=["request id"])
    finally:
        request_id_var.reset(token)
    try:
        result.get(timeout=90)
    except Exception:  # noqa: BLE001 - any failure: show the worker's own output
        pytest.fail(f"worker did not run the task:\n{json_worker.read_text()[-4000:]}")

    # The result reaches the backend before the worker writes its "succeeded"
    # line and before the success counter moves: wait for both (the earlier
    # loop stopped at the first line and raced the "succeeded" one).
    lines: list[dict] = []
    ran: list[dict] = []
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        lines = [
            json.loads(line)
            for line in json_worker.read_text().splitlines()
            if line.startswith("{") and result.id in line
        ]
        ran = [line for line in lines if line.get("task_id") == result.id]
        counted = counter_value("celery_tasks", task=name, outcome="success")
        succeeded = any("succeeded" in line["message"] for line in ran)
        if succeeded and counted == before + 1:
            break
        time.sleep(0.2)
    assert lines, json_worker.read_text()[-4000:]
    assert any("succeeded" in line["message"] for line in ran)
    assert {line["request_id"] for line in ran} == {request_id}
    assert counter_value("celery_tasks", task=name, outcome="success") == before + 1
