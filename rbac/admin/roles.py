"""Roles: function permissions, data scope, holders."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.utils.translation import gettext_lazy as _

from mall.core.admin import ServiceModelAdmin, TabularInline, person_column
from mall.core.labels import permission_name

from .. import selectors, services
from ..models import (
    Role,
    RoleAssignment,
)
from ._common import grantable_permissions


class RoleForm(forms.ModelForm):
    permissions = forms.ModelMultipleChoiceField(
        label=_("function permissions"),
        queryset=Permission.objects.none(),
        required=False,
        widget=admin.widgets.FilteredSelectMultiple(_("permissions"), is_stacked=False),
    )

    class Meta:
        model = Role
        fields = [
            "code",
            "name",
            "description",
            "department",
            "scope_kind",
            "regions",
            "is_active",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["permissions"].queryset = grantable_permissions()
        self.fields["permissions"].label_from_instance = permission_name
        if self.instance.pk:
            self.fields["permissions"].initial = self.instance.group.permissions.all()


class RoleAssignmentInline(TabularInline):
    model = RoleAssignment
    fields = ["user_name", "expires_at", "source", "granted_by_name", "granted_at"]
    readonly_fields = fields
    user_name = person_column("user", _("user"), account=True)
    granted_by_name = person_column("granted_by", _("granted by"), account=True)
    extra = 0
    can_delete = False
    verbose_name_plural = _("holders (by assignment)")

    def has_add_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return selectors.role_assignment_list(actor=request.user)


@admin.register(Role)
class RoleAdmin(ServiceModelAdmin):
    list_selector = selectors.role_list
    form = RoleForm
    list_display = ["name", "scope_kind", "region_codes", "department", "is_active"]
    list_filter = ["scope_kind", "is_active", "department"]
    search_fields = ["code", "name"]
    filter_horizontal = ["regions"]
    inlines = [RoleAssignmentInline]

    def get_readonly_fields(self, request, obj=None):
        return ["code"] if obj else []

    def get_fields(self, request, obj=None):
        fields = list(super().get_fields(request, obj))
        if obj is not None and not self.has_change_permission(request, obj):
            # View-only: the form-only permissions field as names under its label.
            fields = ["permission_names" if f == "permissions" else f for f in fields]
        return fields

    @admin.display(description=_("function permissions"))
    def permission_names(self, obj):
        names = [permission_name(p) for p in obj.group.permissions.all()]
        return "、".join(sorted(names)) or "—"

    @admin.display(description=_("sales regions"))
    def region_codes(self, obj):
        return "、".join(region.name for region in obj.regions.all()) or "—"

    def save_with_service(self, request, obj, form, change):
        data = form.cleaned_data
        if not change:
            return services.role_create(
                actor=request.user,
                code=data["code"],
                name=data["name"],
                description=data["description"],
                department=data["department"],
                scope_kind=data["scope_kind"],
                regions=data["regions"],
                permissions=data["permissions"],
            )
        return services.role_update(
            actor=request.user,
            role=obj,
            name=data["name"],
            description=data["description"],
            department=data["department"],
            scope_kind=data["scope_kind"],
            regions=data["regions"],
            permissions=data["permissions"],
            is_active=data["is_active"],
        )

    def has_delete_permission(self, request, obj=None):
        return False
