"""Alert rules and their evaluation (the per-minute job).

:func:`alerts_evaluate` reads every metric (``ops.monitoring.metrics``), stores the
readings, and for each enabled rule:

* condition holds, no firing alert → an :class:`Alert` opens (firing) and the rule's
  on-call staff get one notice (dedupe key ``monitoring.alert:<rule id>``, subject the
  alert): while the alert fires no second notice is sent, however often the job runs;
* condition holds, alert firing → only its last value and time are updated;
* condition no longer holds, and has not held for ``monitoring.alert_clear_minutes``
  (5) → the alert resolves and its notices are resolved in every inbox
  (``notifications_resolve``); a metric flapping around its threshold keeps its one
  alert and its one notice;
* metric unavailable (no provider returned it, or ``None`` on a rule that does not fire
  when missing) → nothing changes: an unknown is neither a fault nor a recovery.

A disabled rule's firing alert resolves at the next run.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from mall.core.audit import audit, snapshot
from mall.core.transitions import transition
from ops.parameters import get_parameter
from ops.services.notifications import (
    notifications_resolve,
    staff_notify,
    staff_notify_holders,
)

from .. import permissions as perms
from ..exceptions import InvalidMonitoringInput, MonitoringPermissionDenied
from ..metrics import metric_label, metrics_read
from ..models import Alert, AlertRule, MetricReading, Severity
from ..parameters import ALERT_CLEAR_MINUTES
from . import transitions  # noqa: F401 - registers the status tables

NOTICE_KIND = "monitoring.alert"
THRESHOLD_LIMIT = Decimal("1e10")

_C = AlertRule.Comparison
_COMPARE = {
    _C.GT: lambda value, threshold: value > threshold,
    _C.GTE: lambda value, threshold: value >= threshold,
    _C.LT: lambda value, threshold: value < threshold,
    _C.LTE: lambda value, threshold: value <= threshold,
}

# The rules every installation starts with (installed by the job when missing, once).
DEFAULT_RULES = [
    ("http-error-rate", _("Server errors above 5 %"), "http.error_rate", _C.GT, "0.05",
     Severity.MAJOR, False),
    ("http-latency-p95", _("Slow answers: p95 above 2 seconds"), "http.latency_p95_seconds",
     _C.GT, "2", Severity.MAJOR, False),
    ("task-failure-rate", _("Background tasks failing above 20 %"),
     "celery.task_failure_rate", _C.GT, "0.2", Severity.MAJOR, False),
    ("queue-realtime", _("Realtime queue backed up"), "celery.queue_depth.realtime", _C.GT,
     "100", Severity.CRITICAL, False),
    ("queue-default", _("Default queue backed up"), "celery.queue_depth.default", _C.GT,
     "1000", Severity.MAJOR, False),
    ("queue-heavy", _("Heavy queue backed up"), "celery.queue_depth.heavy", _C.GT, "200",
     Severity.MINOR, False),
    ("failed-jobs", _("Scheduled jobs failed"), "jobs.failed_last_hour", _C.GTE, "1",
     Severity.MAJOR, False),
    ("audit-seal-lag", _("Audit log sealing behind by more than 10 minutes"),
     "audit.seal_lag_seconds", _C.GT, "600", Severity.CRITICAL, False),
    ("payment-channel-degraded", _("A payment channel is degraded"),
     "payments.channels_degraded", _C.GTE, "1", Severity.CRITICAL, False),
    # 8 days; ``None`` from the backups provider = never verified, which fires too.
    ("backup-restore-stale", _("Last verified restore older than 8 days (or never)"),
     "backup.last_verified_restore_age_hours", _C.GT, "192", Severity.CRITICAL, True),
]  # fmt: skip


def _holds(rule: AlertRule, value: float | None) -> bool:
    if value is None:
        return rule.fires_when_missing
    return _COMPARE[rule.comparison](Decimal(str(value)), rule.threshold)


def alert_rules_install(*, actor) -> list[AlertRule]:
    """Create the default rules that do not exist yet (by code); return those created.

    Never changes an existing rule (a tech lead's edit stands). Names are stored in the
    site language. Audited as ``monitoring.rule_install`` per rule.
    """
    existing = set(
        AlertRule.objects.filter(code__in=[row[0] for row in DEFAULT_RULES]).values_list(
            "code", flat=True
        )
    )
    created = []
    with translation.override(settings.LANGUAGE_CODE):
        for code, name, metric, comparison, threshold, severity, missing in DEFAULT_RULES:
            if code in existing:
                continue
            with transaction.atomic():
                rule, made = AlertRule.objects.get_or_create(
                    code=code,
                    defaults={
                        "name": str(name),
                        "metric": metric,
                        "comparison": comparison,
                        "threshold": Decimal(threshold),
                        "severity": severity,
                        "fires_when_missing": missing,
                    },
                )
                if made:
                    audit(
                        actor=actor,
                        action="monitoring.rule_install",
                        target=rule,
                        after=snapshot(rule),
                    )
                    created.append(rule)
    return created


def alert_rule_update(
    *,
    actor,
    rule: AlertRule,
    name: str,
    comparison: str,
    threshold: Decimal,
    severity: str,
    is_enabled: bool,
    fires_when_missing: bool,
    recipient_role=None,
    recipient_users: Iterable | None = None,
) -> AlertRule:
    """Change a rule's threshold, comparison, severity, switch and on-call recipients.

    Needs ``monitoring.change_alertrule`` (the tech lead). The metric of a rule is fixed
    (a new metric is a new rule). Raises ``MonitoringPermissionDenied`` and
    ``InvalidMonitoringInput`` (empty name, unknown comparison or severity, threshold not
    a finite number below 10¹⁰). Audited as ``monitoring.rule_update`` with the diff.
    """
    if not actor.has_perm(perms.CHANGE_RULE):
        raise MonitoringPermissionDenied()
    problems: dict[str, list[str]] = {}
    name = (name or "").strip()
    if not name or len(name) > 100:
        problems["name"] = [gettext("Enter a name of at most 100 characters.")]
    if comparison not in _C.values:
        problems["comparison"] = [gettext("Choose a comparison.")]
    if severity not in Severity.values:
        problems["severity"] = [gettext("Choose a severity.")]
    try:
        threshold = Decimal(str(threshold))
        if not threshold.is_finite() or abs(threshold) >= THRESHOLD_LIMIT:
            raise InvalidOperation
        threshold = threshold.quantize(Decimal("0.0001"))
    except (InvalidOperation, ValueError):
        problems["threshold"] = [gettext("Enter a number below 10,000,000,000.")]
    if problems:
        raise InvalidMonitoringInput(fields=problems)
    users = sorted({getattr(user, "pk", user) for user in (recipient_users or [])})
    if users:
        known = set(
            get_user_model()
            .objects.filter(pk__in=users, is_staff=True, is_active=True)
            .values_list("pk", flat=True)
        )
        if known != set(users):
            raise InvalidMonitoringInput(
                fields={"recipient_users": [gettext("Choose active staff members only.")]}
            )
    fields = ["name", "comparison", "threshold", "severity", "is_enabled", "fires_when_missing"]
    with transaction.atomic():
        rule = AlertRule.objects.select_for_update().get(pk=rule.pk)
        before = {
            **snapshot(rule, [*fields, "recipient_role_id"]),
            "recipient_users": sorted(rule.recipient_users.values_list("pk", flat=True)),
        }
        rule.name, rule.comparison, rule.threshold = name, comparison, threshold
        rule.severity, rule.is_enabled = severity, bool(is_enabled)
        rule.fires_when_missing = bool(fires_when_missing)
        rule.recipient_role = recipient_role
        rule.save(update_fields=[*fields, "recipient_role", "updated_at"])
        rule.recipient_users.set(users)
        after = {**snapshot(rule, [*fields, "recipient_role_id"]), "recipient_users": users}
        audit(actor=actor, action="monitoring.rule_update", target=rule, before=before, after=after)
    return rule


def _store_readings(readings: dict[str, float | None], now: datetime) -> None:
    rows = [MetricReading(code=code, value=value, read_at=now) for code, value in readings.items()]
    # Machine state like a job run (not audited): the last value of each metric.
    MetricReading.objects.bulk_create(
        rows, update_conflicts=True, unique_fields=["code"], update_fields=["value", "read_at"]
    )


def _value_text(rule: AlertRule, value: float | None) -> str:
    if value is None:
        return gettext("no value (never measured)")
    return f"{value:g}"


def _notify(actor, rule: AlertRule, alert: Alert) -> int:
    title = gettext("Alert: %(rule)s") % {"rule": rule.name}
    body = gettext("%(metric)s is %(value)s (rule: %(comparison)s %(threshold)s).") % {
        "metric": metric_label(rule.metric),
        "value": _value_text(rule, alert.opened_value),
        "comparison": rule.get_comparison_display(),
        "threshold": f"{rule.threshold.normalize():f}",
    }
    notice = {
        "actor": actor,
        "kind": NOTICE_KIND,
        "title": title,
        "body": body,
        "link": reverse("admin:monitoring_alert_change", args=[alert.pk]),
        "dedupe_key": f"monitoring.alert:{rule.pk}",
        "subject": alert,
    }
    recipients: set[int] = set(rule.recipient_users.values_list("pk", flat=True))
    if rule.recipient_role_id:
        recipients |= set(
            get_user_model()
            .objects.filter(groups__role=rule.recipient_role_id, is_staff=True)
            .values_list("pk", flat=True)
        )
    if recipients:
        return staff_notify(recipients=sorted(recipients), **notice)
    return staff_notify_holders(permission=perms.RECEIVE_ALERTS, **notice)


def _fire(actor, rule: AlertRule, value: float | None, now: datetime) -> Alert | None:
    try:
        with transaction.atomic():
            alert = Alert.objects.create(
                rule=rule,
                status=Alert.Status.FIRING,
                severity=rule.severity,
                opened_value=value,
                last_value=value,
                opened_at=now,
                last_seen_at=now,
            )
            audit(
                actor=actor,
                action="monitoring.alert_fire",
                target=alert,
                after=snapshot(alert),
                data={"rule": rule.code, "metric": rule.metric},
            )
            _notify(actor, rule, alert)
    except IntegrityError:  # a concurrent run opened it first
        return None
    return alert


def _resolve(actor, alert: Alert, value: float | None, now: datetime, reason: str) -> None:
    with transaction.atomic():
        alert = Alert.objects.select_for_update().get(pk=alert.pk)
        if alert.status != Alert.Status.FIRING:
            return
        transition(
            alert,
            Alert.Status.RESOLVED,
            actor=actor,
            action="monitoring.alert_resolve",
            reason=reason,
            resolved_at=now,
            last_value=value,
            last_seen_at=now,
        )
        notifications_resolve(actor=actor, subject=alert, kinds=[NOTICE_KIND])


def alerts_evaluate(*, actor, now: datetime | None = None) -> dict[str, int]:
    """Read the metrics and fire or resolve each rule's alert (module docstring).

    Idempotent: a second run with the same readings opens, resolves and notifies
    nothing. Installs the default rules that are missing first. Returns counts
    (``fired``, ``resolved``, ``firing``, ``metrics``). ``actor`` is the system actor.
    """
    now = now or timezone.now()
    alert_rules_install(actor=actor)
    readings = metrics_read(now=now)
    _store_readings(readings, now)
    firing = {alert.rule_id: alert for alert in Alert.objects.filter(status=Alert.Status.FIRING)}
    clear_after = timedelta(minutes=get_parameter(ALERT_CLEAR_MINUTES))
    counts = {"fired": 0, "resolved": 0, "firing": 0, "metrics": len(readings)}
    for rule in AlertRule.objects.order_by("pk"):
        alert = firing.get(rule.pk)
        if not rule.is_enabled:
            if alert is not None:
                _resolve(actor, alert, alert.last_value, now, "rule disabled")
                counts["resolved"] += 1
            continue
        if rule.metric not in readings:
            continue  # nobody provides it (now): unknown, not a recovery
        value = readings[rule.metric]
        if value is None and not rule.fires_when_missing:
            continue
        if _holds(rule, value):
            if alert is None:
                if _fire(actor, rule, value, now) is not None:
                    counts["fired"] += 1
            else:
                Alert.objects.filter(pk=alert.pk, status=Alert.Status.FIRING).update(
                    last_value=value, last_seen_at=now
                )
            counts["firing"] += 1
        elif alert is not None and now - alert.last_seen_at >= clear_after:
            # Clear for long enough: a metric flapping around its threshold keeps its
            # one alert (and one notice) instead of firing and notifying every minute.
            _resolve(actor, alert, value, now, "condition cleared")
            counts["resolved"] += 1
    return counts
