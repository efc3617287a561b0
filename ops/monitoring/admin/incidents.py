"""故障记录: incidents, their timeline and the 故障分析报告.

The add form records an incident; the change page is read-only and every step is a
button calling ``ops.monitoring.services.incidents`` (备注, 已缓解, 已解决, 提交分析报告,
复盘关闭). The report's deadline shows beside it (the ``monitoring.incident_report``
clock).
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from unfold.enums import ActionVariant
from unfold.forms import BaseDialogForm

from mall.core.admin import ServiceModelAdmin, person_column, status_display, workflow_action
from mall.core.people import person_name

from .. import permissions as perms
from .. import selectors
from ..models import Alert, Incident
from ..parameters import INCIDENT_REPORT_KIND
from .common import INCIDENT_COLOURS, SEVERITY_COLOURS, when

_S = Incident.Status


class StateFilter(admin.SimpleListFilter):
    """``?state=unresolved`` / ``report_overdue`` (the workbench tiles' lists)."""

    title = _("state")
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [
            ("unresolved", _("not resolved")),
            ("report_overdue", _("analysis report overdue")),
        ]

    def queryset(self, request, queryset):
        if self.value() == "unresolved":
            return queryset.filter(status__in=[_S.OPEN, _S.MITIGATED])
        if self.value() == "report_overdue":
            overdue = selectors.incidents_report_overdue(actor=request.user)
            return queryset.filter(pk__in=overdue.values("pk"))
        return queryset


class IncidentForm(forms.ModelForm):
    class Meta:
        model = Incident
        fields = ["title", "severity", "started_at", "impact", "alert"]


class NoteForm(BaseDialogForm):
    note = forms.CharField(
        label=_("note"), max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )


class ResolveForm(BaseDialogForm):
    resolution = forms.CharField(
        label=_("resolution"), max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )
    ended_at = forms.DateTimeField(label=_("ended at"), required=False, help_text=_("Empty: now."))


class ReportForm(BaseDialogForm):
    cause = forms.CharField(
        label=_("cause"), max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )
    analysis = forms.CharField(
        label=_("analysis"), max_length=5000, widget=forms.Textarea(attrs={"rows": 4})
    )
    improvements = forms.CharField(
        label=_("improvements"), max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )


@admin.register(Incident)
class IncidentAdmin(ServiceModelAdmin):
    list_selector = selectors.incident_list
    form = IncidentForm
    nav_group = "system"
    nav_order = 63
    nav_icon = "report"
    ordering = ["-id"]
    search_fields = ["=incident_no"]
    search_help_text = _("Search by incident number (exact).")
    list_filter = ["status", "severity", StateFilter]
    list_select_related = ["reported_by", "alert__rule"]
    list_display = [
        "incident_no",
        "title",
        status_display("severity", SEVERITY_COLOURS),
        status_display("status", INCIDENT_COLOURS),
        "started",
        "ended",
        "report_state",
        "reported_by_name",
    ]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "incident_no",
                    "title",
                    "severity",
                    "status",
                    "started",
                    "ended",
                    "alert_link",
                    "reported_by_name",
                    "impact",
                    "resolution",
                ]
            },
        ),
        (_("Timeline"), {"fields": ["timeline"]}),
        (
            _("Incident analysis report"),
            {
                "fields": [
                    "report_state",
                    "report_cause",
                    "report_analysis",
                    "report_improvements",
                    "report_submitted_by_name",
                    "closed_by_name",
                ]
            },
        ),
    ]
    readonly_fields = [
        "incident_no",
        "title",
        "severity",
        "status",
        "started",
        "ended",
        "alert_link",
        "reported_by_name",
        "impact",
        "resolution",
        "timeline",
        "report_state",
        "report_cause",
        "report_analysis",
        "report_improvements",
        "report_submitted_by_name",
        "closed_by_name",
    ]
    actions_detail = ["note", "mitigate", "resolve", "submit_report", "close"]

    reported_by_name = person_column("reported_by", _("reported by"))
    report_submitted_by_name = person_column("report_submitted_by", _("report submitted by"))
    closed_by_name = person_column("closed_by", _("closed by"))

    def editable_in_state(self, obj) -> bool:
        return False  # read-only page; every step is a button

    def has_add_permission(self, request):
        return request.user.has_perm(perms.ADD_INCIDENT)

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return [(None, {"fields": ["title", "severity", "started_at", "impact", "alert"]})]
        return super().get_fieldsets(request, obj)

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else self.readonly_fields

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "alert":
            kwargs["queryset"] = selectors.alert_list(actor=request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_with_service(self, request, obj, form, change):
        from ..services.incidents import incident_open

        data = form.cleaned_data
        alert = data.get("alert")
        if alert is not None:  # the dropdown is scoped; read it again through the selector
            alert = selectors.alert_list(actor=request.user).filter(pk=alert.pk).first()
        return incident_open(
            actor=request.user,
            title=data["title"],
            severity=data["severity"],
            started_at=data["started_at"],
            impact=data.get("impact") or "",
            alert=alert,
        )

    # --- columns -----------------------------------------------------------------------

    @admin.display(description=_("started at"), ordering="started_at")
    def started(self, incident):
        return when(incident.started_at)

    @admin.display(description=_("ended at"))
    def ended(self, incident):
        return when(incident.ended_at)

    @admin.display(description=_("triggering alert"))
    def alert_link(self, incident):
        alert: Alert | None = incident.alert
        if alert is None:
            return "—"
        return f"{alert.rule} · {when(alert.opened_at)}"

    @admin.display(description=_("analysis report"))
    def report_state(self, incident):
        if incident.report_submitted_at is not None:
            return format_html("{} {}", _("submitted"), when(incident.report_submitted_at))
        if incident.status not in (_S.RESOLVED, _S.CLOSED):
            return _("due after resolution")
        from ops.models import SlaClock

        clock = (
            SlaClock.objects.filter(
                kind=INCIDENT_REPORT_KIND,
                subject_type=ContentType.objects.get_for_model(Incident),
                subject_id=str(incident.pk),
            )
            .order_by("-id")
            .first()
        )
        if clock is None:
            return "—"
        if clock.due_at < timezone.now():
            return format_html(
                '<span class="text-red-600">{} {}</span>', _("overdue since"), when(clock.due_at)
            )
        return format_html("{} {}", _("due by"), when(clock.due_at))

    @admin.display(description=_("timeline"))
    def timeline(self, incident):
        notes = list(incident.notes.select_related("author"))
        if not notes:
            return "—"
        return format_html_join(
            "",
            "<div><strong>{}</strong> · {} · {}</div>",
            ((when(note.at), person_name(note.author), note.body) for note in notes),
        )

    # --- buttons -------------------------------------------------------------------------

    @workflow_action(
        description=pgettext_lazy("incident action", "Add a note"),
        permission=perms.CHANGE_INCIDENT,
        when=lambda incident: incident.status != _S.CLOSED,
        form_class=NoteForm,
        success=_("The note was added."),
        variant=ActionVariant.DEFAULT,
        icon="edit_note",
    )
    def note(self, request, incident, *, note):
        from ..services.incidents import incident_note_add

        incident_note_add(actor=request.user, incident=incident, body=note)

    @workflow_action(
        description=_("Mark mitigated"),
        permission=perms.CHANGE_INCIDENT,
        when=lambda incident: incident.status == _S.OPEN,
        form_class=NoteForm,
        success=_("The incident is mitigated."),
        icon="healing",
    )
    def mitigate(self, request, incident, *, note):
        from ..services.incidents import incident_mitigate

        incident_mitigate(actor=request.user, incident=incident, note=note)

    @workflow_action(
        description=_("Mark resolved"),
        permission=perms.CHANGE_INCIDENT,
        when=lambda incident: incident.status in (_S.OPEN, _S.MITIGATED),
        form_class=ResolveForm,
        success=_("The incident is resolved; the analysis report is due."),
        icon="task_alt",
    )
    def resolve(self, request, incident, *, resolution, ended_at=None):
        from ..services.incidents import incident_resolve

        incident_resolve(
            actor=request.user, incident=incident, resolution=resolution, ended_at=ended_at
        )

    @workflow_action(
        description=_("Submit the analysis report"),
        permission=perms.SUBMIT_REPORT,
        when=lambda incident: incident.status == _S.RESOLVED,
        form_class=ReportForm,
        success=_("The analysis report was submitted."),
        icon="description",
    )
    def submit_report(self, request, incident, *, cause, analysis, improvements):
        from ..services.incidents import incident_report_submit

        incident_report_submit(
            actor=request.user,
            incident=incident,
            cause=cause,
            analysis=analysis,
            improvements=improvements,
        )

    @workflow_action(
        description=_("Review and close"),
        permission=perms.CLOSE_INCIDENT,
        when=lambda incident: (
            incident.status == _S.RESOLVED and incident.report_submitted_at is not None
        ),
        confirm=_("The analysis report has been reviewed; close the incident?"),
        success=_("The incident is closed."),
        icon="verified",
    )
    def close(self, request, incident):
        from ..services.incidents import incident_close

        incident_close(actor=request.user, incident=incident)
