import pytest
from django.conf import settings
from django.test import override_settings

from ops import apis


@pytest.mark.django_db
def test_health_reports_database_cache_and_broker(api_client, settings):
    response = api_client.get("/api/health/")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["cache"] == "ok"
    expected_broker = "eager" if settings.CELERY_TASK_ALWAYS_EAGER else "ok"
    assert body["checks"]["broker"] == expected_broker


@pytest.mark.django_db
def test_health_is_503_naming_the_failing_check(api_client, monkeypatch):
    def broken_cache():
        raise ConnectionError("cache down")

    monkeypatch.setitem(apis.CHECKS, "cache", broken_cache)
    response = api_client.get("/api/health/")

    assert response.status_code == 503
    assert response.json()["checks"]["cache"] == "failing: ConnectionError"
    assert response.json()["checks"]["database"] == "ok"


@pytest.mark.django_db
@override_settings(CELERY_TASK_ALWAYS_EAGER=False, CELERY_BROKER_URL="redis://127.0.0.1:1/0")
def test_an_unreachable_broker_makes_health_503(api_client):
    response = api_client.get("/api/health/")
    assert response.status_code == 503
    assert response.json()["checks"]["broker"].startswith("failing")


@pytest.mark.django_db
@pytest.mark.skipif(not settings.REDIS_URL, reason="needs REDIS_URL (a real broker to reach)")
def test_with_services_health_reaches_the_real_broker(api_client):
    with override_settings(CELERY_TASK_ALWAYS_EAGER=False):
        response = api_client.get("/api/health/")

    assert response.status_code == 200
    assert response.json()["checks"] == {"database": "ok", "cache": "ok", "broker": "ok"}
