from django import forms
from django.apps import apps
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from mall.core.admin import ReadOnlyModelAdmin, ServiceModelAdmin, TabularInline
from mall.core.exceptions import ApplicationError
from mall.core.filejobs import file_job_download, file_job_get, file_job_list
from mall.core.models import FileJob, JobRun, StaffToken
from mall.core.permissions import is_staff_user

from .models import (
    AuditEntry,
    ParameterChangeRequest,
    SlaClock,
    SlaClockExtension,
    StaffNotification,
    SystemParameter,
)
from .parameters import registered_parameters
from .selectors import (
    notification_list,
    parameter_change_request_list,
    parameter_change_requests_awaiting,
    parameter_list,
    sla_board,
    sla_clock_list,
)
from .services.notifications import notification_mark_read
from .services.parameters import (
    parameter_change_approve,
    parameter_change_check,
    parameter_change_reject,
    parameter_change_request,
    parameter_change_withdraw,
)
from .services.sla import MAX_EXTENSION_MINUTES, sla_clock_extend
from .sla_kinds import registered_sla_kinds


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyModelAdmin):
    list_display = (
        "seq",
        "at",
        "actor_label",
        "action",
        "object_type",
        "object_id",
        "ip",
        "sealed",
    )
    list_filter = ("action", "object_type", ("at", admin.DateFieldListFilter))
    search_fields = ("=request_id", "=object_id", "^actor__username")
    ordering = ("-id",)  # newest first on the primary key, whatever seq becomes
    search_help_text = _("Search by a whole request id or object id, or the start of a user name.")
    estimated_count = True
    readonly_fields = [f.name for f in AuditEntry._meta.fields]

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("ops.view_auditentry")

    @admin.display(description=_("sealed"), boolean=True)
    def sealed(self, obj):
        """Chained by the sealer (seconds after commit); unsealed entries have no seq."""
        return obj.seq is not None


@admin.register(JobRun)
class JobRunAdmin(ReadOnlyModelAdmin):
    list_display = ("name", "status", "started_at", "finished_at")
    list_filter = ("status", "name")
    readonly_fields = [f.name for f in JobRun._meta.fields]
    estimated_count = True


@admin.register(FileJob)
class FileJobAdmin(ReadOnlyModelAdmin):
    """我的任务: the reader's own export and import jobs, with progress and their file.

    Every staff member sees this page and only their own jobs (``file_job_list``);
    a page with a job still queued or running reloads itself every few seconds.
    """

    list_display = (
        "id",
        "kind",
        "subject",
        "status",
        "progress_bar",
        "rows",
        "created_at",
        "finished_at",
        "download_link",
    )
    list_display_links = ("id", "subject")
    list_filter = ("kind", "status")
    estimated_count = True  # grows without bound (a capped count of the reader's jobs)
    fields = (
        "kind",
        "subject",
        "status",
        "progress_bar",
        "rows",
        "error",
        "outcome",
        "download_link",
        "created_at",
        "started_at",
        "finished_at",
        "expires_at",
    )
    readonly_fields = fields
    change_list_template = "admin/core/filejob/change_list.html"
    change_form_template = "admin/core/filejob/change_form.html"

    def get_queryset(self, request):
        return file_job_list(actor=request.user)

    def has_module_permission(self, request):
        return is_staff_user(request.user)

    def has_view_permission(self, request, obj=None):
        return is_staff_user(request.user) and (
            obj is None or obj.requested_by_id == request.user.pk
        )

    @admin.display(description=_("data"))
    def subject(self, job: FileJob):
        label = job.parameters.get("model", "")
        try:
            name = apps.get_model(label)._meta.verbose_name_plural if label else job.name
        except (LookupError, ValueError):
            name = job.name
        file_name = job.parameters.get("file_name")
        return f"{name} ({file_name})" if file_name else str(name)

    @admin.display(description=_("progress"))
    def progress_bar(self, job: FileJob):
        return format_html(
            '<progress value="{}" max="100" style="width:10em">{} %</progress> {} %',
            job.progress,
            job.progress,
            job.progress,
        )

    @admin.display(description=_("rows"))
    def rows(self, job: FileJob):
        if job.rows_total is None:
            return job.rows_done
        return f"{job.rows_done} / {job.rows_total}"

    @admin.display(description=_("outcome"))
    def outcome(self, job: FileJob):
        result = job.result or {}
        lines = [f"{key}: {value}" for key, value in result.items() if key != "errors"]
        for item in result.get("errors", [])[:50]:
            lines.append(
                _("row %(row)s: %(errors)s")
                % {"row": item.get("row"), "errors": "; ".join(item.get("errors", []))}
            )
        return format_html_join("", "<div>{}</div>", ((line,) for line in lines)) or "—"

    @admin.display(description=_("file"))
    def download_link(self, job: FileJob):
        if job.status in (FileJob.Status.QUEUED, FileJob.Status.RUNNING):
            return "—"
        if not job.result_file:
            return _("deleted") if job.expires_at else "—"
        url = reverse("admin:core_filejob_download", args=[job.pk])
        label = _("download the error report") if job.kind == "import" else _("download")
        return format_html('<a href="{}">{}</a>', url, label)

    def get_urls(self):
        custom = [
            path(
                "<int:pk>/download/",
                self.admin_site.admin_view(self.download_view),
                name="core_filejob_download",
            )
        ]
        return custom + super().get_urls()

    def download_view(self, request, pk):
        try:
            job = file_job_get(actor=request.user, pk=pk)
            handle, name = file_job_download(actor=request.user, job=job)
        except ApplicationError as exc:
            if exc.status_code == 404:
                raise Http404(exc.message) from None
            self.message_user(request, exc.message, level=messages.ERROR)
            return HttpResponseRedirect(reverse("admin:core_filejob_changelist"))
        return FileResponse(handle, as_attachment=True, filename=name)

    def changelist_view(self, request, extra_context=None):
        active = (FileJob.Status.QUEUED, FileJob.Status.RUNNING)
        running = file_job_list(actor=request.user).filter(status__in=active).exists()
        return super().changelist_view(
            request, {"refresh_seconds": 3 if running else None, **(extra_context or {})}
        )

    def change_view(self, request, object_id, form_url="", extra_context=None):
        job = file_job_list(actor=request.user).filter(pk=object_id).first()
        active = (FileJob.Status.QUEUED, FileJob.Status.RUNNING)
        refresh = 2 if job is not None and job.status in active else None
        return super().change_view(
            request, object_id, form_url, {"refresh_seconds": refresh, **(extra_context or {})}
        )


admin.site.empty_value_display = _("(none)")


# --- system parameters and change requests ------------------------------------------------


@admin.register(SystemParameter)
class SystemParameterAdmin(ReadOnlyModelAdmin):
    """The parameter registry: every registered parameter, not only the changed rows.

    Unchanged parameters have no ``SystemParameter`` row, so the changelist is a
    custom page built from the registry (``parameter_list``); changes go through
    change requests.
    """

    def changelist_view(self, request, extra_context=None):
        if not self.has_view_permission(request):
            raise PermissionDenied
        rows = parameter_list(actor=request.user)
        context = {
            **self.admin_site.each_context(request),
            "title": _("System parameters"),
            "opts": self.model._meta,
            "rows": rows,
            "can_request": request.user.has_perm("ops.add_parameterchangerequest"),
            "add_url": reverse("admin:ops_parameterchangerequest_add"),
            "requests_url": reverse("admin:ops_parameterchangerequest_changelist"),
            **(extra_context or {}),
        }
        return TemplateResponse(request, "admin/ops/systemparameter/registry.html", context)


class ParameterChangeRequestForm(forms.ModelForm):
    key = forms.ChoiceField(label=_("parameter"))
    new_value = forms.CharField(
        label=_("new value"),
        help_text=_("Lists: comma-separated. Yes/no: true or false."),
        max_length=2000,
    )

    class Meta:
        model = ParameterChangeRequest
        fields = ["key", "new_value", "reason"]

    def __init__(self, *args, actor=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.actor = actor
        self.fields["key"].choices = [
            (key, f"{key} — {spec.description}") for key, spec in registered_parameters().items()
        ]

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        try:
            parameter_change_check(
                actor=self.actor,
                key=cleaned["key"],
                new_value=cleaned["new_value"],
                reason=cleaned.get("reason", ""),
            )
        except ApplicationError as exc:
            for field, problems in exc.fields.items():
                if field in self.fields:
                    for problem in problems:
                        self.add_error(field, problem)
            if not exc.fields or not set(exc.fields) & set(self.fields):
                raise forms.ValidationError(exc.message) from None
        return cleaned


class AwaitingMyApprovalFilter(admin.SimpleListFilter):
    title = _("my approval")
    parameter_name = "awaiting"

    def lookups(self, request, model_admin):
        return [("me", _("Waiting for my approval"))]

    def queryset(self, request, queryset):
        if self.value() == "me":
            return parameter_change_requests_awaiting(actor=request.user, queryset=queryset)
        return queryset


def _bound(service, actor, change, **kwargs):
    """Bind a change-request service to its arguments (its ``request`` keyword would
    clash with ``run_service``'s HTTP request)."""

    def call():
        return service(actor=actor, request=change, **kwargs)

    return call


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("reason"), widget=forms.Textarea(attrs={"rows": 3}))


def _intermediate(modeladmin, request, queryset, *, form, title, action, button):
    """Render the confirmation page of an admin action that needs more input."""
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": title,
        "opts": modeladmin.model._meta,
        "objects": queryset,
        "form": form,
        "action": action,
        "button": button,
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
    }
    return TemplateResponse(request, "admin/ops/action_form.html", context)


@admin.register(ParameterChangeRequest)
class ParameterChangeRequestAdmin(ServiceModelAdmin):
    form = ParameterChangeRequestForm
    list_display = (
        "key",
        "old_value",
        "new_value",
        "status",
        "requested_by",
        "business_approver",
        "tech_approver",
        "requested_at",
    )
    list_filter = (AwaitingMyApprovalFilter, "status", "key")
    list_select_related = ("requested_by", "business_approver", "tech_approver")
    search_fields = ("key", "reason")
    actions = ["approve_business", "approve_tech", "reject", "withdraw"]
    readonly_fields = (
        "key",
        "old_value",
        "new_value",
        "reason",
        "status",
        "requested_by",
        "requested_at",
        "business_approver",
        "business_approved_at",
        "tech_approver",
        "tech_approved_at",
        "decided_by",
        "decided_at",
        "rejection_reason",
    )

    def get_queryset(self, request):
        return parameter_change_request_list(actor=request.user).select_related(
            "requested_by", "business_approver", "tech_approver"
        )

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj is not None else ()

    def get_fields(self, request, obj=None):
        return self.readonly_fields if obj is not None else ["key", "new_value", "reason"]

    def get_form(self, request, obj=None, change=False, **kwargs):
        form_class = super().get_form(request, obj, change=change, **kwargs)
        if obj is not None:
            return form_class

        class BoundForm(form_class):
            def __init__(self, *args, **inner):
                super().__init__(*args, actor=request.user, **inner)

        return BoundForm

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        key = request.GET.get("key")
        if key in registered_parameters():
            initial["key"] = key
        return initial

    def has_change_permission(self, request, obj=None):
        return False  # decided through the actions, never edited

    def has_delete_permission(self, request, obj=None):
        return False

    def has_approve_business_permission(self, request):
        return request.user.has_perm("ops.approve_parameter_change")

    def has_approve_tech_permission(self, request):
        return request.user.has_perm("ops.approve_parameter_change_tech")

    def has_reject_permission(self, request):
        return self.has_approve_business_permission(request) or self.has_approve_tech_permission(
            request
        )

    def has_withdraw_permission(self, request):
        return request.user.has_perm("ops.add_parameterchangerequest")

    def save_with_service(self, request, obj, form, change):
        # A refusal here (a request raced in after the form's check) becomes an error
        # message on the form, never a 500 (ServiceModelAdmin).
        return parameter_change_request(
            actor=request.user,
            key=form.cleaned_data["key"],
            new_value=form.cleaned_data["new_value"],
            reason=form.cleaned_data["reason"],
        )

    def _approve(self, request, queryset, role):
        done = 0
        for change in queryset:
            if self.run_service(
                request, _bound(parameter_change_approve, request.user, change, as_role=role)
            ):
                done += 1
        if done:
            self.message_user(
                request, _("%(count)s request(s) approved.") % {"count": done}, messages.SUCCESS
            )

    @admin.action(description=_("Approve as business owner"), permissions=["approve_business"])
    def approve_business(self, request, queryset):
        self._approve(request, queryset, "business")

    @admin.action(description=_("Approve as tech lead"), permissions=["approve_tech"])
    def approve_tech(self, request, queryset):
        self._approve(request, queryset, "tech")

    @admin.action(description=_("Reject with a reason"), permissions=["reject"])
    def reject(self, request, queryset):
        form = ReasonForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            done = 0
            for change in queryset:
                reject = _bound(
                    parameter_change_reject,
                    request.user,
                    change,
                    reason=form.cleaned_data["reason"],
                )
                if self.run_service(request, reject):
                    done += 1
            if done:
                self.message_user(
                    request,
                    _("%(count)s request(s) rejected.") % {"count": done},
                    messages.SUCCESS,
                )
            return None
        return _intermediate(
            self,
            request,
            queryset,
            form=form,
            title=_("Reject parameter change requests"),
            action="reject",
            button=_("Reject"),
        )

    @admin.action(description=_("Withdraw my request"), permissions=["withdraw"])
    def withdraw(self, request, queryset):
        for change in queryset:
            self.run_service(
                request,
                _bound(parameter_change_withdraw, request.user, change),
                success=_("Request for %(key)s withdrawn.") % {"key": change.key},
            )


# --- SLA board ----------------------------------------------------------------------------


class SlaKindFilter(admin.SimpleListFilter):
    title = _("kind")
    parameter_name = "kind"

    def lookups(self, request, model_admin):
        return [(kind, declared.label) for kind, declared in registered_sla_kinds().items()]

    def queryset(self, request, queryset):
        return queryset.filter(kind=self.value()) if self.value() else queryset


class SlaRunningFilter(admin.SimpleListFilter):
    """Running clocks by default: the board is about what is still waiting."""

    title = _("state")
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [
            ("overdue", _("Running, overdue")),
            ("closed", _("Closed")),
            ("all", _("All")),
        ]

    def choices(self, changelist):
        yield {
            "selected": self.value() is None,
            "query_string": changelist.get_query_string(remove=[self.parameter_name]),
            "display": _("Running"),
        }
        for lookup, title in self.lookup_choices:
            yield {
                "selected": self.value() == lookup,
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }

    def queryset(self, request, queryset):
        value = self.value()
        if value == "all":
            return queryset
        if value == "closed":
            return queryset.filter(closed_at__isnull=False)
        running = queryset.filter(closed_at__isnull=True)
        if value == "overdue":
            return running.filter(Q(status=SlaClock.Status.BREACHED) | Q(due_at__lt=timezone.now()))
        return running


class SlaExtendForm(forms.Form):
    minutes = forms.IntegerField(label=_("minutes"), min_value=1, max_value=MAX_EXTENSION_MINUTES)
    reason = forms.CharField(label=_("reason"), widget=forms.Textarea(attrs={"rows": 3}))


class SlaClockExtensionInline(TabularInline):
    model = SlaClockExtension
    extra = 0
    can_delete = False
    fields = ("created_at", "actor", "minutes", "previous_due_at", "new_due_at", "reason")
    readonly_fields = fields

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("ops.view_slaclock")  # the history is part of the clock

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(SlaClock)
class SlaClockAdmin(ReadOnlyModelAdmin):
    """The SLA board: running clocks, earliest deadline (most overdue) first."""

    list_display = (
        "kind_label",
        "subject_label",
        "region",
        "owner",
        "status",
        "due_at",
        "overdue",
        "extended_minutes",
        "escalated_at",
    )
    list_filter = (SlaRunningFilter, SlaKindFilter, "status", "region")
    list_select_related = ("region", "owner", "subject_type")
    search_fields = ("subject_label", "subject_id")
    ordering = ("due_at", "id")
    actions = ["extend"]
    inlines = [SlaClockExtensionInline]
    readonly_fields = (
        "kind",
        "subject_type",
        "subject_id",
        "subject_label",
        "region",
        "owner",
        "status",
        "started_at",
        "due_at",
        "extended_minutes",
        "breached_at",
        "escalated_at",
        "closed_at",
        "closed_outcome",
    )
    fields = readonly_fields
    change_list_template = "admin/ops/slaclock/change_list.html"

    def get_queryset(self, request):
        return sla_clock_list(actor=request.user)

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("ops.view_slaclock")

    def has_extend_permission(self, request):
        return request.user.has_perm("ops.extend_slaclock")

    @admin.display(description=_("kind"), ordering="kind")
    def kind_label(self, obj):
        declared = registered_sla_kinds().get(obj.kind)
        return declared.label if declared else obj.kind

    @admin.display(description=_("overdue"), boolean=True)
    def overdue(self, obj):
        return obj.status == SlaClock.Status.BREACHED or (
            obj.closed_at is None and obj.due_at < timezone.now()
        )

    def changelist_view(self, request, extra_context=None):
        kinds = registered_sla_kinds()
        board = [
            {**row, "label": kinds[row["kind"]].label if row["kind"] in kinds else row["kind"]}
            for row in sla_board(actor=request.user)
        ]
        return super().changelist_view(request, {"sla_board": board, **(extra_context or {})})

    @admin.action(description=_("Extend the deadline (with a reason)"), permissions=["extend"])
    def extend(self, request, queryset):
        form = SlaExtendForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            done = 0
            for clock in queryset:
                if self.run_service(
                    request,
                    sla_clock_extend,
                    actor=request.user,
                    clock=clock,
                    minutes=form.cleaned_data["minutes"],
                    reason=form.cleaned_data["reason"],
                ):
                    done += 1
            if done:
                self.message_user(
                    request,
                    _("%(count)s clock(s) extended.") % {"count": done},
                    messages.SUCCESS,
                )
            return None
        return _intermediate(
            self,
            request,
            queryset,
            form=form,
            title=_("Extend SLA clocks"),
            action="extend",
            button=_("Extend"),
        )


# --- staff notifications ------------------------------------------------------------------


@admin.register(StaffNotification)
class StaffNotificationAdmin(ReadOnlyModelAdmin):
    """My notifications: every active staff member's own inbox, nobody else's."""

    list_display = ("title", "kind", "created_at", "is_read", "open_link")
    list_filter = ("kind", ("read_at", admin.EmptyFieldListFilter))
    search_fields = ("title", "body")
    actions = ["mark_read"]
    estimated_count = True
    fields = ("title", "kind", "body", "open_link", "created_at", "read_at")
    readonly_fields = fields

    def get_queryset(self, request):
        return notification_list(actor=request.user)

    def _is_staff(self, request) -> bool:
        return is_staff_user(request.user)

    def has_module_permission(self, request):
        return self._is_staff(request)

    def has_view_permission(self, request, obj=None):
        return self._is_staff(request) and (obj is None or obj.recipient_id == request.user.pk)

    def has_mark_read_permission(self, request):
        return self._is_staff(request)

    @admin.display(description=_("read"), boolean=True)
    def is_read(self, obj):
        return obj.read_at is not None

    @admin.display(description=_("link"))
    def open_link(self, obj):
        if not obj.link or not obj.link.startswith("/"):
            return ""
        return format_html('<a href="{}">{}</a>', obj.link, _("Open"))

    @admin.action(description=_("Mark as read"), permissions=["mark_read"])
    def mark_read(self, request, queryset):
        for notification in queryset:
            notification_mark_read(actor=request.user, notification=notification)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        notification = self.get_object(request, object_id)
        if notification is not None and response.status_code == 200:
            notification_mark_read(actor=request.user, notification=notification)
        return response


@admin.register(StaffToken)
class StaffTokenAdmin(ReadOnlyModelAdmin):
    """API tokens: one's own, or all in scope with ``core.manage_stafftoken``; no secrets.

    Only the prefix is shown (the key is never stored; its hash is not displayed).
    Revoking goes through ``mall.core.services.token_revoke``.
    """

    list_display = ("prefix", "name", "user", "created_at", "expires_at", "last_used_at", "live")
    list_filter = (("revoked_at", admin.EmptyFieldListFilter),)
    search_fields = ("=prefix", "^user__username")
    actions = ["revoke"]
    fields = ("prefix", "name", "user", "created_at", "expires_at", "last_used_at", "revoked_at")
    readonly_fields = fields

    def get_queryset(self, request):
        from mall.core.selectors import token_list

        return token_list(actor=request.user)

    def has_module_permission(self, request):
        return is_staff_user(request.user)

    def has_view_permission(self, request, obj=None):
        return is_staff_user(request.user)

    def has_revoke_permission(self, request):
        return is_staff_user(request.user)

    @admin.display(description=_("live"), boolean=True)
    def live(self, obj):
        return obj.is_live

    @admin.action(description=_("Revoke selected API tokens"), permissions=["revoke"])
    def revoke(self, request, queryset):
        from mall.core.services import token_revoke

        done = 0
        for token in queryset:
            if self.run_service(request, token_revoke, actor=request.user, token=token):
                done += 1
        if done:
            self.message_user(
                request,
                ngettext("%(count)d API token revoked.", "%(count)d API tokens revoked.", done)
                % {"count": done},
                level=messages.SUCCESS,
            )


# --- third-party admins: the kernel's lookup rule and no token secrets ---------------------


def _harden_third_party_admins() -> None:
    """Give the schedule admins (django-celery-beat) the kernel's declared-lookups rule.

    (DRF's token app, whose admin listed token keys, is no longer installed: staff
    tokens are ``mall.core.StaffToken``, stored hashed.)
    """
    from django_celery_beat import admin as beat_admin
    from django_celery_beat import models as beat
    from unfold.admin import ModelAdmin as UnfoldModelAdmin

    from mall.core.admin import DeclaredLookupsOnlyMixin

    for model, base in (
        (beat.PeriodicTask, beat_admin.PeriodicTaskAdmin),
        (beat.ClockedSchedule, beat_admin.ClockedScheduleAdmin),
        (beat.CrontabSchedule, beat_admin.CrontabScheduleAdmin),
        (beat.SolarSchedule, beat_admin.SolarScheduleAdmin),
        (beat.IntervalSchedule, beat_admin.IntervalScheduleAdmin),
    ):
        hardened = type(
            base.__name__,
            (DeclaredLookupsOnlyMixin, base, UnfoldModelAdmin),
            {"__module__": __name__, "nav_group": "system"},
        )
        if admin.site.is_registered(model):
            admin.site.unregister(model)
        admin.site.register(model, hardened)


_harden_third_party_admins()
