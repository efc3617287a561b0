"""A real Celery worker, started as its own process against Redis and PostgreSQL."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from mall.core.models import JobRun

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not settings.REDIS_URL, reason="needs REDIS_URL (Redis as Celery broker)"),
    pytest.mark.skipif(
        not settings.IS_POSTGRES,
        reason="needs PostgreSQL: the worker process cannot see pytest's in-memory SQLite",
    ),
]


def database_url_for_current_test_db() -> str:
    db = connection.settings_dict
    host = db.get("HOST") or "127.0.0.1"
    port = db.get("PORT") or 5432
    user = db.get("USER") or "postgres"
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{user}{password}@{host}:{port}/{db['NAME']}"


@pytest.fixture
def worker(transactional_db):
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url_for_current_test_db(),
        REDIS_URL=settings.REDIS_URL,
        DJANGO_SETTINGS_MODULE="mall.settings",
    )
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "mall",
            "worker",
            "--pool=solo",
            "--loglevel=INFO",
            "-Q",
            "realtime,default,heavy",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "-n",
            f"pytest-{os.getpid()}@%h",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    from mall.celery import app

    eager = app.conf.task_always_eager
    app.conf.task_always_eager = False  # tests run eager by default (settings_test)
    yield process
    app.conf.task_always_eager = eager
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()


def test_a_real_worker_runs_a_task_that_writes_to_the_database(worker):
    from mall.celery import app
    from ops.tasks import heartbeat_task

    app.control.purge()
    result = heartbeat_task.apply_async(args=["from pytest"])
    try:
        value = result.get(timeout=90)
    except Exception:  # noqa: BLE001 - any failure: show the worker's own output
        worker.terminate()
        output = worker.communicate(timeout=20)[0]
        pytest.fail(f"worker did not run the task; its output:\n{output[-4000:]}")

    assert value["note"] == "from pytest"
    assert value["database"] == connection.settings_dict["NAME"]
    run = JobRun.objects.get(pk=value["job_run_id"])
    assert (run.name, run.status, run.task_id) == ("heartbeat", "succeeded", result.id)
    assert worker.poll() is None  # still running: it was a real separate process
