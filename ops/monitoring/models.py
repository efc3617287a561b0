"""Models of monitoring (监控告警), incidents (故障记录) and staff announcements (公告).

* :class:`MetricReading` — the last value of each metric the evaluation job read
  (``ops.monitoring.metrics``): what the rules were compared with, shown in the admin.
* :class:`AlertRule` — "metric ⟨comparison⟩ threshold" with a severity and on-call
  recipients (a role and/or users; nobody named = holders of ``monitoring.receive_alerts``).
  Thresholds are edited on the rule by the tech lead (audited), not as system parameters.
* :class:`Alert` — one firing of a rule: firing → resolved. At most one firing alert per
  rule (partial unique constraint), so the job may run twice or concurrently.
* :class:`Incident` — a production incident: open → mitigated → resolved → closed
  (reviewed), with a timeline of notes (:class:`IncidentNote`) and the post-mortem
  (故障分析报告) due within ``sla.monitoring_incident_report_hours`` of resolution.
* :class:`Announcement` — a notice to all staff or to some roles, shown on the workbench
  between its publish and expiry times.

Contracts and decisions: docs/MONITORING.md.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from mall.core.models import TimeStampedModel


class Severity(models.TextChoices):
    CRITICAL = "critical", pgettext_lazy("monitoring severity", "critical")
    MAJOR = "major", pgettext_lazy("monitoring severity", "major")
    MINOR = "minor", pgettext_lazy("monitoring severity", "minor")


class MetricReading(models.Model):
    """The last value read of one metric (``None``: the metric had no value then)."""

    code = models.CharField(_("metric"), max_length=100, unique=True)
    value = models.FloatField(_("value"), null=True, blank=True)
    read_at = models.DateTimeField(_("measured at"))

    class Meta:
        verbose_name = _("metric reading")
        verbose_name_plural = _("metric readings")
        ordering = ["code"]
        default_permissions = ("view",)

    def __str__(self) -> str:
        return self.code


class AlertRule(TimeStampedModel):
    """An alert rule (告警规则): fires while ``metric comparison threshold`` holds."""

    class Comparison(models.TextChoices):
        GT = "gt", pgettext_lazy("alert comparison", "above")
        GTE = "gte", pgettext_lazy("alert comparison", "at or above")
        LT = "lt", pgettext_lazy("alert comparison", "below")
        LTE = "lte", pgettext_lazy("alert comparison", "at or below")

    code = models.SlugField(_("rule code"), max_length=60, unique=True)
    name = models.CharField(_("rule name"), max_length=100)
    metric = models.CharField(_("metric"), max_length=100)
    comparison = models.CharField(
        _("comparison"), max_length=3, choices=Comparison.choices, default=Comparison.GT
    )
    threshold = models.DecimalField(_("alert threshold"), max_digits=14, decimal_places=4)
    # "Never verified" and the like: a provider that answers ``None`` for this metric.
    fires_when_missing = models.BooleanField(
        _("fire when the metric has no value"),
        default=False,
        help_text=_(
            "For example a restore that was never verified. A metric nobody provides never fires."
        ),
    )
    severity = models.CharField(
        _("severity"), max_length=10, choices=Severity.choices, default=Severity.MAJOR
    )
    is_enabled = models.BooleanField(_("enabled"), default=True)
    recipient_role = models.ForeignKey(
        "rbac.Role",
        verbose_name=_("on-call role"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    recipient_users = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("on-call staff"),
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("alert rule")
        verbose_name_plural = _("alert rules")
        ordering = ["code"]
        default_permissions = ("view", "change")

    def __str__(self) -> str:
        return self.name


class Alert(models.Model):
    """One firing of a rule (告警): firing → resolved."""

    class Status(models.TextChoices):
        FIRING = "firing", pgettext_lazy("monitoring alert", "firing")
        RESOLVED = "resolved", pgettext_lazy("monitoring alert", "resolved")

    rule = models.ForeignKey(
        AlertRule, verbose_name=_("alert rule"), on_delete=models.PROTECT, related_name="alerts"
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.FIRING
    )
    severity = models.CharField(_("severity"), max_length=10, choices=Severity.choices)
    opened_value = models.FloatField(_("value when fired"), null=True, blank=True)
    last_value = models.FloatField(_("last value"), null=True, blank=True)
    opened_at = models.DateTimeField(_("fired at"), db_index=True)
    last_seen_at = models.DateTimeField(_("last seen at"))
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)

    class Meta:
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")
        ordering = ["-id"]
        default_permissions = ("view",)
        permissions = [("receive_alerts", _("Can be on call for monitoring alerts"))]
        constraints = [
            models.UniqueConstraint(
                fields=["rule"],
                condition=Q(status="firing"),
                name="monitoring_alert_one_firing_per_rule",
            )
        ]

    def __str__(self) -> str:
        return f"{self.rule} {self.opened_at:%Y-%m-%d %H:%M}"


class Incident(TimeStampedModel):
    """A production incident (故障记录) and its post-mortem (故障分析报告)."""

    class Status(models.TextChoices):
        OPEN = "open", pgettext_lazy("incident", "open")
        MITIGATED = "mitigated", pgettext_lazy("incident", "mitigated")
        RESOLVED = "resolved", pgettext_lazy("incident", "resolved")
        CLOSED = "closed", pgettext_lazy("incident", "reviewed and closed")

    incident_no = models.CharField(_("incident number"), max_length=24, unique=True)
    title = models.CharField(_("title"), max_length=200)
    severity = models.CharField(_("severity"), max_length=10, choices=Severity.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN
    )
    started_at = models.DateTimeField(_("started at"))
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    impact = models.TextField(_("impact"), blank=True)
    resolution = models.TextField(_("resolution"), blank=True)
    alert = models.ForeignKey(
        Alert,
        verbose_name=_("triggering alert"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="incidents",
    )
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reported by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    # --- 故障分析报告 ---
    report_cause = models.TextField(_("cause"), blank=True)
    report_analysis = models.TextField(_("analysis"), blank=True)
    report_improvements = models.TextField(_("improvements"), blank=True)
    report_submitted_at = models.DateTimeField(_("report submitted at"), null=True, blank=True)
    report_submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("report submitted by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("closed by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("incident")
        verbose_name_plural = _("incidents")
        ordering = ["-id"]
        default_permissions = ("view", "add", "change")
        permissions = [
            ("submit_incident_report", _("Can submit an incident post-mortem")),
            ("close_incident", _("Can review and close an incident")),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True) | Q(ended_at__gte=models.F("started_at")),
                name="monitoring_incident_ends_after_start",
            )
        ]

    def __str__(self) -> str:
        return f"{self.incident_no} {self.title}"


class IncidentNote(models.Model):
    """One entry of an incident's timeline: an action taken, a finding, a status move."""

    incident = models.ForeignKey(
        Incident, verbose_name=_("incident"), on_delete=models.CASCADE, related_name="notes"
    )
    at = models.DateTimeField(_("at"), auto_now_add=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), on_delete=models.PROTECT, related_name="+"
    )
    body = models.TextField(_("note"))

    class Meta:
        verbose_name = _("incident note")
        verbose_name_plural = _("incident notes")
        ordering = ["at", "id"]
        default_permissions = ()

    def __str__(self) -> str:
        return f"{self.incident_id} {self.at:%Y-%m-%d %H:%M}"


class Announcement(TimeStampedModel):
    """A staff announcement (公告) shown on the workbench to its audience."""

    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("body"))
    is_for_all_staff = models.BooleanField(_("for all staff"), default=True)
    roles = models.ManyToManyField(
        "rbac.Role", verbose_name=_("for roles"), blank=True, related_name="+"
    )
    publish_at = models.DateTimeField(_("publish at"), db_index=True)
    expire_at = models.DateTimeField(_("expire at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("staff announcement")
        verbose_name_plural = _("staff announcements")
        ordering = ["-publish_at", "-id"]
        default_permissions = ("view", "add", "change")
        constraints = [
            models.CheckConstraint(
                condition=Q(expire_at__isnull=True) | Q(expire_at__gt=models.F("publish_at")),
                name="monitoring_announcement_expires_after_publish",
            )
        ]

    def __str__(self) -> str:
        return self.title
