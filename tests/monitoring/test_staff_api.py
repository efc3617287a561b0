"""Staff API of monitoring: permissions, 404 for what is missing or malformed, filters
that refuse unknown codes and take an empty value as no filter, the announcement feed
scoped to its audience."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from ops.monitoring.services.alerts import alerts_evaluate
from ops.monitoring.services.announcements import announcement_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def firing(actor, fake_metrics):
    fake_metrics["jobs.failed_last_hour"] = 1.0
    alerts_evaluate(actor=actor)


def _rows(response) -> list:
    body = response.json()
    return body["results"] if isinstance(body, dict) else body


def test_the_tech_lead_lists_alerts_and_customer_service_is_refused(
    firing, tech_lead, cs_agent, staff_client
):
    response = staff_client(tech_lead).get("/api/v1/monitoring/alerts/", {"status": "firing"})
    assert response.status_code == 200
    assert [row["rule"] for row in _rows(response)] == ["failed-jobs"]
    assert staff_client(cs_agent).get("/api/v1/monitoring/alerts/").status_code == 403


def test_an_unknown_status_is_a_400_and_an_empty_one_no_filter(firing, tech_lead, staff_client):
    client = staff_client(tech_lead)
    assert client.get("/api/v1/monitoring/alerts/", {"status": "exploded"}).status_code == 400
    assert len(_rows(client.get("/api/v1/monitoring/alerts/", {"status": ""}))) == 1


def test_an_incident_is_read_by_number_with_its_timeline(open_incident, ops_lead, staff_client):
    from ops.monitoring.services.incidents import incident_note_add

    incident_note_add(actor=open_incident.reported_by, incident=open_incident, body="排查中")
    client = staff_client(ops_lead)
    response = client.get(f"/api/v1/monitoring/incidents/{open_incident.incident_no}/")
    assert response.status_code == 200
    assert [note["body"] for note in response.json()["notes"]] == ["排查中"]
    missing = client.get("/api/v1/monitoring/incidents/GZ000/")
    assert (missing.status_code, missing.json()["error"]["code"]) == (404, "not_found")
    malformed = client.get("/api/v1/monitoring/incidents/bad%20no!/")
    assert (malformed.status_code, malformed.json()["error"]["code"]) == (404, "not_found")


def test_the_announcement_feed_shows_only_the_callers_announcements(
    ops_lead, cs_agent, make_role_user, staff_client
):
    _holder, role = make_role_user("duty_api", ())
    now = timezone.now()
    announcement_create(
        actor=ops_lead,
        title="全员",
        body="全员公告",
        is_for_all_staff=True,
        publish_at=now - timedelta(minutes=1),
    )
    announcement_create(
        actor=ops_lead,
        title="值班",
        body="仅值班角色",
        is_for_all_staff=False,
        roles=[role],
        publish_at=now - timedelta(minutes=1),
    )
    response = staff_client(cs_agent).get("/api/v1/monitoring/announcements/")
    assert response.status_code == 200
    assert [row["title"] for row in _rows(response)] == ["全员"]
