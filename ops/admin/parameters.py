"""System parameters and their two-person change requests."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from unfold.enums import ActionVariant

from mall.core.admin import (
    ReadOnlyModelAdmin,
    ServiceModelAdmin,
    workflow_action,
)
from mall.core.exceptions import ApplicationError
from mall.core.people import person_name

from ..models import (
    ParameterChangeRequest,
    SystemParameter,
)
from ..parameters import (
    format_parameter_value,
    parameter_label,
    registered_parameters,
)
from ..selectors import (
    parameter_change_request_list,
    parameter_change_requests_awaiting,
    parameter_list,
)
from ..services.parameters import (
    BUSINESS_PERMISSION,
    TECH_PERMISSION,
    parameter_change_approve,
    parameter_change_check,
    parameter_change_reject,
    parameter_change_request,
    parameter_change_withdraw,
)


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
