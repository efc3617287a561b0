"""告警规则, 告警, 指标读数: the rules the tech lead tunes, what fired, what was read."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _
from unfold.forms import BaseDialogForm

from mall.core.admin import (
    ReadOnlyModelAdmin,
    ServiceModelAdmin,
    status_display,
    workflow_action,
)
from mall.core.people import person_name

from .. import permissions as perms
from .. import selectors
from ..metrics import metric_label
from ..models import Alert, AlertRule, MetricReading, Severity
from .common import ALERT_COLOURS, SEVERITY_COLOURS, number, when


class AlertRuleForm(forms.ModelForm):
    class Meta:
        model = AlertRule
        fields = [
            "name",
            "comparison",
            "threshold",
            "severity",
            "is_enabled",
            "fires_when_missing",
            "recipient_role",
            "recipient_users",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        users = self.fields.get("recipient_users")
        if users is not None:
            users.queryset = get_user_model().objects.filter(is_staff=True, is_active=True)
            users.label_from_instance = person_name
            users.help_text = _(
                "Nobody named here or by the role: staff who are on call for alerts."
            )


@admin.register(AlertRule)
class AlertRuleAdmin(ServiceModelAdmin):
    list_selector = selectors.alert_rule_list
    form = AlertRuleForm
    nav_group = "system"
    nav_order = 60
    nav_icon = "rule"
    ordering = ["code"]
    list_filter = ["severity", "is_enabled"]
    list_display = [
        "name",
        "metric_name",
        "condition",
        status_display("severity", SEVERITY_COLOURS),
        "is_enabled",
        "on_call",
    ]
    readonly_fields = ["code", "metric_name"]
    fieldsets = [
        (None, {"fields": ["code", "name", "metric_name"]}),
        (
            _("Condition"),
            {"fields": ["comparison", "threshold", "fires_when_missing", "severity", "is_enabled"]},
        ),
        (_("On call"), {"fields": ["recipient_role", "recipient_users"]}),
    ]

    def has_add_permission(self, request):
        return False  # the default rules are installed by the evaluation job

    def has_delete_permission(self, request, obj=None):
        return False  # switch a rule off instead: its alerts keep their history

    @admin.display(description=_("metric"))
    def metric_name(self, rule):
        return metric_label(rule.metric)

    @admin.display(description=_("condition"))
    def condition(self, rule):
        return f"{rule.get_comparison_display()} {rule.threshold.normalize():f}"

    @admin.display(description=_("on call"))
    def on_call(self, rule):
        names = [str(rule.recipient_role)] if rule.recipient_role_id else []
        names += [person_name(user) for user in rule.recipient_users.all()]
        return "、".join(names) or _("staff on call for alerts")

    def save_with_service(self, request, obj, form, change):
        from ..services.alerts import alert_rule_update

        data = form.cleaned_data
        return alert_rule_update(
            actor=request.user,
            rule=selectors.alert_rule_list(actor=request.user).get(pk=obj.pk),
            name=data["name"],
            comparison=data["comparison"],
            threshold=data["threshold"],
            severity=data["severity"],
            is_enabled=data["is_enabled"],
            fires_when_missing=data["fires_when_missing"],
            recipient_role=data.get("recipient_role"),
            recipient_users=data.get("recipient_users") or [],
        )


class IncidentFromAlertForm(BaseDialogForm):
    title = forms.CharField(label=_("title"), max_length=200)
    severity = forms.ChoiceField(label=_("severity"), choices=Severity.choices)
    impact = forms.CharField(
        label=_("impact"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


@admin.register(Alert)
class AlertAdmin(ReadOnlyModelAdmin):
    list_selector = selectors.alert_list
    nav_group = "system"
    nav_order = 61
    nav_icon = "notifications_active"
    ordering = ["-id"]
    list_filter = ["status", "severity", "rule"]
    list_select_related = ["rule"]
    list_display = [
        "rule",
        status_display("status", ALERT_COLOURS),
        status_display("severity", SEVERITY_COLOURS),
        "value_when_fired",
        "value_last",
        "fired",
        "resolved",
    ]
    fields = [
        "rule",
        "metric_name",
        "status",
        "severity",
        "value_when_fired",
        "value_last",
        "fired",
        "seen",
        "resolved",
    ]
    readonly_fields = fields
    actions_detail = ["record_incident"]

    @admin.display(description=_("metric"))
    def metric_name(self, alert):
        return metric_label(alert.rule.metric)

    @admin.display(description=_("value when fired"))
    def value_when_fired(self, alert):
        return number(alert.opened_value)

    @admin.display(description=_("last value"))
    def value_last(self, alert):
        return number(alert.last_value)

    @admin.display(description=_("fired at"), ordering="opened_at")
    def fired(self, alert):
        return when(alert.opened_at)

    @admin.display(description=_("last seen at"))
    def seen(self, alert):
        return when(alert.last_seen_at)

    @admin.display(description=_("resolved at"))
    def resolved(self, alert):
        return when(alert.resolved_at)

    @workflow_action(
        description=_("Record an incident"),
        permission=perms.ADD_INCIDENT,
        form_class=IncidentFromAlertForm,
        success=_("The incident was recorded."),
        icon="report",
    )
    def record_incident(self, request, alert, *, title, severity, impact=""):
        from ..services.incidents import incident_open

        incident_open(
            actor=request.user,
            title=title,
            severity=severity,
            started_at=alert.opened_at,
            impact=impact,
            alert=alert,
        )


@admin.register(MetricReading)
class MetricReadingAdmin(ReadOnlyModelAdmin):
    list_selector = selectors.metric_reading_list
    nav_group = "system"
    nav_order = 62
    nav_icon = "monitoring"
    ordering = ["code"]
    list_display = ["metric_name", "value_text", "read"]
    fields = ["metric_name", "value_text", "read"]
    readonly_fields = fields

    @admin.display(description=_("metric"))
    def metric_name(self, reading):
        return metric_label(reading.code)

    @admin.display(description=_("value"))
    def value_text(self, reading):
        return number(reading.value) if reading.value is not None else _("no value")

    @admin.display(description=_("measured at"))
    def read(self, reading):
        return when(reading.read_at)
