"""Cluster-wide counters: Celery task outcomes, queue lengths, and how counters are kept."""

from __future__ import annotations

import os
import uuid

import pytest
from celery import shared_task
from django.conf import settings
from django.test import Client, override_settings

from mall.core import metrics
from mall.core.metrics import count, counter_value

pytestmark = pytest.mark.django_db


@shared_task(name="tests.core.always_fails")
def always_fails_task() -> None:
    raise ValueError("this task always fails")


def test_a_successful_task_and_a_failed_one_are_counted_by_name_and_outcome():
    from ops.tasks import heartbeat_task

    name = "ops.tasks.heartbeat_task"
    succeeded = counter_value("celery_tasks", task=name, outcome="success")
    failed = counter_value("celery_tasks", task="tests.core.always_fails", outcome="failure")

    heartbeat_task.delay("counted")
    # As a worker runs it: the error is recorded, not raised into the caller.
    outcome = always_fails_task.apply(throw=False)

    assert isinstance(outcome.result, ValueError)
    assert counter_value("celery_tasks", task=name, outcome="success") == succeeded + 1
    assert (
        counter_value("celery_tasks", task="tests.core.always_fails", outcome="failure")
        == failed + 1
    )


def test_a_counter_must_be_declared_with_its_labels():
    with pytest.raises(KeyError):
        count("orders_placed")
    with pytest.raises(KeyError):
        count("celery_tasks", task="x")


@override_settings(METRICS_REDIS_URL="redis://127.0.0.1:1/0")
def test_an_unreachable_metrics_store_never_fails_the_business_operation(caplog):
    count("allocations")  # must not raise

    assert "counter allocations not recorded" in caplog.text


@pytest.mark.skipif(not settings.REDIS_URL, reason="needs REDIS_URL (the shared store)")
def test_with_redis_counters_are_kept_where_every_process_adds_to_the_same_number():
    import redis

    key = f"mall:test-metrics:shared-{uuid.uuid4().hex}"
    with override_settings(METRICS_REDIS_URL=settings.REDIS_URL, METRICS_REDIS_KEY=key):
        count("allocations")
        count("allocations", 2)
        client = redis.Redis.from_url(settings.REDIS_URL)
        try:
            # Another process (a Celery worker) adds to the same hash.
            client.hincrby(key, '["allocations", []]', 4)
            assert counter_value("allocations") == 7
        finally:
            client.delete(key)


@pytest.mark.skipif(not settings.REDIS_URL, reason="needs REDIS_URL (a Redis broker)")
def test_queue_lengths_are_read_from_the_redis_broker_at_scrape_time(monkeypatch):
    import redis

    queue = f"test-queue-{os.getpid()}-{uuid.uuid4().hex[:6]}"
    client = redis.Redis.from_url(settings.REDIS_URL)
    monkeypatch.setattr(metrics, "CELERY_QUEUES", (queue,))
    client.lpush(queue, "a", "b", "c")
    client.lpush(queue + "\x06\x166", "urgent")  # kombu's list for priority 6
    try:
        with override_settings(
            CELERY_BROKER_URL=settings.REDIS_URL,
            CELERY_TASK_ALWAYS_EAGER=False,
            METRICS_TOKEN="",
            METRICS_ALLOWED_IPS=["127.0.0.1"],
        ):
            body = Client().get("/metrics", REMOTE_ADDR="127.0.0.1").content.decode()
    finally:
        client.delete(queue, queue + "\x06\x166")
    assert f'mall_celery_queue_length{{queue="{queue}"}} 4.0' in body
