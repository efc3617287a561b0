"""Prometheus metrics at ``/metrics``: requests, database queries, Celery, business counters.

Three kinds of numbers, kept where they can be added up correctly:

* **Per web process** (request latency, requests by status, database queries per
  request): ``prometheus_client`` metrics. Under gunicorn they use the client's
  multi-process mode (``PROMETHEUS_MULTIPROC_DIR``), so a scrape that lands on any
  worker reports the sum over all workers, recycled ones included.
* **Cluster-wide counters** (allocations, out-of-stock answers, Celery task outcomes):
  incremented wherever the event happens — a web worker, a Celery worker in another
  container — so they are kept in one Redis hash (``METRICS_REDIS_KEY``) when
  ``REDIS_URL`` is set, in process memory otherwise (demo, tests without Redis).
  :func:`count` is the one way to increment them.
* **Read at scrape time**: Celery queue lengths (Redis ``LLEN``) and the audit seal
  lag (age of the oldest unsealed audit entry).

Access is restricted by ``METRICS_TOKEN`` and/or ``METRICS_ALLOWED_IPS``; with neither
set the endpoint answers 404 (the production default). docs/DEPLOY.md "Metrics".
"""

from __future__ import annotations

import glob
import hmac
import ipaddress
import json
import logging
import os
import threading
import time
from collections.abc import Callable
from contextlib import ExitStack
from functools import lru_cache

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.mmap_dict import MmapedDict

logger = logging.getLogger(__name__)

# --- per web process ------------------------------------------------------------------------
_METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}

REQUEST_DURATION = Histogram(
    "mall_http_request_duration_seconds",
    "Time to answer a request, by method and Django view name.",
    ["method", "view"],
)
REQUESTS = Counter(
    "mall_http_requests",
    "Requests answered, by method, view name and status class (2xx, 4xx, ...).",
    ["method", "view", "status"],
)
REQUEST_DB_QUERIES = Histogram(
    "mall_http_request_db_queries",
    "Database queries run while answering one request, by view name.",
    ["view"],
    buckets=(0, 1, 2, 5, 10, 20, 50, 100, 200, 500),
)

# --- cluster-wide counters -------------------------------------------------------------------
# name -> (Prometheus name, help, label names). Counters are exposed as ``<name>_total``.
SHARED_COUNTERS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "allocations": (
        "mall_dispatch_allocations",
        "Stock allocations committed (one per order).",
        (),
    ),
    "out_of_stock": (
        "mall_dispatch_out_of_stock_answers",
        "Allocation and pre-dispatch requests answered out of stock.",
        (),
    ),
    "celery_tasks": (
        "mall_celery_tasks",
        "Celery task outcomes (success, failure, retry) by task name.",
        ("task", "outcome"),
    ),
}

# Queues named in the tasks' decorators (mall/celery.py).
CELERY_QUEUES = ("realtime", "default", "heavy")
# kombu's Redis transport keeps priorities 3, 6, 9 in lists named "<queue>\x06\x16<p>".
_KOMBU_PRIORITY_SUFFIXES = ("", "\x06\x163", "\x06\x166", "\x06\x169")


class _LocalStore:
    def __init__(self) -> None:
        self._values: dict[str, float] = {}
        self._lock = threading.Lock()

    def incr(self, field: str, amount: int) -> None:
        with self._lock:
            self._values[field] = self._values.get(field, 0) + amount

    def snapshot(self) -> dict[str, float]:
        with self._lock:
            return dict(self._values)


class _RedisStore:
    def __init__(self, url: str, key: str) -> None:
        import redis

        self.key = key
        self.client = redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)

    def incr(self, field: str, amount: int) -> None:
        self.client.hincrby(self.key, field, amount)

    def snapshot(self) -> dict[str, float]:
        return {
            field.decode(): float(value) for field, value in self.client.hgetall(self.key).items()
        }


_local_store = _LocalStore()


@lru_cache(maxsize=4)
def _redis_store(url: str, key: str) -> _RedisStore:
    return _RedisStore(url, key)


def _store() -> _LocalStore | _RedisStore:
    from django.conf import settings

    if settings.METRICS_REDIS_URL:
        return _redis_store(settings.METRICS_REDIS_URL, settings.METRICS_REDIS_KEY)
    return _local_store


def _redis_errors() -> tuple[type[Exception], ...]:
    import redis

    return (redis.RedisError,)


def count(name: str, amount: int = 1, **labels: str) -> None:
    """Add ``amount`` to the cluster-wide counter ``name`` (see ``SHARED_COUNTERS``).

    Never fails the caller: a metrics store that cannot be reached is logged and the
    increment dropped. Raises ``KeyError`` for a counter or labels not declared.
    """
    _metric, _help, label_names = SHARED_COUNTERS[name]
    if set(labels) != set(label_names):
        raise KeyError(f"{name} takes labels {label_names}, got {sorted(labels)}")
    field = json.dumps([name, [str(labels[label]) for label in label_names]])
    try:
        _store().incr(field, amount)
    except _redis_errors() as exc:
        logger.warning("metrics: counter %s not recorded: %s", name, exc)


def counter_value(name: str, **labels: str) -> float:
    """Return the current value of a cluster-wide counter (0 when never incremented)."""
    _metric, _help, label_names = SHARED_COUNTERS[name]
    field = json.dumps([name, [str(labels[label]) for label in label_names]])
    return _store().snapshot().get(field, 0.0)


# --- collectors read at scrape time --------------------------------------------------------
class _ScrapeCollector:
    def describe(self):
        return []  # nothing to check at registration; collect() may reach Redis or the DB


class SharedCountersCollector(_ScrapeCollector):
    def collect(self):
        families = {
            name: CounterMetricFamily(metric, help_text, labels=list(label_names))
            for name, (metric, help_text, label_names) in SHARED_COUNTERS.items()
        }
        try:
            values = _store().snapshot()
        except _redis_errors() as exc:
            logger.warning("metrics: shared counters unreadable: %s", exc)
            return
        for field, value in sorted(values.items()):
            try:
                name, label_values = json.loads(field)
                family = families[name]
            except (ValueError, KeyError, TypeError):
                continue  # a field of an older release
            if len(label_values) == len(SHARED_COUNTERS[name][2]):
                family.add_metric(label_values, value)
        for name, family in families.items():
            if not SHARED_COUNTERS[name][2] and not family.samples:
                family.add_metric([], 0.0)
        yield from families.values()


class CeleryQueueLengthCollector(_ScrapeCollector):
    def collect(self):
        from django.conf import settings

        url = settings.CELERY_BROKER_URL or ""
        if not url.startswith(("redis://", "rediss://")) or settings.CELERY_TASK_ALWAYS_EAGER:
            return
        import redis

        family = GaugeMetricFamily(
            "mall_celery_queue_length", "Messages waiting in each Celery queue.", labels=["queue"]
        )
        try:
            client = redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)
            with client.pipeline(transaction=False) as pipe:
                for queue in CELERY_QUEUES:
                    for suffix in _KOMBU_PRIORITY_SUFFIXES:
                        pipe.llen(queue + suffix)
                lengths = pipe.execute()
        except redis.RedisError as exc:
            logger.warning("metrics: queue lengths unreadable: %s", exc)
            return
        per_queue = len(_KOMBU_PRIORITY_SUFFIXES)
        for index, queue in enumerate(CELERY_QUEUES):
            family.add_metric([queue], sum(lengths[index * per_queue : (index + 1) * per_queue]))
        yield family


_audit_seal_lag_source: Callable[[], float] | None = None


def set_audit_seal_lag_source(source: Callable[[], float] | None) -> None:
    """Let the audit code say how far sealing lags (seconds); ``None`` restores the default."""
    global _audit_seal_lag_source
    _audit_seal_lag_source = source


def audit_seal_lag_seconds() -> float:
    """Return the age in seconds of the oldest audit entry not sealed yet (0 when none).

    Uses the source registered by the audit code when there is one; otherwise reads
    ``ops.AuditEntry`` rows whose ``sealed_at`` is empty, and 0 for an audit log that
    seals in the writing transaction (no ``sealed_at`` field).
    """
    if _audit_seal_lag_source is not None:
        return float(_audit_seal_lag_source())
    from django.apps import apps
    from django.utils import timezone

    model = apps.get_model("ops", "AuditEntry")
    fields = {field.name for field in model._meta.get_fields()}
    if "sealed_at" not in fields or "at" not in fields:
        return 0.0
    oldest = (
        model.objects.filter(sealed_at__isnull=True)
        .order_by("pk")
        .values_list("at", flat=True)
        .first()
    )
    return 0.0 if oldest is None else max(0.0, (timezone.now() - oldest).total_seconds())


class AuditSealLagCollector(_ScrapeCollector):
    def collect(self):
        from django.db import DatabaseError

        try:
            lag = audit_seal_lag_seconds()
        except DatabaseError as exc:
            logger.warning("metrics: audit seal lag unreadable: %s", exc)
            return
        yield GaugeMetricFamily(
            "mall_audit_seal_lag_seconds",
            "Age of the oldest audit entry not yet sealed into the chain (0 when none).",
            value=lag,
        )


class _ThisProcess(_ScrapeCollector):
    def collect(self):
        yield from REGISTRY.collect()


class _WorkerFiles(multiprocess.MultiProcessCollector):
    """The gunicorn workers' files, read again if the master folded one away meanwhile."""

    def collect(self):
        for _attempt in range(3):
            files = glob.glob(os.path.join(self._path, "*.db"))
            try:
                return self.merge(files, accumulate=True)
            except FileNotFoundError:
                continue  # a dead worker's file went into the archive between glob and read
        return self.merge(glob.glob(os.path.join(self._path, "*.db")), accumulate=True)


def web_process_families(path: str | None = None):
    """The per-web-process metric families (requests, latency, queries), summed.

    ``path`` is a directory of gunicorn workers' files (``PROMETHEUS_MULTIPROC_DIR``
    of the web container, possibly mounted read-only elsewhere — the monitoring job in
    a Celery worker reads them so); without one, this process's own metrics.
    """
    path = path or os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if path and os.path.isdir(path):
        registry = CollectorRegistry(auto_describe=False)
        _WorkerFiles(registry, path=path)
        return list(registry.collect())
    return list(REGISTRY.collect())


def scrape_registry() -> CollectorRegistry:
    """Return a registry holding everything one scrape reports."""
    registry = CollectorRegistry(auto_describe=False)
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        _WorkerFiles(registry)
    else:
        registry.register(_ThisProcess())
    for collector in (SharedCountersCollector(), CeleryQueueLengthCollector()):
        registry.register(collector)
    registry.register(AuditSealLagCollector())
    return registry


# --- gunicorn multi-process bookkeeping -----------------------------------------------------
def multiprocess_dir_reset() -> None:
    """Empty ``PROMETHEUS_MULTIPROC_DIR`` (gunicorn master, before any worker starts)."""
    path = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if not path:
        return
    os.makedirs(path, exist_ok=True)
    for name in glob.glob(os.path.join(path, "*.db")):
        os.remove(name)


def multiprocess_archive_dead_worker(pid: int) -> None:
    """Fold a dead worker's counter and histogram files into ``<kind>_archive.db``.

    Runs in the gunicorn master (one process, so no two merges race). The merged
    archive is written beside and renamed over the old one, then the dead worker's
    file is removed: a scrape between the two steps may count that worker twice for
    an instant, never lose it.
    """
    path = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if not path:
        return
    multiprocess.mark_process_dead(pid, path)
    for kind in ("counter", "histogram"):
        dead = os.path.join(path, f"{kind}_{pid}.db")
        if not os.path.exists(dead):
            continue
        archive = os.path.join(path, f"{kind}_archive.db")
        totals: dict[str, tuple[float, float]] = {}
        for source in (archive, dead):
            if os.path.exists(source):
                for key, value, timestamp, _pos in MmapedDict.read_all_values_from_file(source):
                    before = totals.get(key, (0.0, 0.0))
                    totals[key] = (before[0] + value, max(before[1], timestamp))
        temporary = os.path.join(path, f"{kind}_archive.tmp")
        merged = MmapedDict(temporary)
        try:
            for key, (value, timestamp) in totals.items():
                merged.write_value(key, value, timestamp)
        finally:
            merged.close()
        os.replace(temporary, archive)
        os.remove(dead)


# --- the endpoint and request timing ------------------------------------------------------
@lru_cache(maxsize=8)
def _networks(allowed: tuple[str, ...]) -> tuple[ipaddress._BaseNetwork, ...]:
    return tuple(ipaddress.ip_network(item, strict=False) for item in allowed)


def metrics_refusal(request) -> int | None:
    """Return the status that refuses this scrape (404 disabled, 403 denied), or None."""
    from django.conf import settings

    token = settings.METRICS_TOKEN
    allowed = tuple(settings.METRICS_ALLOWED_IPS)
    if not token and not allowed:
        return 404
    if allowed:
        try:
            address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
        except ValueError:
            return 403
        if not any(address in network for network in _networks(allowed)):
            return 403
    if token:
        sent = request.META.get("HTTP_AUTHORIZATION", "")
        if not hmac.compare_digest(sent.encode(), f"Bearer {token}".encode()):
            return 403
    return None


def metrics_view(request):
    from django.http import HttpResponse

    refusal = metrics_refusal(request)
    if refusal is not None:
        return HttpResponse(status=refusal, content_type="text/plain")
    return HttpResponse(generate_latest(scrape_registry()), content_type=CONTENT_TYPE_LATEST)


class _QueryCounter:
    def __init__(self) -> None:
        self.queries = 0

    def __call__(self, execute, sql, params, many, context):
        self.queries += 1
        return execute(sql, params, many, context)


class MetricsMiddleware:
    """Serve ``METRICS_PATH`` and time every other request (first in ``MIDDLEWARE``).

    The scrape is answered before ``SecurityMiddleware`` and the ``ALLOWED_HOSTS``
    check: Prometheus reaches gunicorn over the internal network as ``web:8000`` in
    plain HTTP, and its access is decided by the token and address rules instead.
    """

    def __init__(self, get_response) -> None:
        from django.conf import settings

        self.get_response = get_response
        self.path = settings.METRICS_PATH

    def __call__(self, request):
        if request.path == self.path:
            return metrics_view(request)
        from django.db import connections

        counter = _QueryCounter()
        started = time.perf_counter()
        with ExitStack() as stack:
            for alias in connections:
                stack.enter_context(connections[alias].execute_wrapper(counter))
            response = self.get_response(request)
        elapsed = time.perf_counter() - started
        match = getattr(request, "resolver_match", None)
        view = (match.view_name or match.route) if match is not None else "unresolved"
        method = request.method if request.method in _METHODS else "other"
        REQUEST_DURATION.labels(method, view).observe(elapsed)
        REQUESTS.labels(method, view, f"{response.status_code // 100}xx").inc()
        REQUEST_DB_QUERIES.labels(view).observe(counter.queries)
        return response


# --- Celery task outcomes --------------------------------------------------------------------
def _task_name(sender) -> str:
    return getattr(sender, "name", None) or str(sender)


def task_succeeded(sender=None, **kwargs) -> None:
    count("celery_tasks", task=_task_name(sender), outcome="success")


def task_failed(sender=None, **kwargs) -> None:
    count("celery_tasks", task=_task_name(sender), outcome="failure")


def task_retried(sender=None, request=None, **kwargs) -> None:
    name = getattr(request, "task", None) or _task_name(sender)
    count("celery_tasks", task=name, outcome="retry")


def connect_celery_signals() -> None:
    from celery.signals import task_failure, task_retry, task_success

    task_success.connect(task_succeeded, weak=False)
    task_failure.connect(task_failed, weak=False)
    task_retry.connect(task_retried, weak=False)
