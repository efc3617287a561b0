"""/metrics: who may scrape it, and what a scrape reports about requests."""

from __future__ import annotations

import pytest
from django.db import DatabaseError
from django.test import Client, override_settings
from prometheus_client import REGISTRY

from mall.core import metrics

pytestmark = pytest.mark.django_db


def scrape(client: Client | None = None, **extra):
    return (client or Client()).get("/metrics", **extra)


@override_settings(METRICS_TOKEN="", METRICS_ALLOWED_IPS=[])
def test_metrics_are_not_served_when_neither_a_token_nor_addresses_are_configured():
    assert scrape(REMOTE_ADDR="127.0.0.1").status_code == 404


@override_settings(METRICS_TOKEN="", METRICS_ALLOWED_IPS=["10.0.0.0/8", "::1"])
def test_only_scrapers_from_the_allowed_addresses_get_metrics():
    assert scrape(REMOTE_ADDR="192.0.2.10").status_code == 403
    allowed = scrape(REMOTE_ADDR="10.1.2.3")
    assert allowed.status_code == 200
    assert allowed["Content-Type"].startswith("text/plain; version=")


@override_settings(METRICS_TOKEN="s3cret-token", METRICS_ALLOWED_IPS=[])
def test_the_bearer_token_is_required_when_one_is_configured():
    assert scrape().status_code == 403
    assert scrape(HTTP_AUTHORIZATION="Bearer wrong").status_code == 403
    assert scrape(HTTP_AUTHORIZATION="Bearer s3cret-token").status_code == 200


@override_settings(METRICS_TOKEN="s3cret-token", METRICS_ALLOWED_IPS=["10.0.0.0/8"])
def test_with_both_configured_the_scraper_needs_the_address_and_the_token():
    token = {"HTTP_AUTHORIZATION": "Bearer s3cret-token"}
    assert scrape(REMOTE_ADDR="192.0.2.10", **token).status_code == 403
    assert scrape(REMOTE_ADDR="10.0.0.5").status_code == 403
    assert scrape(REMOTE_ADDR="10.0.0.5", **token).status_code == 200


@override_settings(
    METRICS_TOKEN="s3cret-token",
    METRICS_ALLOWED_IPS=[],
    SECURE_SSL_REDIRECT=True,
    ALLOWED_HOSTS=["mall.example.com"],
)
def test_prometheus_scrapes_over_the_internal_network_past_the_https_and_host_checks():
    # Prometheus asks http://web:8000/metrics: plain HTTP, a Host nobody allowed.
    response = scrape(HTTP_HOST="web:8000", HTTP_AUTHORIZATION="Bearer s3cret-token")
    assert response.status_code == 200
    # Everything else still goes through them.
    assert Client().get("/api/health/", HTTP_HOST="web:8000").status_code == 400


@override_settings(METRICS_TOKEN="", METRICS_ALLOWED_IPS=["127.0.0.1"])
def test_a_request_is_timed_and_its_database_queries_counted_by_view_name():
    labels = {"method": "GET", "view": "health"}

    def sample(name, **extra):
        return REGISTRY.get_sample_value(name, {**labels, **extra}) or 0.0

    requests_before = sample("mall_http_requests_total", status="2xx")
    timed_before = sample("mall_http_request_duration_seconds_count")
    queries_before = (
        REGISTRY.get_sample_value("mall_http_request_db_queries_sum", {"view": "health"}) or 0.0
    )

    assert Client().get("/api/health/").status_code == 200

    assert sample("mall_http_requests_total", status="2xx") == requests_before + 1
    assert sample("mall_http_request_duration_seconds_count") == timed_before + 1
    queries = REGISTRY.get_sample_value("mall_http_request_db_queries_sum", {"view": "health"})
    assert queries >= queries_before + 1  # the health check asks the database
    body = scrape(REMOTE_ADDR="127.0.0.1").content.decode()
    assert 'mall_http_requests_total{method="GET",status="2xx",view="health"}' in body


@override_settings(METRICS_TOKEN="", METRICS_ALLOWED_IPS=["127.0.0.1"])
def test_the_audit_seal_lag_reported_is_the_one_the_audit_code_provides():
    metrics.set_audit_seal_lag_source(lambda: 42.5)
    try:
        body = scrape(REMOTE_ADDR="127.0.0.1").content.decode()
    finally:
        metrics.set_audit_seal_lag_source(None)
    assert "mall_audit_seal_lag_seconds 42.5" in body


@override_settings(METRICS_TOKEN="", METRICS_ALLOWED_IPS=["127.0.0.1"])
def test_a_scrape_still_answers_when_the_audit_seal_lag_cannot_be_read():
    def unreadable() -> float:
        raise DatabaseError("connection lost")

    metrics.set_audit_seal_lag_source(unreadable)
    try:
        response = scrape(REMOTE_ADDR="127.0.0.1")
    finally:
        metrics.set_audit_seal_lag_source(None)
    assert response.status_code == 200
    body = response.content.decode()
    assert "mall_audit_seal_lag_seconds " not in body
    assert "mall_dispatch_allocations_total" in body
