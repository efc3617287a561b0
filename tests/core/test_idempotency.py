"""``Idempotency-Key``: replay, 422 on another body, 409 while in flight, per caller."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from mall.core.idempotency import idempotency_keys_purge
from mall.core.models import IdempotencyKey, JobRun
from tests.conftest import requires_postgres

URL = "/api/test/runs/"
pytestmark = pytest.mark.urls("tests.core.idempotency_urls")


def post(client, body, key="key-1", **extra):
    return client.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY=key, **extra)


@pytest.mark.django_db
def test_same_key_and_body_replays_the_first_response_without_a_second_effect(api_client):
    first = post(api_client, {"name": "a"})
    second = post(api_client, {"name": "a"})

    assert first.status_code == second.status_code == 201
    assert second.json() == first.json()
    assert second["Idempotent-Replayed"] == "true"
    assert JobRun.objects.count() == 1


@pytest.mark.django_db
def test_same_key_with_another_body_is_422(api_client):
    post(api_client, {"name": "a"})
    response = post(api_client, {"name": "b"})

    assert response.status_code == 422
    assert response.json()["error"]["code"] == "idempotency_key_reused"
    assert JobRun.objects.count() == 1


@pytest.mark.django_db
def test_without_a_key_every_post_acts(api_client):
    api_client.post(URL, {"name": "a"}, format="json")
    api_client.post(URL, {"name": "a"}, format="json")
    assert JobRun.objects.count() == 2


@pytest.mark.django_db
def test_keys_belong_to_their_caller(api_client):
    post(api_client, {"name": "a"}, REMOTE_ADDR="10.0.0.1")
    other = post(APIClient(), {"name": "a"}, REMOTE_ADDR="10.0.0.2")

    assert other.status_code == 201
    assert "Idempotent-Replayed" not in other
    assert JobRun.objects.count() == 2


@pytest.mark.django_db
def test_a_domain_error_is_replayed_too(api_client):
    first = post(api_client, {"fail": "conflict"})
    second = post(api_client, {"fail": "conflict"})

    assert first.status_code == second.status_code == 409
    assert second.json()["error"]["code"] == "out_of_stock"
    assert second["Idempotent-Replayed"] == "true"


@pytest.mark.django_db
def test_a_crash_forgets_the_key_so_the_client_can_retry():
    client = APIClient(raise_request_exception=False)
    assert post(client, {"fail": "crash"}).status_code == 500
    assert not IdempotencyKey.objects.exists()


@pytest.mark.django_db
def test_an_overlong_key_is_400(api_client):
    response = post(api_client, {"name": "a"}, key="k" * 256)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_idempotency_key"


@pytest.mark.django_db
def test_keys_are_kept_at_least_a_day_and_expired_ones_are_purged_and_reusable(api_client):
    post(api_client, {"name": "a"})
    record = IdempotencyKey.objects.get()
    assert record.expires_at - record.created_at >= timedelta(hours=24)

    IdempotencyKey.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    again = post(api_client, {"name": "b"})
    assert again.status_code == 201  # the expired key no longer binds the body
    IdempotencyKey.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert idempotency_keys_purge() == 1


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_a_duplicate_while_the_first_is_in_flight_is_409():
    results: dict[str, int] = {}

    def slow():
        try:
            results["slow"] = post(APIClient(), {"name": "a", "delay": 1.5}).status_code
        finally:
            connection.close()

    thread = threading.Thread(target=slow)
    thread.start()
    deadline = timezone.now() + timedelta(seconds=5)
    while not IdempotencyKey.objects.exists() and timezone.now() < deadline:
        pass
    duplicate = post(APIClient(), {"name": "a", "delay": 1.5})
    thread.join()

    assert results["slow"] == 201
    assert duplicate.status_code == 409
    assert duplicate.json()["error"]["code"] == "idempotency_in_flight"
    assert JobRun.objects.count() == 1


def _race_identical_posts(count: int) -> list[int | str]:
    """Send ``count`` identical keyed POSTs at once; each answer's status, or "replayed"."""
    barrier = threading.Barrier(count)
    statuses: list[int | str] = []
    lock = threading.Lock()

    def worker():
        try:
            barrier.wait()
            response = post(APIClient(), {"name": "race", "delay": 0.3})
            # a duplicate arriving after the first finished replays its 201
            replayed = response.get("Idempotent-Replayed") == "true"
            with lock:
                statuses.append("replayed" if replayed else response.status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    return statuses


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_identical_requests_act_exactly_once():
    statuses = _race_identical_posts(8)
    assert JobRun.objects.filter(name="race").count() == 1
    assert statuses.count(201) == 1
    assert set(statuses) <= {201, 409, "replayed"}


def _stuck_claim(body: dict, *, age_seconds: int, key: str = "key-1") -> IdempotencyKey:
    """An in-flight claim left behind by a worker that died ``age_seconds`` ago."""
    from django.test import RequestFactory
    from rest_framework.parsers import JSONParser
    from rest_framework.request import Request

    from mall.core.idempotency import request_fingerprint

    raw = RequestFactory().post(URL, body, content_type="application/json")
    fingerprint = request_fingerprint(Request(raw, parsers=[JSONParser()]))
    record = IdempotencyKey.objects.create(
        owner="anon:127.0.0.1",
        key=key,
        method="POST",
        path=URL,
        request_hash=fingerprint,
        state=IdempotencyKey.State.IN_FLIGHT,
        expires_at=timezone.now() + timedelta(hours=48),
    )
    IdempotencyKey.objects.filter(pk=record.pk).update(
        created_at=timezone.now() - timedelta(seconds=age_seconds)
    )
    return record


@pytest.mark.django_db
def test_a_claim_whose_worker_died_is_taken_over_after_the_lease(api_client, settings):
    settings.IDEMPOTENCY_IN_FLIGHT_LEASE_SECONDS = 60
    _stuck_claim({"name": "a"}, age_seconds=61)

    retry = post(api_client, {"name": "a"})
    again = post(api_client, {"name": "a"})

    assert retry.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert JobRun.objects.count() == 1


@pytest.mark.django_db
def test_a_claim_within_its_lease_is_still_in_flight(api_client, settings):
    settings.IDEMPOTENCY_IN_FLIGHT_LEASE_SECONDS = 60
    _stuck_claim({"name": "a"}, age_seconds=30)

    response = post(api_client, {"name": "a"})

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "idempotency_in_flight"
    assert JobRun.objects.count() == 0


@pytest.mark.django_db
def test_a_lapsed_claim_is_not_taken_over_with_another_body(api_client, settings):
    settings.IDEMPOTENCY_IN_FLIGHT_LEASE_SECONDS = 60
    _stuck_claim({"name": "a"}, age_seconds=120)

    assert post(api_client, {"name": "b"}).status_code == 422
    assert JobRun.objects.count() == 0


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_retries_of_a_lapsed_claim_act_exactly_once(settings):
    settings.IDEMPOTENCY_IN_FLIGHT_LEASE_SECONDS = 60
    _stuck_claim({"name": "race", "delay": 0.3}, age_seconds=61)
    statuses = _race_identical_posts(6)
    assert JobRun.objects.filter(name="race").count() == 1
    assert statuses.count(201) == 1
    assert set(statuses) <= {201, 409, "replayed"}
