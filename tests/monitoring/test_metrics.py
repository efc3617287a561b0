"""Each built-in metric read from real rows and counters, and the ``ops.metrics`` hook."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.conf import settings
from django.test import override_settings
from django.utils import timezone

from mall.core import hooks
from mall.core import metrics as core_metrics
from mall.core.jobs import job_run
from mall.core.models import JobRun
from ops.monitoring.metrics import HOOK, builtin_metrics, metrics_read

pytestmark = pytest.mark.django_db


def test_failed_jobs_count_the_failed_runs_of_the_last_hour_only():
    with pytest.raises(RuntimeError), job_run("test.failing"):
        raise RuntimeError("boom")
    with job_run("test.fine") as run:
        run.result = {"ok": True}
    now = timezone.now()
    assert builtin_metrics(now=now)["jobs.failed_last_hour"] == 1.0
    assert builtin_metrics(now=now + timedelta(hours=2))["jobs.failed_last_hour"] == 0.0
    assert JobRun.objects.filter(status=JobRun.Status.FAILED).count() == 1


def test_the_audit_seal_lag_is_the_age_of_the_oldest_unsealed_entry(make_staff, monkeypatch):
    from django.utils import timezone as django_timezone

    from mall.core.audit import audit

    entry = audit(actor=make_staff("writer"), action="test.write")  # never committed: unsealed
    entry.refresh_from_db()
    assert entry.sealed_at is None
    later = entry.at + timedelta(seconds=90)
    monkeypatch.setattr(django_timezone, "now", lambda: later)
    assert builtin_metrics(now=later)["audit.seal_lag_seconds"] == pytest.approx(90.0)


def test_degraded_payment_channels_are_counted():
    from payments.models import ChannelHealth

    ChannelHealth.objects.update_or_create(channel="wechat", defaults={"state": "degraded"})
    ChannelHealth.objects.update_or_create(channel="alipay", defaults={"state": "healthy"})
    assert builtin_metrics(now=timezone.now())["payments.channels_degraded"] == 1.0


def test_the_task_failure_rate_covers_the_tasks_since_the_previous_reading():
    first = builtin_metrics(now=timezone.now())
    assert first["celery.task_failure_rate"] is None  # no baseline yet
    for outcome in ("success", "success", "success", "failure"):
        core_metrics.count("celery_tasks", task="test.task", outcome=outcome)
    second = builtin_metrics(now=timezone.now())
    assert second["celery.task_failure_rate"] == pytest.approx(0.25)
    third = builtin_metrics(now=timezone.now())
    assert third["celery.task_failure_rate"] is None  # nothing ran in between


def test_the_http_error_rate_and_p95_cover_the_requests_since_the_previous_reading():
    view = f"test-view-{uuid.uuid4().hex[:8]}"
    builtin_metrics(now=timezone.now())  # baseline
    for _ in range(19):
        core_metrics.REQUESTS.labels("GET", view, "2xx").inc()
        core_metrics.REQUEST_DURATION.labels("GET", view).observe(0.2)
    core_metrics.REQUESTS.labels("GET", view, "5xx").inc()
    core_metrics.REQUEST_DURATION.labels("GET", view).observe(3.0)
    values = builtin_metrics(now=timezone.now())
    assert values["http.error_rate"] == pytest.approx(0.05)
    # 19 of 20 answers (95 %) fall in the 0.25 s bucket: its upper bound is the p95
    assert values["http.latency_p95_seconds"] == pytest.approx(0.25)


def _web_worker_counts(directory, pid: int, ok: float, errors: float) -> None:
    """What a gunicorn worker of the web container leaves in its metrics directory."""
    from prometheus_client.mmap_dict import MmapedDict, mmap_key

    values = MmapedDict(str(directory / f"counter_{pid}.db"))
    name = "mall_http_requests_total"
    for status, value in (("2xx", ok), ("5xx", errors)):
        key = mmap_key(name, name, ["method", "view", "status"], ["GET", "home", status], "")
        values.write_value(key, value, 0.0)
    values.close()


def test_a_worker_reads_the_web_containers_request_counts_from_the_mounted_directory(
    tmp_path, monkeypatch
):
    monkeypatch.setenv("MONITORING_WEB_METRICS_DIR", str(tmp_path))
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
    _web_worker_counts(tmp_path, 101, ok=10, errors=0)
    builtin_metrics(now=timezone.now())  # baseline: 10 answers so far
    _web_worker_counts(tmp_path, 101, ok=28, errors=1)
    _web_worker_counts(tmp_path, 102, ok=1, errors=0)  # a second web worker

    values = builtin_metrics(now=timezone.now())

    assert values["http.error_rate"] == pytest.approx(1 / 20)


def test_without_requests_since_the_previous_reading_the_http_metrics_have_no_value():
    builtin_metrics(now=timezone.now())
    values = builtin_metrics(now=timezone.now())
    assert values["http.error_rate"] is None
    assert values["http.latency_p95_seconds"] is None


def test_queue_depths_are_unavailable_without_a_redis_broker():
    values = builtin_metrics(now=timezone.now())
    assert not any(code.startswith("celery.queue_depth.") for code in values)


@pytest.mark.skipif(not settings.REDIS_URL, reason="needs REDIS_URL (a Redis broker)")
def test_queue_depths_are_read_from_the_redis_broker(monkeypatch):
    import redis

    queue = f"test-mon-queue-{uuid.uuid4().hex[:8]}"
    monkeypatch.setattr(core_metrics, "CELERY_QUEUES", (queue,))
    client = redis.Redis.from_url(settings.REDIS_URL)
    client.lpush(queue, "a", "b")
    client.lpush(queue + "\x06\x169", "urgent")
    try:
        with override_settings(
            CELERY_BROKER_URL=settings.REDIS_URL, CELERY_TASK_ALWAYS_EAGER=False
        ):
            values = builtin_metrics(now=timezone.now())
    finally:
        client.delete(queue, queue + "\x06\x169")
    assert values[f"celery.queue_depth.{queue}"] == 3.0


def test_providers_of_the_hook_are_merged_and_none_is_kept():
    saved = dict(hooks._providers.get(HOOK, {}))
    try:
        hooks._providers[HOOK] = {}
        hooks.provide(HOOK, "a", lambda *, now: {"a.one": 1})
        hooks.provide(HOOK, "b", lambda *, now: {"backup.last_verified_restore_age_hours": None})
        assert metrics_read(now=timezone.now()) == {
            "a.one": 1.0,
            "backup.last_verified_restore_age_hours": None,
        }
    finally:
        hooks._providers[HOOK] = saved
