"""With a real Celery worker on Redis, a committed audit entry is sealed by the on-commit
request well within AUDIT_UNSEALED_MAX_SECONDS, and its head is anchored."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest
from django.conf import settings
from django.db import transaction

from mall.core.audit import audit
from ops.audit_chain import audit_chain_verify
from ops.models import AuditEntry

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
def realtime_worker(transactional_db, settings):
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url_for_current_test_db(),
        REDIS_URL=settings.REDIS_URL,
        DJANGO_SETTINGS_MODULE="mall.settings",
        AUDIT_ANCHOR_PATH=str(settings.AUDIT_ANCHOR_PATH),  # this test's anchor file
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
            "realtime",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "-n",
            f"pytest-audit-{os.getpid()}@%h",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    from mall.celery import app

    eager = app.conf.task_always_eager
    app.conf.task_always_eager = False
    app.control.purge()
    yield process
    app.conf.task_always_eager = eager
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()


def test_a_real_worker_seals_a_committed_entry_on_request(realtime_worker, make_staff, settings):
    actor = make_staff("writer")
    with transaction.atomic():
        entry = audit(actor=actor, action="test.sealed_by_worker")
    entry.refresh_from_db()

    deadline = time.monotonic() + 90
    while entry.seq is None and time.monotonic() < deadline:
        time.sleep(0.2)
        entry.refresh_from_db()
    if entry.seq is None:
        realtime_worker.terminate()
        output = realtime_worker.communicate(timeout=20)[0]
        pytest.fail(f"the worker did not seal the entry; its output:\n{output[-4000:]}")

    # Sealed by the worker (the test process never ran the sealer: Celery was not eager).
    assert (entry.sealed_at - entry.at).total_seconds() < settings.AUDIT_UNSEALED_MAX_SECONDS
    assert not AuditEntry.objects.filter(seq__isnull=True).exists()
    anchors = [json.loads(line) for line in settings.AUDIT_ANCHOR_PATH.read_text().splitlines()]
    assert anchors[-1]["seq"] == AuditEntry.objects.order_by("-seq").first().seq
    assert audit_chain_verify().ok
