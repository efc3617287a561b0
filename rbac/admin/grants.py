"""Role assignments and per-object grants."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from guardian.models import UserObjectPermission

from mall.core.admin import ServiceModelAdmin, person_column
from mall.core.scoping import declared_models, scope_queryset

from .. import permissions as perms
from .. import selectors, services
from ..models import (
    RoleAssignment,
)
from ..permissions import permission_label
from ._common import ReasonActionForm

User = get_user_model()


class RoleAssignmentForm(forms.ModelForm):
    class Meta:
        model = RoleAssignment
        fields = ["user", "role", "expires_at"]


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(ServiceModelAdmin):
    list_selector = selectors.role_assignment_list
    form = RoleAssignmentForm
    action_form = ReasonActionForm
    actions = ["revoke_selected"]
    list_display = [
        "user_name",
        "role_name",
        "source",
        "expires_at",
        "granted_by_name",
        "granted_at",
    ]
    user_name = person_column("user", _("user"), account=True)
    granted_by_name = person_column("granted_by", _("granted by"), account=True)
    list_filter = ["role", "source"]
    search_fields = ["user__username", "role__code"]
    autocomplete_fields = []

    def get_readonly_fields(self, request, obj=None):
        return ["user_name", "role"] if obj else []

    def get_fields(self, request, obj=None):
        fields = list(super().get_fields(request, obj))
        # An existing assignment names its holder as a person, not a bare login.
        return ["user_name" if f == "user" else f for f in fields] if obj else fields

    @admin.display(description=_("role"), ordering="role__name")
    def role_name(self, obj):
        return obj.role.name

    def save_with_service(self, request, obj, form, change):
        data = form.cleaned_data
        return services.role_assign(
            actor=request.user,
            user=obj.user if change else data["user"],
            role=obj.role if change else data["role"],
            expires_at=data["expires_at"],
        )

    @admin.action(description=_("Revoke selected roles"), permissions=["assign"])
    def revoke_selected(self, request, queryset):
        for assignment in queryset.select_related("user", "role"):
            self.run_service(
                request,
                services.role_revoke,
                actor=request.user,
                user=assignment.user,
                role=assignment.role,
                reason=request.POST.get("reason", ""),
            )

    def has_assign_permission(self, request):
        return request.user.has_perm(perms.ASSIGN_ROLE)

    def has_add_permission(self, request):
        return request.user.has_perm(perms.ASSIGN_ROLE)

    def has_change_permission(self, request, obj=None):
        return request.user.has_perm(perms.ASSIGN_ROLE)

    def has_delete_permission(self, request, obj=None):
        return False


def grant_permissions():
    """Object permissions the scope rules use (``grant=(path, perm)``): the grantable ones."""
    codes = {rule.grant[1] for rule in declared_models().values() if rule.grant}
    query = Permission.objects.none()
    for code in codes:
        app_label, codename = code.split(".", 1)
        query |= Permission.objects.filter(content_type__app_label=app_label, codename=codename)
    return query.select_related("content_type")


class ObjectGrantForm(forms.ModelForm):
    permission = forms.ModelChoiceField(label=_("permission"), queryset=Permission.objects.none())
    object_pk = forms.CharField(label=_("object id"), max_length=255)

    class Meta:
        model = UserObjectPermission
        fields = ["user", "permission", "object_pk"]

    granter = None  # set per request by ObjectGrantAdmin.get_form: objects in their scope

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["permission"].queryset = grant_permissions()

    def clean(self):
        data = super().clean()
        permission = data.get("permission")
        if permission and data.get("object_pk"):
            model = permission.content_type.model_class()
            objects = scope_queryset(self.granter, model._default_manager.all())
            try:
                data["object"] = objects.get(pk=data["object_pk"])
            except (model.DoesNotExist, ValueError, TypeError):
                raise forms.ValidationError({"object_pk": gettext("No such object.")}) from None
        return data


class ObjectGrantAdmin(ServiceModelAdmin):
    list_selector = selectors.object_grant_list
    form = ObjectGrantForm
    actions = ["revoke_selected"]
    list_display = ["user_name", "permission", "content_type", "object_pk", "granted_object"]
    user_name = person_column("user", _("user"), account=True)
    list_filter = ["content_type"]
    search_fields = ["user__username", "object_pk"]

    def get_fields(self, request, obj=None):
        fields = list(super().get_fields(request, obj))
        # An existing grant names its holder as a person, not a bare login.
        return ["user_name" if f == "user" else f for f in fields] if obj else fields

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        return [*readonly, "user_name"] if obj else readonly

    def get_form(self, request, obj=None, **kwargs):
        form_class = super().get_form(request, obj, **kwargs)
        return type(form_class.__name__, (form_class,), {"granter": request.user})

    @admin.display(description=_("object"))
    def granted_object(self, obj):
        return obj.content_object

    def save_with_service(self, request, obj, form, change):
        data = form.cleaned_data
        return services.object_permission_grant(
            actor=request.user,
            user=data["user"],
            perm=permission_label(data["permission"]),
            obj=data["object"],
        )

    @admin.action(description=_("Revoke selected grants"), permissions=["grant"])
    def revoke_selected(self, request, queryset):
        for grant in queryset.select_related("user", "permission__content_type"):
            self.run_service(
                request,
                services.object_permission_revoke,
                actor=request.user,
                user=grant.user,
                perm=permission_label(grant.permission),
                obj=grant.content_object,
            )

    def has_grant_permission(self, request):
        return request.user.has_perm(perms.GRANT_OBJECT_PERMISSION)

    def has_add_permission(self, request):
        return request.user.has_perm(perms.GRANT_OBJECT_PERMISSION)

    def has_change_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        # Granting staff, and auditors who only read the grants.
        return request.user.has_perm(perms.GRANT_OBJECT_PERMISSION) or request.user.has_perm(
            "guardian.view_userobjectpermission"
        )

    def has_delete_permission(self, request, obj=None):
        return False


admin.site.register(UserObjectPermission, ObjectGrantAdmin)
