# ruff: noqa: F811 - fixtures imported from other modules are parameters here
"""On PostgreSQL, with threads: concurrent views all count; concurrent pre-heat runs tell
each member once."""

from __future__ import annotations

import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from tests.conftest import requires_postgres
from tests.orders.checkout_support import buyer, on_shelf_sku  # noqa: F401

THREADS = 8


def _run(work, count: int) -> list[str]:
    barrier = threading.Barrier(count)
    crashes: list[str] = []
    lock = threading.Lock()

    def one(number: int) -> None:
        try:
            barrier.wait(timeout=60)
            work(number)
        except Exception as exc:  # noqa: BLE001 - reported below
            with lock:
                crashes.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=one, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=180)
    return crashes


@requires_postgres
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_views_of_one_product_are_all_counted(on_shelf_sku):
    from orders.models import StoreEventCount

    product_id = on_shelf_sku().product_id
    answers: list[int] = []

    def view(number: int) -> None:
        client = APIClient(REMOTE_ADDR=f"10.9.0.{number + 1}")
        for _ in range(5):
            answer = client.post(
                "/api/v1/store/events/",
                {"type": "product_view", "object_id": product_id},
                format="json",
            )
            answers.append(answer.status_code)

    assert _run(view, THREADS) == []
    assert answers == [202] * (THREADS * 5)
    row = StoreEventCount.objects.get(type="product_view", object_id=product_id)
    assert row.views == THREADS * 5


@requires_postgres
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_preheat_runs_tell_each_member_once(buyer, monkeypatch):
    from django.contrib.auth import get_user_model

    from mall.core.actors import system_actor
    from members.models import Notification
    from orders.models import Campaign, PreheatNotice
    from orders.promotions import preheat

    monkeypatch.setattr(preheat, "PREHEAT_BATCH", 3)
    members = [buyer() for _ in range(10)]
    creator = get_user_model().objects.create_user(username="mkt-race", password="x-x-x-x-1")
    start = timezone.now() + timedelta(days=1)
    Campaign.objects.create(
        name="双11 预热",
        kind=Campaign.Kind.FULL_REDUCTION,
        scope=Campaign.Scope.ALL,
        starts_at=start,
        ends_at=start + timedelta(days=1),
        budget_amount=Decimal("1000.00"),
        status="approved",
        created_by=creator,
    )
    told: list[int] = []

    def run(_number: int) -> None:
        told.append(preheat.preheat_send(actor=system_actor())["notices"])

    assert _run(run, 4) == []
    assert sum(told) == len(members)
    assert PreheatNotice.objects.count() == len(members)
    assert Notification.objects.filter(kind="marketing").count() == len(members)
    assert sorted(
        Notification.objects.filter(kind="marketing").values_list("member_id", flat=True)
    ) == sorted(m.pk for m in members)
