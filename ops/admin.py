from django import forms
from django.apps import apps
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext, pgettext, pgettext_lazy
from unfold.enums import ActionVariant

from mall.core.actors import is_system_actor
from mall.core.admin import (
    IndexedValuesListFilter,
    ReadOnlyModelAdmin,
    ServiceModelAdmin,
    TabularInline,
    workflow_action,
)
from mall.core.exceptions import ApplicationError
from mall.core.filejobs import file_job_download, file_job_get, file_job_list
from mall.core.labels import (
    action_label,
    notification_kind_label,
    object_type_label,
    task_label,
)
from mall.core.models import FileJob, JobRun, StaffToken
from mall.core.people import person_name
from mall.core.permissions import is_staff_user

from .models import (
    AuditEntry,
    ParameterChangeRequest,
    SlaClock,
    SlaClockExtension,
    StaffNotification,
    SystemParameter,
)
from .parameters import (
    format_parameter_value,
    format_value,
    parameter_label,
    registered_parameters,
)
from .selectors import (
    notification_list,
    parameter_change_request_list,
    parameter_change_requests_awaiting,
    parameter_list,
    sla_board,
    sla_clock_list,
)
from .services.notifications import notification_mark_read, notification_resolve
from .services.parameters import (
    BUSINESS_PERMISSION,
    TECH_PERMISSION,
    parameter_change_approve,
    parameter_change_check,
    parameter_change_reject,
    parameter_change_request,
    parameter_change_withdraw,
)
from .services.sla import MAX_EXTENSION_MINUTES, sla_clock_extend
from .sla_kinds import registered_sla_kinds


def _staff_actor_name(user) -> str:
    # Its own context: the theme's "System" (colour scheme) is 跟随系统.
    return str(pgettext("audit actor", "System")) if is_system_actor(user) else person_name(user)


def _actor_label_text(label: str) -> str:
    """A non-staff actor in words: "会员 #100" for ``member:100``, "匿名" for nobody."""
    if not label or label == "anonymous":
        return str(_("anonymous"))
    kind, _sep, number = label.rpartition(":")
    if kind and number:
        for model in apps.get_models():
            if kind in (model._meta.model_name, model._meta.label_lower):
                return f"{model._meta.verbose_name} #{number}"
    return label


# Keys of audit ``data`` that are not fields of the entry's model, in words.
_DATA_KEYS = {
    "as_role": _("approved as"),
    "key": _("parameter"),
    "kind": _("kind"),
    "recipients": _("recipients"),
    "title": _("title"),
    "dedupe_key": _("deduplication key"),
    "subject": _("subject"),
    "count": _("count"),
    "kinds": _("kinds"),
    "channel": _("channel"),
    "username": _("user name"),
    "reason": _("reason"),
    "role": _("role"),
    "capacity": _("approved as"),
    "request": _("request"),
    "requested_by": _("requested by"),
    "business_approver": _("business owner approval"),
    "tech_approver": _("tech lead approval"),
    "old_value": _("old value"),
    "fields": _("fields"),
    "records": _("records"),
    "new_value": _("new value"),
}
_DATA_VALUES = {
    "as_role": {"business": _("business owner"), "tech": _("tech lead")},
    "capacity": {"head": _("department head"), "tech": _("tech lead")},
    "channel": {"admin": _("admin"), "api": _("API")},
}


def _data_value(key: str, value):
    """A ``data`` value in words: approval roles, parameters, notice kinds."""
    if isinstance(value, str | int | bool) and str(value) in _DATA_VALUES.get(key, {}):
        return _DATA_VALUES[key][str(value)]
    if key == "key" and isinstance(value, str):
        return parameter_label(value)
    if key == "kind" and isinstance(value, str):
        return notification_kind_label(value)
    if key == "kinds" and isinstance(value, list):
        return format_value([notification_kind_label(str(kind)) for kind in value])
    return format_value(value)


def _field_valuer(object_type: str):
    """``(key, value) → text``: people by name, times as local times, choices by label."""
    from datetime import datetime

    from django.utils import formats

    try:
        model = apps.get_model(object_type) if object_type else None
    except (LookupError, ValueError):
        model = None
    fields = {}
    if model is not None:
        for field in model._meta.concrete_fields:
            fields[field.name] = fields[field.attname] = field
    user_model = get_user_model()

    def value(key: str, raw):
        field = fields.get(key)
        if raw in (None, "") or field is None:
            return format_value(raw)
        if field.is_relation and field.related_model is user_model:
            user = user_model.objects.filter(pk=raw).first()
            return person_name(user) if user is not None else format_value(raw)
        if field.choices and not isinstance(raw, list | dict):
            return dict(field.flatchoices).get(raw, raw)
        if field.get_internal_type() == "DateTimeField" and isinstance(raw, str):
            try:
                moment = datetime.fromisoformat(raw)
            except ValueError:
                return raw
            return formats.date_format(timezone.localtime(moment), "DATETIME_FORMAT")
        return format_value(raw)

    return value


def _field_namer(object_type: str):
    """``key → label``: a field of the entry's model by its verbose name, else the key."""
    try:
        model = apps.get_model(object_type) if object_type else None
    except (LookupError, ValueError):
        model = None

    def name(key: str) -> str:
        # The entry's own model first, then the user model (staff entries carry the
        # account's fields: first_name, email, is_active …).
        for candidate in (model, get_user_model()):
            if candidate is None:
                continue
            for field in candidate._meta.concrete_fields:
                if key in (field.name, field.attname):
                    return str(field.verbose_name)
        return str(_DATA_KEYS.get(key, key))

    return name


class LabelledValuesListFilter(IndexedValuesListFilter):
    """A column's values (read from its index) shown by their Chinese label."""

    label = staticmethod(str)

    def choices(self, changelist):
        for choice in super().choices(changelist):
            value = choice.get("display")
            if choice.get("query_string") and value not in (None, "") and value != _("All"):
                choice = {**choice, "display": self.label(str(value))}
            yield choice


class ActionListFilter(LabelledValuesListFilter):
    label = staticmethod(action_label)


class ObjectTypeListFilter(LabelledValuesListFilter):
    label = staticmethod(object_type_label)


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyModelAdmin):
    """The audit log: who did what, when, to which object — in words, not codes."""

    nav_group = "system"
    nav_order = 10
    nav_icon = "policy"
    list_display = (
        "seq",
        "at",
        "actor_name",
        "action_text",
        "object_type_text",
        "object_id",
        "ip",
        "sealed",
    )
    list_filter = (
        ("action", ActionListFilter),
        ("object_type", ObjectTypeListFilter),
        ("at", admin.DateFieldListFilter),
    )
    search_fields = ("=request_id", "=object_id", "^actor__username")
    ordering = ("-id",)  # newest first on the primary key, whatever seq becomes
    search_help_text = _("Search by a whole request id or object id, or the start of a user name.")
    estimated_count = True
    fields = (
        "at",
        "actor_name",
        "action_text",
        "object_type_text",
        "object_id",
        "changes",
        "ip",
        "request_id",
        "seq",
        "sealed_at",
    )
    readonly_fields = fields

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("ops.view_auditentry")

    def get_changelist_instance(self, request):
        """Name the page's actors with one query on the (small) user table: the page's
        own query never joins it (a million-row log joined to users is a scan)."""
        changelist = super().get_changelist_instance(request)
        ids = {entry.actor_id for entry in changelist.result_list if entry.actor_id}
        users = (
            get_user_model().objects.filter(pk__in=ids).only("username", "first_name", "last_name")
        )
        self._actor_names = {user.pk: _staff_actor_name(user) for user in users}
        return changelist

    @admin.display(description=_("actor"))
    def actor_name(self, obj):
        if obj.actor_id is None:
            return _actor_label_text(obj.actor_label)
        names = getattr(self, "_actor_names", {})
        if obj.actor_id in names:
            return names[obj.actor_id]
        return _staff_actor_name(obj.actor)

    @admin.display(description=_("action"), ordering="action")
    def action_text(self, obj):
        return action_label(obj.action)

    @admin.display(description=_("object type"), ordering="object_type")
    def object_type_text(self, obj):
        return object_type_label(obj.object_type)

    @admin.display(description=_("changes"))
    def changes(self, obj):
        """Before → after of each changed field, then the details, in words."""
        name = _field_namer(obj.object_type)
        value = _field_valuer(obj.object_type)
        before, after = obj.before or {}, obj.after or {}
        rows = [
            (name(key), value(key, before.get(key)), value(key, after.get(key)))
            for key in sorted(set(before) | set(after))
        ]
        details = [
            # "fields": a list of field names (a reveal, a partial update) — by label too.
            (
                name(key),
                format_value([name(str(f)) for f in value])
                if key == "fields" and isinstance(value, list)
                else _data_value(key, value),
            )
            for key, value in sorted((obj.data or {}).items())
        ]
        if not rows and not details:
            return "—"
        return format_html(
            "{}{}",
            format_html_join("", "<div>{}：{} → {}</div>", rows),
            format_html_join("", "<div>{}：{}</div>", details),
        )

    @admin.display(description=_("sealed"), boolean=True)
    def sealed(self, obj):
        """Chained by the sealer (seconds after commit); unsealed entries have no seq."""
        return obj.seq is not None


class JobNameListFilter(LabelledValuesListFilter):
    label = staticmethod(lambda name: task_label(name) or name)


@admin.register(JobRun)
class JobRunAdmin(ReadOnlyModelAdmin):
    nav_group = "system"
    nav_order = 50
    nav_icon = "history"
    list_display = ("job_name", "status", "started_at", "finished_at")
    list_filter = ("status", ("name", JobNameListFilter))
    readonly_fields = [f.name for f in JobRun._meta.fields]
    estimated_count = True

    @admin.display(description=_("job"), ordering="name")
    def job_name(self, obj):
        return task_label(obj.name) or obj.name


@admin.register(FileJob)
class FileJobAdmin(ReadOnlyModelAdmin):
    """我的任务: the reader's own export and import jobs, with progress and their file.

    Every staff member sees this page and only their own jobs (``file_job_list``);
    a page with a job still queued or running reloads itself every few seconds.
    """

    # Personal: beside the workbench and my notifications.
    nav_group = "workbench"
    nav_order = 30
    nav_icon = "task"
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
        listed = parameter_list(actor=request.user)
        changers = {
            user.username: person_name(user)
            for user in get_user_model().objects.filter(
                username__in={row.updated_by for row in listed if row.updated_by}
            )
        }
        rows = [
            {
                "key": row.key,
                "description": row.description,
                "value": format_parameter_value(row.key, row.value),
                "default": format_parameter_value(row.key, row.default),
                "minimum": (
                    format_parameter_value(row.key, row.minimum)
                    if row.minimum is not None
                    else None
                ),
                "maximum": (
                    format_parameter_value(row.key, row.maximum)
                    if row.maximum is not None
                    else None
                ),
                "is_default": row.is_default,
                "updated_at": row.updated_at,
                "updated_by": changers.get(row.updated_by, row.updated_by),
                "pending_request_id": row.pending_request_id,
            }
            for row in listed
        ]
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
            (key, str(spec.description)) for key, spec in registered_parameters().items()
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


class ParameterKeyListFilter(admin.AllValuesFieldListFilter):
    """The parameters that have requests, by their description."""

    def choices(self, changelist):
        for choice in super().choices(changelist):
            value = choice.get("display")
            if choice.get("query_string") and value in registered_parameters():
                choice = {**choice, "display": parameter_label(value)}
            yield choice


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


def _pending(change) -> bool:
    return change.status == ParameterChangeRequest.Status.PENDING


def _may_approve(role: str):
    """``when(change, user)`` of an approval button: pending, not the requester's own,
    this role not yet given, and the user did not approve in the other role."""
    mine, other = (
        ("business_approver_id", "tech_approver_id")
        if role == "business"
        else ("tech_approver_id", "business_approver_id")
    )

    def when(change, user) -> bool:
        return (
            _pending(change)
            and change.requested_by_id != user.pk
            and getattr(change, mine) is None
            and getattr(change, other) != user.pk
        )

    return when


@admin.register(ParameterChangeRequest)
class ParameterChangeRequestAdmin(ServiceModelAdmin):
    nav_group = "system"
    nav_order = 30
    nav_icon = "rule_settings"
    form = ParameterChangeRequestForm
    list_display = (
        "parameter_name",
        "old_value_text",
        "new_value_text",
        "status",
        "requested_by_name",
        "business_approver_name",
        "tech_approver_name",
        "requested_at",
    )
    list_display_links = ("parameter_name",)
    list_filter = (AwaitingMyApprovalFilter, "status", ("key", ParameterKeyListFilter))
    list_select_related = ("requested_by", "business_approver", "tech_approver")
    search_fields = ("key", "reason")
    actions = ["approve_business", "approve_tech", "reject", "withdraw"]
    actions_detail = [
        "approve_business_button",
        "approve_tech_button",
        "reject_button",
        "withdraw_button",
    ]
    readonly_fields = (
        "parameter_name",
        "old_value_text",
        "new_value_text",
        "reason",
        "status",
        "requested_by_name",
        "requested_at",
        "business_approver_name",
        "business_approved_at",
        "tech_approver_name",
        "tech_approved_at",
        "decided_by_name",
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

    def editable_in_state(self, obj) -> bool:
        """A request is never edited: it is decided with the buttons (or withdrawn)."""
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_approve_business_permission(self, request):
        return request.user.has_perm(BUSINESS_PERMISSION)

    def has_approve_tech_permission(self, request):
        return request.user.has_perm(TECH_PERMISSION)

    def has_reject_permission(self, request):
        return self.has_approve_business_permission(request) or self.has_approve_tech_permission(
            request
        )

    def has_withdraw_permission(self, request):
        return request.user.has_perm("ops.add_parameterchangerequest")

    # --- columns in words -----------------------------------------------------------

    @admin.display(description=_("parameter"), ordering="key")
    def parameter_name(self, obj):
        return parameter_label(obj.key)

    @admin.display(description=_("old value"))
    def old_value_text(self, obj):
        return format_parameter_value(obj.key, obj.old_value)

    @admin.display(description=_("new value"))
    def new_value_text(self, obj):
        return format_parameter_value(obj.key, obj.new_value)

    @admin.display(description=_("requested by"), ordering="requested_by__username")
    def requested_by_name(self, obj):
        return person_name(obj.requested_by)

    @admin.display(description=_("business owner approval"))
    def business_approver_name(self, obj):
        return person_name(obj.business_approver) or "—"

    @admin.display(description=_("tech lead approval"))
    def tech_approver_name(self, obj):
        return person_name(obj.tech_approver) or "—"

    @admin.display(description=_("decided by"))
    def decided_by_name(self, obj):
        return person_name(obj.decided_by) or "—"

    def save_with_service(self, request, obj, form, change):
        # A refusal here (a request raced in after the form's check) becomes an error
        # message on the form, never a 500 (ServiceModelAdmin).
        return parameter_change_request(
            actor=request.user,
            key=form.cleaned_data["key"],
            new_value=form.cleaned_data["new_value"],
            reason=form.cleaned_data["reason"],
        )

    # --- buttons on the request (the same services as the API) -----------------------

    @workflow_action(
        description=_("Approve as business owner"),
        permission=BUSINESS_PERMISSION,
        when=_may_approve("business"),
        confirm=_("Approve this parameter change as the business owner?"),
        success=_("Approved as business owner."),
        icon="check",
    )
    def approve_business_button(self, request, change):
        parameter_change_approve(actor=request.user, request=change, as_role="business")

    @workflow_action(
        description=_("Approve as tech lead"),
        permission=TECH_PERMISSION,
        when=_may_approve("tech"),
        confirm=_("Approve this parameter change as the tech lead?"),
        success=_("Approved as tech lead."),
        icon="check",
    )
    def approve_tech_button(self, request, change):
        parameter_change_approve(actor=request.user, request=change, as_role="tech")

    @workflow_action(
        description=_("Reject"),
        permission=(BUSINESS_PERMISSION, TECH_PERMISSION),
        when=lambda change, user: _pending(change) and change.requested_by_id != user.pk,
        reason=True,
        success=_("Request rejected."),
        variant=ActionVariant.DANGER,
        icon="close",
    )
    def reject_button(self, request, change, reason):
        parameter_change_reject(actor=request.user, request=change, reason=reason)

    @workflow_action(
        description=_("Withdraw my request"),
        permission="ops.add_parameterchangerequest",
        when=lambda change, user: _pending(change) and change.requested_by_id == user.pk,
        confirm=_("Withdraw this request?"),
        success=_("Request withdrawn."),
        variant=ActionVariant.DEFAULT,
    )
    def withdraw_button(self, request, change):
        parameter_change_withdraw(actor=request.user, request=change)

    # --- bulk actions for batches -------------------------------------------------------

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


class NoticeStateFilter(admin.SimpleListFilter):
    """Open work by default (待处理); 全部 shows resolved notices too."""

    title = _("state")
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("all", _("All"))]

    def choices(self, changelist):
        yield {
            "selected": self.value() is None,
            "query_string": changelist.get_query_string(remove=[self.parameter_name]),
            "display": pgettext_lazy("notice state", "Open"),
        }
        yield {
            "selected": self.value() == "all",
            "query_string": changelist.get_query_string({self.parameter_name: "all"}),
            "display": _("All"),
        }

    def queryset(self, request, queryset):
        if self.value() == "all":
            return queryset
        return queryset.filter(resolved_at__isnull=True)


class NoticeKindFilter(admin.SimpleListFilter):
    """The kinds in the reader's inbox, by their Chinese label."""

    title = _("kind")
    parameter_name = "kind"

    def lookups(self, request, model_admin):
        kinds = (
            model_admin.get_queryset(request).order_by("kind").values_list("kind", flat=True)
        ).distinct()
        return [(kind, notification_kind_label(kind)) for kind in kinds]

    def queryset(self, request, queryset):
        return queryset.filter(kind=self.value()) if self.value() else queryset


@admin.register(StaffNotification)
class StaffNotificationAdmin(ReadOnlyModelAdmin):
    """My notifications: every active staff member's own inbox, nobody else's.

    Open work by default: a notice whose subject was decided (resolved) shows under
    "全部" only.
    """

    nav_group = "workbench"
    nav_order = 20
    nav_icon = "notifications"
    list_display = ("title", "kind_text", "created_at", "is_read", "state_text", "open_link")
    list_filter = (NoticeStateFilter, NoticeKindFilter, ("read_at", admin.EmptyFieldListFilter))
    search_fields = ("title", "body")
    actions = ["mark_read"]
    actions_detail = ["resolve_button"]
    estimated_count = True
    fields = ("title", "kind_text", "body", "open_link", "created_at", "read_at", "state_text")
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

    @admin.display(description=_("kind"), ordering="kind")
    def kind_text(self, obj):
        return notification_kind_label(obj.kind)

    @admin.display(description=_("read"), boolean=True)
    def is_read(self, obj):
        return obj.read_at is not None

    @admin.display(description=_("state"))
    def state_text(self, obj):
        if obj.resolved_at:
            return pgettext_lazy("notice state", "Done")
        return pgettext_lazy("notice state", "Open")

    @admin.display(description=_("link"))
    def open_link(self, obj):
        if not obj.link or not obj.link.startswith("/"):
            return ""
        return format_html('<a href="{}">{}</a>', obj.link, _("Open"))

    @admin.action(description=_("Mark as read"), permissions=["mark_read"])
    def mark_read(self, request, queryset):
        for notification in queryset:
            notification_mark_read(actor=request.user, notification=notification)

    @workflow_action(
        description=_("Mark as done"),
        when=lambda notice, user: notice.resolved_at is None and notice.recipient_id == user.pk,
        confirm=_("Mark this notice as done? It leaves your open work."),
        success=_("Notice marked as done."),
        icon="done_all",
    )
    def resolve_button(self, request, notice):
        notification_resolve(actor=request.user, notification=notice)

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
        attributes = {
            "__module__": __name__,
            "nav_group": "system",
            # The schedules' "tasks using this" inline in the theme's look too.
            "inlines": [
                type(inline.__name__, (inline, TabularInline), {"__module__": __name__})
                for inline in base.inlines
            ],
        }
        if model is beat.PeriodicTask:
            attributes.update(_PERIODIC_TASK_IN_WORDS)
        hardened = type(
            base.__name__, (DeclaredLookupsOnlyMixin, base, UnfoldModelAdmin), attributes
        )
        if admin.site.is_registered(model):
            admin.site.unregister(model)
        admin.site.register(model, hardened)


@admin.display(description=_("task"), ordering="name")
def _periodic_task_label(self, obj):
    return task_label(obj.name) or obj.name


@admin.display(description=_("schedule"))
def _periodic_task_schedule(self, obj):
    if obj.crontab_id:
        return obj.crontab.human_readable
    return str(obj.schedule) if obj.interval_id or obj.clocked_id or obj.solar_id else "—"


# The schedule reads in words: each entry by its label (TASK_LABELS of the app's
# labels module, mall.core.labels), its timing in words; the dotted task path and the
# English name stay on the change page for whoever edits the entry.
_PERIODIC_TASK_IN_WORDS = {
    "list_display": (
        "task_label_text",
        "enabled",
        "schedule_text",
        "last_run_at",
        "total_run_count",
    ),
    "list_display_links": ("task_label_text",),
    "list_filter": ["enabled", "one_off"],
    "list_select_related": ("crontab", "interval", "clocked", "solar"),
    "task_label_text": _periodic_task_label,
    "schedule_text": _periodic_task_schedule,
    "nav_order": 40,
    "nav_icon": "schedule",
}


_harden_third_party_admins()
