"""Permission requests and their approval."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from mall.core.admin import ServiceModelAdmin

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
    list_display = [
        "id",
        "requester",
        "role",
        "status",
        "head_approver",
        "tech_approver",
        "grant_expires_at",
        "created_at",
    ]
    list_filter = [AwaitingMyApprovalFilter, "status", "role"]
    search_fields = ["requester__username", "role__code"]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return [
            "requester",
            "role",
            "reason",
            "grant_expires_at",
            "status",
            "head_approver",
            "head_approved_at",
            "tech_approver",
            "tech_approved_at",
            "decided_by",
            "decided_at",
            "rejection_reason",
        ]

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

    def has_change_permission(self, request, obj=None):
        return False

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
