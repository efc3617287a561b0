"""Alert evaluation: rules fire once while their condition holds, notify on-call staff
once, and resolve (with their notices) when it clears."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from ops.models import AuditEntry, StaffNotification
from ops.monitoring.models import Alert, AlertRule, MetricReading
from ops.monitoring.services.alerts import (
    DEFAULT_RULES,
    alert_rule_update,
    alert_rules_install,
    alerts_evaluate,
)

pytestmark = pytest.mark.django_db


def _rule(code: str) -> AlertRule:
    return AlertRule.objects.get(code=code)


def test_the_first_evaluation_installs_every_default_rule_once(actor, fake_metrics):
    alerts_evaluate(actor=actor)
    alerts_evaluate(actor=actor)
    assert AlertRule.objects.count() == len(DEFAULT_RULES)
    assert AuditEntry.objects.filter(action="monitoring.rule_install").count() == len(DEFAULT_RULES)
    stale = _rule("backup-restore-stale")
    assert stale.metric == "backup.last_verified_restore_age_hours"
    assert stale.comparison == "gt" and stale.threshold == Decimal("192")
    assert stale.fires_when_missing is True


def test_a_rule_fires_once_and_notifies_its_on_call_staff_once(actor, tech_lead, fake_metrics):
    fake_metrics["jobs.failed_last_hour"] = 2.0
    first = alerts_evaluate(actor=actor)
    second = alerts_evaluate(actor=actor)
    third = alerts_evaluate(actor=actor)

    alert = Alert.objects.get(rule__code="failed-jobs")
    assert alert.status == Alert.Status.FIRING
    assert alert.opened_value == 2.0
    assert (first["fired"], second["fired"], third["fired"]) == (1, 0, 0)
    notices = StaffNotification.objects.filter(recipient=tech_lead, kind="monitoring.alert")
    assert notices.count() == 1
    notice = notices.get()
    assert notice.dedupe_key == f"monitoring.alert:{alert.rule_id}"
    assert notice.resolved_at is None
    assert AuditEntry.objects.filter(action="monitoring.alert_fire").count() == 1


def test_a_firing_alert_keeps_its_last_value_without_a_new_notice(actor, tech_lead, fake_metrics):
    fake_metrics["jobs.failed_last_hour"] = 1.0
    alerts_evaluate(actor=actor)
    fake_metrics["jobs.failed_last_hour"] = 5.0
    alerts_evaluate(actor=actor)
    alert = Alert.objects.get(rule__code="failed-jobs")
    assert (alert.opened_value, alert.last_value) == (1.0, 5.0)
    assert StaffNotification.objects.filter(kind="monitoring.alert").count() == 1


def _later(minutes: float):
    return timezone.now() + timedelta(minutes=minutes)


def test_an_alert_resolves_when_the_condition_clears_and_its_notice_is_resolved(
    actor, tech_lead, fake_metrics
):
    fake_metrics["jobs.failed_last_hour"] = 1.0
    alerts_evaluate(actor=actor)
    fake_metrics["jobs.failed_last_hour"] = 0.0
    assert alerts_evaluate(actor=actor, now=_later(1))["resolved"] == 0  # clear 1 min only
    counts = alerts_evaluate(actor=actor, now=_later(6))  # clear for 5 min and more

    alert = Alert.objects.get(rule__code="failed-jobs")
    assert counts["resolved"] == 1
    assert alert.status == Alert.Status.RESOLVED and alert.resolved_at is not None
    assert StaffNotification.objects.get(recipient=tech_lead).resolved_at is not None
    assert AuditEntry.objects.filter(action="monitoring.alert_resolve").count() == 1


def test_a_rule_firing_again_after_resolving_opens_a_new_alert_and_notifies_again(
    actor, tech_lead, fake_metrics
):
    fake_metrics["jobs.failed_last_hour"] = 1.0
    alerts_evaluate(actor=actor)
    fake_metrics["jobs.failed_last_hour"] = 0.0
    alerts_evaluate(actor=actor, now=_later(6))
    fake_metrics["jobs.failed_last_hour"] = 3.0
    alerts_evaluate(actor=actor, now=_later(7))
    assert Alert.objects.filter(rule__code="failed-jobs").count() == 2
    assert StaffNotification.objects.filter(recipient=tech_lead).count() == 2


def test_an_unavailable_metric_neither_fires_nor_resolves(actor, tech_lead, fake_metrics):
    fake_metrics["jobs.failed_last_hour"] = 4.0
    alerts_evaluate(actor=actor)
    del fake_metrics["jobs.failed_last_hour"]
    fake_metrics["http.error_rate"] = None  # no traffic measured: unknown, not healthy
    alerts_evaluate(actor=actor)
    assert Alert.objects.get(rule__code="failed-jobs").status == Alert.Status.FIRING
    assert not Alert.objects.filter(rule__code="http-error-rate").exists()


def test_a_restore_never_verified_fires_the_backup_rule(actor, tech_lead, fake_metrics):
    fake_metrics["backup.last_verified_restore_age_hours"] = None
    alerts_evaluate(actor=actor)
    alert = Alert.objects.get(rule__code="backup-restore-stale")
    assert alert.opened_value is None
    notice = StaffNotification.objects.get(recipient=tech_lead)
    assert alert.rule.name in notice.title


def test_a_restore_verified_eight_days_ago_fires_and_a_fresh_one_resolves(
    actor, tech_lead, fake_metrics
):
    fake_metrics["backup.last_verified_restore_age_hours"] = 192.0
    alerts_evaluate(actor=actor)
    assert not Alert.objects.filter(rule__code="backup-restore-stale").exists()
    fake_metrics["backup.last_verified_restore_age_hours"] = 193.5
    alerts_evaluate(actor=actor)
    assert Alert.objects.get(rule__code="backup-restore-stale").status == "firing"
    fake_metrics["backup.last_verified_restore_age_hours"] = 2.0
    alerts_evaluate(actor=actor, now=_later(6))
    assert Alert.objects.get(rule__code="backup-restore-stale").status == "resolved"


def test_a_metric_flapping_around_its_threshold_keeps_one_alert_and_one_notice(
    actor, tech_lead, fake_metrics
):
    for minute in range(8):  # bad, good, bad, good … one evaluation a minute
        fake_metrics["jobs.failed_last_hour"] = 2.0 if minute % 2 == 0 else 0.0
        alerts_evaluate(actor=actor, now=_later(minute))
    assert Alert.objects.filter(rule__code="failed-jobs").count() == 1
    assert Alert.objects.get(rule__code="failed-jobs").status == "firing"
    assert StaffNotification.objects.filter(recipient=tech_lead).count() == 1


def test_a_rule_naming_a_role_notifies_that_roles_staff_only(
    actor, tech_lead, make_role_user, fake_metrics
):
    _oncall, role = make_role_user("oncall_t", ())
    alert_rules_install(actor=actor)
    rule = _rule("failed-jobs")
    alert_rule_update(
        actor=tech_lead,
        rule=rule,
        name=rule.name,
        comparison=rule.comparison,
        threshold=rule.threshold,
        severity=rule.severity,
        is_enabled=True,
        fires_when_missing=False,
        recipient_role=role,
    )
    fake_metrics["jobs.failed_last_hour"] = 1.0
    alerts_evaluate(actor=actor)
    recipients = set(StaffNotification.objects.values_list("recipient__username", flat=True))
    assert recipients == {"oncall_t"}


def test_disabling_a_rule_resolves_its_firing_alert(actor, tech_lead, fake_metrics):
    fake_metrics["jobs.failed_last_hour"] = 1.0
    alerts_evaluate(actor=actor)
    rule = _rule("failed-jobs")
    alert_rule_update(
        actor=tech_lead,
        rule=rule,
        name=rule.name,
        comparison=rule.comparison,
        threshold=rule.threshold,
        severity=rule.severity,
        is_enabled=False,
        fires_when_missing=False,
    )
    alerts_evaluate(actor=actor)
    assert Alert.objects.get(rule=rule).status == Alert.Status.RESOLVED


def test_every_reading_is_stored_with_its_value(actor, fake_metrics):
    fake_metrics.update({"jobs.failed_last_hour": 0.0, "http.error_rate": None})
    alerts_evaluate(actor=actor)
    fake_metrics["jobs.failed_last_hour"] = 3.0
    alerts_evaluate(actor=actor)
    readings = dict(MetricReading.objects.values_list("code", "value"))
    assert readings == {"jobs.failed_last_hour": 3.0, "http.error_rate": None}


def test_a_broken_provider_does_not_silence_the_others(actor, tech_lead, fake_metrics):
    from mall.core import hooks

    def broken(*, now):
        raise RuntimeError("provider down")

    hooks.provide("ops.metrics", "broken", broken)
    fake_metrics["jobs.failed_last_hour"] = 1.0
    alerts_evaluate(actor=actor)
    assert Alert.objects.filter(rule__code="failed-jobs", status="firing").exists()


def test_the_task_records_its_run(db, fake_metrics):
    from mall.core.models import JobRun
    from ops.monitoring.tasks import alerts_evaluate_task

    result = alerts_evaluate_task.apply().get()
    run = JobRun.objects.get(name="monitoring.alerts_evaluate")
    assert run.status == JobRun.Status.SUCCEEDED
    assert run.result == result
