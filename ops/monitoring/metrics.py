"""The metrics alert rules compare: the hook ``ops.metrics`` and the built-in readings.

Hook contract (offered here; ``mall.core.hooks``)
-------------------------------------------------
Any app adds metrics by registering a provider from its ``AppConfig.ready``::

    from mall.core.hooks import provide

    provide("ops.metrics", "backups", backup_metrics)

    def backup_metrics(*, now) -> dict[str, float | None]:
        return {"backup.last_verified_restore_age_hours": 30.5}

* ``now`` is the evaluation's time (aware datetime); compute ages against it.
* Return ``{metric code: value}``; codes are dotted, ``<app>.<what>_<unit>``.
* ``None`` means "this metric has no value now" — e.g. a restore never verified. A rule
  with ``fires_when_missing`` fires on it; other rules leave their alert as it is.
* A code that no provider returns is *unavailable*: no rule fires or resolves on it.
* A provider must be cheap (one or two queries) and must not write. One that raises is
  logged and its metrics are unavailable for that run; the others still count.

Built-in metrics (provider ``monitoring``, registered in ``MonitoringConfig.ready``)
------------------------------------------------------------------------------------
* ``http.error_rate`` and ``http.latency_p95_seconds`` — 5xx share and p95 answer time
  of the requests since the previous evaluation, from ``mall.core.metrics``' request
  counter and histogram. Those live in each web process (multi-process files under
  ``PROMETHEUS_MULTIPROC_DIR`` with gunicorn): the figures are read from those files
  when this process sees that directory (``MONITORING_WEB_METRICS_DIR``, else
  ``PROMETHEUS_MULTIPROC_DIR``), else from this process's own registry —
  in a Celery worker in another container that is no request at all, so both are
  ``None`` (unavailable, never firing). Run the evaluation where the directory is
  mounted (docs/MONITORING.md) or rely on ``celery.task_failure_rate``.
* ``celery.task_failure_rate`` — failures / (successes + failures) of Celery tasks
  since the previous evaluation, from the cluster-wide Redis counters.
* ``celery.queue_depth.<queue>`` — messages waiting (Redis ``LLEN``, as ``/metrics``).
* ``jobs.failed_last_hour`` — job runs (``core.JobRun``) that failed in the last hour.
* ``audit.seal_lag_seconds`` — age of the oldest audit entry not sealed yet.
* ``payments.channels_degraded`` — payment channels whose health is degraded.

Rates need the previous reading's cumulative totals; they are kept in the cache
(Redis in production) under :data:`_SNAPSHOT_KEY`. Only the evaluation job reads them.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.utils.translation import gettext_lazy as _

from mall.core.hooks import providers

log = logging.getLogger(__name__)

HOOK = "ops.metrics"
_SNAPSHOT_KEY = "monitoring:metric-snapshot"

# code → label (what the admin shows); codes other apps provide are listed too.
METRIC_LABELS = {
    "http.error_rate": _("Share of requests answered with a server error (5xx)"),
    "http.latency_p95_seconds": _("Request answer time, 95th percentile (seconds)"),
    "celery.task_failure_rate": _("Share of background tasks that failed"),
    "celery.queue_depth.realtime": _("Tasks waiting in the realtime queue"),
    "celery.queue_depth.default": _("Tasks waiting in the default queue"),
    "celery.queue_depth.heavy": _("Tasks waiting in the heavy queue"),
    "jobs.failed_last_hour": _("Scheduled jobs failed in the last hour"),
    "audit.seal_lag_seconds": _("Age of the oldest unsealed audit entry (seconds)"),
    "payments.channels_degraded": _("Payment channels degraded"),
    "backup.last_verified_restore_age_hours": _("Hours since the last verified backup restore"),
}


def metric_label(code: str) -> str:
    """The metric's name in words (the code itself for a metric nobody declared)."""
    label = METRIC_LABELS.get(code)
    return str(label) if label is not None else code


def metrics_read(*, now: datetime) -> dict[str, float | None]:
    """Call every ``ops.metrics`` provider; return their readings merged.

    A provider that raises is logged and skipped (its codes are unavailable).
    """
    readings: dict[str, float | None] = {}
    for provider in providers(HOOK):
        try:
            values = provider(now=now)
        except Exception:  # one broken provider must not silence every other alert
            log.exception("metrics provider %r failed", provider)
            continue
        for code, value in (values or {}).items():
            readings[str(code)] = None if value is None else float(value)
    return readings


# --- built-in provider ----------------------------------------------------------------


def builtin_metrics(*, now: datetime) -> dict[str, float | None]:
    """The ``monitoring`` provider: every built-in metric listed in the module docstring."""
    from django.core.cache import cache

    values: dict[str, float | None] = {}
    previous = cache.get(_SNAPSHOT_KEY) or {}
    snapshot: dict[str, dict[str, float]] = {}

    http = _http_totals()
    if http is not None:
        snapshot["http"] = http
        values.update(_http_rates(previous.get("http"), http))
    else:
        values.update({"http.error_rate": None, "http.latency_p95_seconds": None})

    tasks = _task_totals()
    if tasks is not None:
        snapshot["tasks"] = tasks
        values["celery.task_failure_rate"] = _task_failure_rate(previous.get("tasks"), tasks)
    cache.set(_SNAPSHOT_KEY, snapshot, timeout=24 * 3600)

    values.update(_queue_depths())
    values["jobs.failed_last_hour"] = float(_failed_jobs(now))
    values["audit.seal_lag_seconds"] = _seal_lag()
    values["payments.channels_degraded"] = _channels_degraded()
    return values


def _http_samples() -> Iterable:
    import os

    from mall.core.metrics import web_process_families

    # MONITORING_WEB_METRICS_DIR: the web containers' PROMETHEUS_MULTIPROC_DIR mounted
    # read-only into the worker (a worker must not set PROMETHEUS_MULTIPROC_DIR itself:
    # its own metrics would then be written among the web workers' files).
    return web_process_families(os.environ.get("MONITORING_WEB_METRICS_DIR") or None)


def _http_totals() -> dict[str, float] | None:
    """Cumulative requests, 5xx answers and duration buckets of the web processes seen."""
    totals: dict[str, float] = {}
    try:
        families = list(_http_samples())
    except (OSError, ValueError) as exc:
        log.warning("monitoring: request metrics unreadable: %s", exc)
        return None
    for family in families:
        for sample in family.samples:
            if sample.name == "mall_http_requests_total":
                totals["requests"] = totals.get("requests", 0.0) + sample.value
                if sample.labels.get("status") == "5xx":
                    totals["errors"] = totals.get("errors", 0.0) + sample.value
            elif sample.name == "mall_http_request_duration_seconds_bucket":
                key = "le:" + sample.labels.get("le", "+Inf")
                totals[key] = totals.get(key, 0.0) + sample.value
    return totals


def _http_rates(before: dict | None, now_totals: dict) -> dict[str, float | None]:
    """Error share and p95 of the requests between two cumulative snapshots."""
    unknown = {"http.error_rate": None, "http.latency_p95_seconds": None}
    if before is None:
        return unknown
    requests = now_totals.get("requests", 0.0) - before.get("requests", 0.0)
    if requests <= 0:  # no traffic, or the counters restarted: nothing to judge
        return unknown
    errors = max(0.0, now_totals.get("errors", 0.0) - before.get("errors", 0.0))
    buckets = sorted(
        (
            (float(key[3:]), now_totals[key] - before.get(key, 0.0))
            for key in now_totals
            if key.startswith("le:")
        ),
        key=lambda pair: pair[0],
    )
    p95 = None
    if buckets and buckets[-1][1] > 0:
        wanted = 0.95 * buckets[-1][1]
        # the upper bound of the first bucket holding 95 % (an over-estimate, never under)
        p95 = next(bound for bound, count in buckets if count >= wanted)
        if p95 == float("inf"):  # beyond the largest finite bucket: report that bound
            finite = [bound for bound, _count in buckets if bound != float("inf")]
            p95 = finite[-1] if finite else None
    return {"http.error_rate": errors / requests, "http.latency_p95_seconds": p95}


def _task_totals() -> dict[str, float] | None:
    import json

    from mall.core import metrics as core_metrics

    try:
        values = core_metrics._store().snapshot()
    except core_metrics._redis_errors() as exc:
        log.warning("monitoring: task counters unreadable: %s", exc)
        return None
    totals = {"success": 0.0, "failure": 0.0}
    for field, value in values.items():
        try:
            name, labels = json.loads(field)
        except (ValueError, TypeError):
            continue
        if name == "celery_tasks" and len(labels) == 2 and labels[1] in totals:
            totals[labels[1]] += value
    return totals


def _task_failure_rate(before: dict | None, now_totals: dict) -> float | None:
    if before is None:
        return None
    failures = now_totals["failure"] - before.get("failure", 0.0)
    done = failures + now_totals["success"] - before.get("success", 0.0)
    if done <= 0 or failures < 0:
        return None
    return failures / done


def _queue_depths() -> dict[str, float | None]:
    from django.conf import settings

    from mall.core import metrics as core_metrics

    url = settings.CELERY_BROKER_URL or ""
    if not url.startswith(("redis://", "rediss://")) or settings.CELERY_TASK_ALWAYS_EAGER:
        return {}  # no broker queue to measure: the metrics are unavailable
    import redis

    try:
        client = redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)
        with client.pipeline(transaction=False) as pipe:
            for queue in core_metrics.CELERY_QUEUES:
                for suffix in core_metrics._KOMBU_PRIORITY_SUFFIXES:
                    pipe.llen(queue + suffix)
            lengths = pipe.execute()
    except redis.RedisError as exc:
        log.warning("monitoring: queue lengths unreadable: %s", exc)
        return {}
    per_queue = len(core_metrics._KOMBU_PRIORITY_SUFFIXES)
    return {
        f"celery.queue_depth.{queue}": float(
            sum(lengths[index * per_queue : (index + 1) * per_queue])
        )
        for index, queue in enumerate(core_metrics.CELERY_QUEUES)
    }


def _failed_jobs(now: datetime) -> int:
    from mall.core.models import JobRun

    return JobRun.objects.filter(
        status=JobRun.Status.FAILED, started_at__gte=now - timedelta(hours=1)
    ).count()


def _seal_lag() -> float | None:
    from django.db import DatabaseError

    from mall.core.metrics import audit_seal_lag_seconds

    try:
        return float(audit_seal_lag_seconds())
    except DatabaseError as exc:
        log.warning("monitoring: audit seal lag unreadable: %s", exc)
        return None


def _channels_degraded() -> float:
    from payments.models import ChannelHealth

    return float(ChannelHealth.objects.filter(state=ChannelHealth.State.DEGRADED).count())


def metric_choices() -> list[tuple[str, str]]:
    """The metrics a rule may watch, in words (for forms)."""
    return [(code, str(label)) for code, label in METRIC_LABELS.items()]
