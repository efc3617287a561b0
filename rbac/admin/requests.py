"""Permission requests and their approval."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from unfold.enums import ActionVariant

from mall.core.admin import ServiceModelAdmin, workflow_action
from mall.core.people import person_name

from .. import selectors, services
from ..models import (
    PermissionRequest,
)
from ._common import ReasonActionForm


class AwaitingMyApprovalFilter(admin.SimpleListFilter):
    title = _("approval")
    parameter_name = "awaiting"

    def lookups(self, request, model_admin):
        return [("me", _("Waiting for my approval"))]

    def queryset(self, request, queryset):
        if self.value() == "me":
            return queryset.filter(
                pk__in=selectors.permission_requests_awaiting(actor=request.user).values("pk")
            )
        return queryset


class PermissionRequestForm(forms.ModelForm):
    class Meta:
        model = PermissionRequest
        fields = ["role", "reason", "grant_expires_at"]


@admin.register(PermissionRequest)
class PermissionRequestAdmin(ServiceModelAdmin):
    list_selector = selectors.permission_request_list  # approvers see what waits for them
    form = PermissionRequestForm
    action_form = ReasonActionForm
    actions = ["approve_selected", "reject_selected", "cancel_selected"]
    actions_detail = ["approve_button", "reject_button", "cancel_button"]
    nav_group = "rbac"
    nav_order = 40
    nav_icon = "how_to_reg"
    list_display = [
        "id",
        "requester_name",
        "role_name",
        "status",
        "head_approver_name",
        "tech_approver_name",
        "grant_expires_at",
        "created_at",
    ]
    list_display_links = ["id", "requester_name"]
    list_filter = [AwaitingMyApprovalFilter, "status", "role"]
    search_fields = ["requester__username", "requester__last_name", "role__name", "role__code"]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return [
            "requester_name",
            "role_name",
            "reason",
            "grant_expires_at",
            "status",
            "head_approver_name",
            "head_approved_at",
            "tech_approver_name",
            "tech_approved_at",
            "decided_by_name",
            "decided_at",
            "rejection_reason",
        ]

    def editable_in_state(self, obj) -> bool:
        """A request is never edited: it is decided with the buttons (or withdrawn)."""
        return False

    @admin.display(description=_("requester"), ordering="requester__username")
    def requester_name(self, obj):
        return person_name(obj.requester)

    @admin.display(description=_("role"), ordering="role__name")
    def role_name(self, obj):
        return obj.role.name

    @admin.display(description=_("approved by department head"))
    def head_approver_name(self, obj):
        return person_name(obj.head_approver) or "—"

    @admin.display(description=_("approved by tech lead"))
    def tech_approver_name(self, obj):
        return person_name(obj.tech_approver) or "—"

    @admin.display(description=_("rejected by"))
    def decided_by_name(self, obj):
        return person_name(obj.decided_by) or "—"

    # --- buttons (the same services as the API) ---------------------------------------

    @workflow_action(
        description=_("Approve"),
        when=lambda item, user: (
            selectors.permission_requests_awaiting(actor=user).filter(pk=item.pk).exists()
        ),
        confirm=_(
            "Approve this permission request? The role is granted once both approvals are in."
        ),
        success=_("Request approved."),
        icon="check",
    )
    def approve_button(self, request, item):
        services.permission_request_approve(actor=request.user, permission_request=item)

    @workflow_action(
        description=_("Reject"),
        when=lambda item, user: (
            selectors.permission_requests_awaiting(actor=user).filter(pk=item.pk).exists()
        ),
        reason=True,
        success=_("Request rejected."),
        variant=ActionVariant.DANGER,
        icon="close",
    )
    def reject_button(self, request, item, reason):
        services.permission_request_reject(
            actor=request.user, permission_request=item, reason=reason
        )

    @workflow_action(
        description=_("Withdraw my request"),
        when=lambda item, user: (
            item.status == PermissionRequest.Status.PENDING and item.requester_id == user.pk
        ),
        confirm=_("Withdraw this request?"),
        success=_("Request withdrawn."),
        variant=ActionVariant.DEFAULT,
    )
    def cancel_button(self, request, item):
        services.permission_request_cancel(actor=request.user, permission_request=item)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["role", "reason", "grant_expires_at"]
        return self.get_readonly_fields(request, obj)

    def save_with_service(self, request, obj, form, change):
        data = form.cleaned_data
        return services.permission_request_create(
            actor=request.user,
            role=data["role"],
            reason=data["reason"],
            grant_expires_at=data["grant_expires_at"],
        )

    def has_add_permission(self, request):
        return request.user.is_active and request.user.is_staff

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_staff

    def has_delete_permission(self, request, obj=None):
        return False

    def has_decide_permission(self, request):
        return request.user.is_active and request.user.is_staff

    @admin.action(description=_("Approve selected requests"), permissions=["decide"])
    def approve_selected(self, request, queryset):
        for item in queryset:
            self.run_service(
                request,
                services.permission_request_approve,
                actor=request.user,
                permission_request=item,
                success=gettext("Request #%(id)s approved.") % {"id": item.pk},
            )

    @admin.action(description=_("Reject selected requests (give a reason)"), permissions=["decide"])
    def reject_selected(self, request, queryset):
        for item in queryset:
            self.run_service(
                request,
                services.permission_request_reject,
                actor=request.user,
                permission_request=item,
                reason=request.POST.get("reason", ""),
                success=gettext("Request #%(id)s rejected.") % {"id": item.pk},
            )

    @admin.action(description=_("Withdraw my selected requests"), permissions=["decide"])
    def cancel_selected(self, request, queryset):
        for item in queryset:
            self.run_service(
                request,
                services.permission_request_cancel,
                actor=request.user,
                permission_request=item,
            )
