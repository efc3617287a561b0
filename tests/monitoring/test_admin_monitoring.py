"""Monitoring admin: every screen opens for the tech lead and is refused to customer
service; incident steps are buttons; rules are edited through the service (audited)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from ops.models import AuditEntry
from ops.monitoring.models import Alert, AlertRule, Announcement, Incident, MetricReading
from ops.monitoring.services.alerts import alerts_evaluate
from ops.monitoring.services.announcements import announcement_create

pytestmark = pytest.mark.django_db

MODELS = ["alertrule", "alert", "metricreading", "incident", "announcement"]


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _change(model: str, pk) -> str:
    return reverse(f"admin:monitoring_{model}_change", args=[pk])


def _button(model: str, pk, name: str) -> str:
    return f"{_change(model, pk).removesuffix('change/')}{name.replace('_', '-')}/"


@pytest.fixture
def world(actor, tech_lead, fake_metrics, open_incident):
    fake_metrics["jobs.failed_last_hour"] = 1.0
    alerts_evaluate(actor=actor)
    announcement = announcement_create(
        actor=tech_lead,
        title="维护通知",
        body="周六维护",
        is_for_all_staff=True,
        publish_at=timezone.now() - timedelta(minutes=1),
    )
    return {
        "rule": AlertRule.objects.get(code="failed-jobs"),
        "alert": Alert.objects.get(),
        "reading": MetricReading.objects.get(code="jobs.failed_last_hour"),
        "incident": open_incident,
        "announcement": announcement,
    }


def _pages(world) -> list[str]:
    urls = [reverse(f"admin:monitoring_{model}_changelist") for model in MODELS]
    urls += [reverse(f"admin:monitoring_{model}_add") for model in ("incident", "announcement")]
    urls += [
        _change("alertrule", world["rule"].pk),
        _change("alert", world["alert"].pk),
        _change("metricreading", world["reading"].pk),
        _change("incident", world["incident"].pk),
        _change("announcement", world["announcement"].pk),
    ]
    return urls


def test_every_screen_opens_for_the_tech_lead(world, tech_lead):
    client = _client(tech_lead)
    problems = [
        f"{url}: HTTP {status}"
        for url in _pages(world)
        if (status := client.get(url).status_code) != 200
    ]
    assert problems == []


def test_every_screen_is_refused_to_customer_service(world, cs_agent):
    client = _client(cs_agent)
    allowed = [url for url in _pages(world) if client.get(url).status_code == 200]
    assert allowed == []


def test_the_sidebar_lists_the_monitoring_screens_for_the_tech_lead(world, tech_lead):
    html = _client(tech_lead).get(reverse("admin:index")).content.decode()
    for model in MODELS:
        assert reverse(f"admin:monitoring_{model}_changelist") in html, model


def test_the_workbench_shows_the_firing_alert_tile_to_the_tech_lead(world, tech_lead, cs_agent):
    from ops.workbench import workbench

    tiles = {tile["key"]: tile for tile in workbench(actor=tech_lead)["tiles"]}
    assert tiles["monitoring.alerts_firing"]["count"] == 1
    assert tiles["monitoring.alerts_firing"]["tone"] == "danger"
    assert tiles["monitoring.incidents_open"]["count"] == 1
    assert tiles["monitoring.reports_overdue"]["count"] == 0
    hidden = {tile["key"] for tile in workbench(actor=cs_agent)["tiles"]}
    assert not hidden & {"monitoring.alerts_firing", "monitoring.incidents_open"}


def test_incident_buttons_take_it_from_open_to_closed(world, tech_lead):
    client = _client(tech_lead)
    incident = world["incident"]
    steps = [
        ("note", {"note": "已定位到网关"}),
        ("mitigate", {"note": "摘除故障节点"}),
        ("resolve", {"resolution": "替换网关实例"}),
        (
            "submit_report",
            {"cause": "实例宕机", "analysis": "无健康检查", "improvements": "加探活"},
        ),
        ("close", {}),
    ]
    for name, data in steps:
        response = client.post(
            _button("incident", incident.pk, name), {"_form_submitted": "on", **data}
        )
        assert response.status_code in (204, 302), name
    incident.refresh_from_db()
    assert incident.status == Incident.Status.CLOSED
    assert incident.report_cause == "实例宕机"


def test_a_refused_step_stays_in_the_dialog_and_writes_nothing(world, tech_lead):
    client = _client(tech_lead)
    incident = world["incident"]
    before = AuditEntry.objects.count()
    response = client.post(
        _button("incident", incident.pk, "resolve"),
        {
            "_form_submitted": "on",
            "resolution": "修复",
            "ended_at": (incident.started_at - timedelta(hours=1)).strftime("%Y-%m-%d %H:%M:%S"),
        },
    )
    assert response.status_code == 200
    incident.refresh_from_db()
    assert incident.status == Incident.Status.OPEN
    assert AuditEntry.objects.count() == before


def test_the_tech_lead_edits_a_threshold_through_the_service(world, tech_lead):
    rule = world["rule"]
    response = _client(tech_lead).post(
        _change("alertrule", rule.pk),
        {
            "name": rule.name,
            "comparison": "gte",
            "threshold": "3",
            "severity": "critical",
            "is_enabled": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    rule.refresh_from_db()
    assert (str(rule.threshold.normalize()), rule.severity) == ("3", "critical")
    assert AuditEntry.objects.filter(action="monitoring.rule_update").count() == 1


def test_the_ops_lead_writes_an_announcement_in_the_admin(world, ops_lead):
    response = _client(ops_lead).post(
        reverse("admin:monitoring_announcement_add"),
        {
            "title": "双十一值班",
            "body": "11 月 10 日起全员值班",
            "is_for_all_staff": "on",
            "publish_at_0": timezone.localtime().strftime("%Y-%m-%d"),
            "publish_at_1": timezone.localtime().strftime("%H:%M:%S"),
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Announcement.objects.filter(title="双十一值班", created_by=ops_lead).exists()


def test_status_and_severity_read_in_chinese(world, tech_lead):
    html = _client(tech_lead).get(reverse("admin:monitoring_alert_changelist")).content.decode()
    assert "告警中" in html
    assert ">firing<" not in html and ">major<" not in html


def test_an_incident_is_recorded_from_the_alert_page(world, tech_lead):
    alert = world["alert"]
    response = _client(tech_lead).post(
        _button("alert", alert.pk, "record_incident"),
        {"_form_submitted": "on", "title": "定时任务连续失败", "severity": "major"},
    )
    assert response.status_code in (204, 302)
    incident = Incident.objects.get(alert=alert)
    assert (incident.title, incident.started_at) == ("定时任务连续失败", alert.opened_at)
