"""RBAC admin: regions, departments, roles, staff, grants, requests and reviews.

Every screen reads through the data scope and writes through ``rbac.services``.
"""

from __future__ import annotations

from contextvars import ContextVar

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import AdminPasswordChangeForm
from django.contrib.auth.models import Group, Permission
from django.db.models import Count
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from guardian.models import UserObjectPermission

from mall.core.admin import PiiAdminMixin, ReadOnlyModelAdmin, ServiceModelAdmin
from mall.core.exceptions import ApplicationError
from mall.core.scoping import declared_models, scope_queryset

from . import permissions as perms
from . import selectors, services
from .exports import access_review_export
from .models import (
    AccessReview,
    AccessReviewLine,
    Department,
    PermissionRequest,
    Province,
    Role,
    RoleAssignment,
    SalesRegion,
    StaffProfile,
)

User = get_user_model()


class ReasonActionForm(ActionForm):
    reason = forms.CharField(label=_("reason"), required=False, max_length=500)


# --- regions ------------------------------------------------------------------------------


class ProvinceInline(admin.TabularInline):
    model = Province
    fields = ["code", "name", "full_name", "region"]
    readonly_fields = ["code", "name", "full_name", "region"]
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(SalesRegion)
class SalesRegionAdmin(ServiceModelAdmin):
    list_display = ["code", "name", "sort_order", "province_names"]
    fields = ["code", "name", "sort_order"]
    inlines = [ProvinceInline]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("provinces")

    @admin.display(description=_("provinces"))
    def province_names(self, obj):
        return "、".join(p.name for p in obj.provinces.all())

    def save_with_service(self, request, obj, form, change):
        data = form.cleaned_data
        return services.sales_region_save(
            actor=request.user,
            region=obj if change else None,
            code=data["code"],
            name=data["name"],
            sort_order=data["sort_order"],
        )

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Province)
class ProvinceAdmin(ServiceModelAdmin):
    list_display = ["code", "name", "full_name", "region"]
    list_filter = ["region"]
    search_fields = ["name", "full_name"]
    fields = ["code", "name", "full_name", "region"]
    readonly_fields = ["code", "name", "full_name"]

    def save_with_service(self, request, obj, form, change):
        return services.province_move(
            actor=request.user,
            province=Province.objects.get(pk=obj.pk),
            region=form.cleaned_data["region"],
        )

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# --- departments and roles ----------------------------------------------------------------


@admin.register(Department)
class DepartmentAdmin(ServiceModelAdmin):
    list_display = ["indented_name", "code", "head", "default_role_codes", "sort_order"]
    search_fields = ["name", "code"]
    fields = ["code", "name", "parent", "head", "default_roles", "sort_order"]
    filter_horizontal = ["default_roles"]

    def get_queryset(self, request):
        return (
            super().get_queryset(request).select_related("head").prefetch_related("default_roles")
        )

    def get_readonly_fields(self, request, obj=None):
        return ["code"] if obj else []

    @admin.display(description=_("name"), ordering="path")
    def indented_name(self, obj):
        depth = obj.path.count("/") - 2
        return format_html("{}{}", "— " * max(depth, 0), obj.name)

    @admin.display(description=_("default roles"))
    def default_role_codes(self, obj):
        return ", ".join(role.code for role in obj.default_roles.all())

    def save_with_service(self, request, obj, form, change):
        data = form.cleaned_data
        if not change:
            return services.department_create(
                actor=request.user,
                code=data["code"],
                name=data["name"],
                parent=data["parent"],
                head=data["head"],
                default_roles=data["default_roles"],
                sort_order=data["sort_order"],
            )
        return services.department_update(
            actor=request.user,
            department=obj,
            name=data["name"],
            parent=data["parent"],
            head=data["head"],
            default_roles=data["default_roles"],
            sort_order=data["sort_order"],
        )

    def has_delete_permission(self, request, obj=None):
        return False


def _grantable_permissions():
    return Permission.objects.exclude(
        content_type__app_label__in=["admin", "contenttypes", "sessions"]
    ).select_related("content_type")


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
        self.fields["permissions"].queryset = _grantable_permissions()
        if self.instance.pk:
            self.fields["permissions"].initial = self.instance.group.permissions.all()


class RoleAssignmentInline(admin.TabularInline):
    model = RoleAssignment
    fields = ["user", "expires_at", "source", "granted_by", "granted_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    verbose_name_plural = _("holders (by assignment)")

    def has_add_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return scope_queryset(request.user, super().get_queryset(request)).select_related(
            "user", "granted_by"
        )


@admin.register(Role)
class RoleAdmin(ServiceModelAdmin):
    form = RoleForm
    list_display = ["code", "name", "scope_kind", "region_codes", "department", "is_active"]
    list_filter = ["scope_kind", "is_active", "department"]
    search_fields = ["code", "name"]
    filter_horizontal = ["regions"]
    inlines = [RoleAssignmentInline]

    def get_queryset(self, request):
        return (
            super().get_queryset(request).select_related("department").prefetch_related("regions")
        )

    def get_readonly_fields(self, request, obj=None):
        return ["code"] if obj else []

    @admin.display(description=_("sales regions"))
    def region_codes(self, obj):
        return ", ".join(region.name for region in obj.regions.all())

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


# --- staff --------------------------------------------------------------------------------


class StaffProfileForm(forms.ModelForm):
    username = forms.CharField(label=_("username"), max_length=150, required=False)
    password = forms.CharField(
        label=_("initial password"), required=False, widget=forms.PasswordInput
    )
    extra_permissions = forms.ModelMultipleChoiceField(
        label=_("extra permissions"),
        queryset=Permission.objects.none(),
        required=False,
        widget=admin.widgets.FilteredSelectMultiple(_("permissions"), is_stacked=False),
        help_text=_("Special cases outside any role; prefer a role."),
    )

    class Meta:
        model = StaffProfile
        fields = ["employee_number", "department", "phone", "joined_on"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["extra_permissions"].queryset = _grantable_permissions()
        if self.instance.pk:
            self.fields["username"].disabled = True
            self.fields["username"].initial = self.instance.user.get_username()
            self.fields["password"].disabled = True
            self.fields["extra_permissions"].initial = self.instance.user.user_permissions.all()
        else:
            self.fields["username"].required = True

    def clean_username(self):
        username = self.cleaned_data.get("username")
        if not self.instance.pk and User.objects.filter(username=username).exists():
            raise forms.ValidationError(gettext("This username is taken."))
        return username


@admin.register(StaffProfile)
class StaffProfileAdmin(PiiAdminMixin, ServiceModelAdmin):
    form = StaffProfileForm
    action_form = ReasonActionForm
    actions = ["deactivate_selected"]
    list_display = [
        "employee_number",
        "user",
        "department",
        "role_codes",
        "is_active",
        "joined_on",
        "left_on",
    ]
    list_filter = ["is_active", "department"]
    search_fields = ["employee_number", "user__username", "user__first_name"]
    readonly_fields = ["is_active", "left_on", "deactivation_reason"]
    pii_fields = {"phone": "phone"}

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("user", "department")
            .prefetch_related("user__groups__role")
        )

    def _masks(self, request, obj) -> bool:
        """An existing profile's phone is shown masked (read-only) without the PII permission."""
        return obj is not None and not self._policy(request).reveal

    def get_search_fields(self, request):
        fields = super().get_search_fields(request)
        if self._policy(request).reveal:
            return fields
        return [f for f in fields if f != "user__first_name"]  # no probing of names

    def get_exclude(self, request, obj=None):
        return ["phone"] if self._masks(request, obj) else []

    def get_readonly_fields(self, request, obj=None):
        readonly = list(self.readonly_fields)
        if self._masks(request, obj):
            readonly.append("masked_phone")
        return readonly

    def get_fields(self, request, obj=None):
        fields = ["username", "password", "employee_number", "department", "phone", "joined_on"]
        if obj:
            fields = [f for f in fields if f != "password"]
            fields += ["extra_permissions", "is_active", "left_on", "deactivation_reason"]
        if self._masks(request, obj):
            fields = ["masked_phone" if f == "phone" else f for f in fields]
        return fields

    @admin.display(description=_("roles"))
    def role_codes(self, obj):
        roles = (getattr(group, "role", None) for group in obj.user.groups.all())
        return ", ".join(sorted(role.code for role in roles if role is not None))

    def save_with_service(self, request, obj, form, change):
        data = form.cleaned_data
        if not change:
            user = services.staff_create(
                actor=request.user,
                username=data["username"],
                employee_number=data["employee_number"],
                department=data["department"],
                phone=data.get("phone") or "",
                joined_on=data["joined_on"],
                password=data["password"] or None,
            )
            return user.staff_profile
        original = StaffProfile.objects.get(pk=obj.pk)
        profile = services.staff_profile_update(
            actor=request.user,
            profile=original,
            department=data["department"],
            phone=data.get("phone"),  # absent (masked) = unchanged
            employee_number=data["employee_number"],
            joined_on=data["joined_on"],
        )
        if "extra_permissions" in form.changed_data:
            user = original.user
            held = set(user.user_permissions.all())
            wanted = set(data["extra_permissions"])
            for permission in wanted - held:
                services.user_permission_add(
                    actor=request.user, user=user, perm=services.permission_label(permission)
                )
            for permission in held - wanted:
                services.user_permission_remove(
                    actor=request.user, user=user, perm=services.permission_label(permission)
                )
        return profile

    @admin.action(
        description=_("Deactivate selected staff (give a reason)"), permissions=["deactivate"]
    )
    def deactivate_selected(self, request, queryset):
        reason = request.POST.get("reason", "")
        done = 0
        for profile in queryset.select_related("user"):
            if (
                self.run_service(
                    request,
                    services.staff_deactivate,
                    actor=request.user,
                    user=profile.user,
                    reason=reason,
                )
                is not None
            ):
                done += 1
        if done:
            self.message_user(
                request, gettext("%(count)d staff deactivated.") % {"count": done}, messages.SUCCESS
            )

    def has_deactivate_permission(self, request):
        return request.user.has_perm(perms.DEACTIVATE_STAFF)

    def has_delete_permission(self, request, obj=None):
        return False


_password_actor: ContextVar = ContextVar("rbac_password_actor", default=None)


class ServicePasswordChangeForm(AdminPasswordChangeForm):
    """The user admin's password form, saved by ``services.user_password_set`` (audited)."""

    def save(self, commit=True):
        usable = self.cleaned_data.get("set_usable_password", True)
        saved = services.user_password_set(
            actor=_password_actor.get(),
            user=self.user,
            password=self.cleaned_data["password1"] if usable else None,
        )
        self.user.password = saved.password  # keeps the changer's own session valid
        return self.user


class StaffUserAdmin(PiiAdminMixin, ServiceModelAdmin, UserAdmin):
    """Staff accounts: scoped, and roles/permissions only through the RBAC screens.

    Names are personal data: masked (read-only) and not searchable without the PII
    permission, like the staff API.
    """

    change_password_form = ServicePasswordChangeForm
    pii_fields = {"first_name": "name", "last_name": "name"}

    def get_list_display(self, request):
        # masked_* columns mask, or show and record the reveal for PII holders
        columns = list(super().get_list_display(request))
        return [f"masked_{c}" if c in self.pii_fields else c for c in columns]

    def get_search_fields(self, request):
        fields = super().get_search_fields(request)
        if self._policy(request).reveal:
            return fields
        return [f for f in fields if f not in self.pii_fields]

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None or self._policy(request).reveal:
            return fieldsets
        masked = []
        for name, options in fieldsets:
            fields = [
                f"masked_{f}" if f in self.pii_fields else f for f in options.get("fields", ())
            ]
            masked.append((name, {**options, "fields": fields}))
        return masked

    def user_change_password(self, request, id, form_url=""):
        token = _password_actor.set(request.user)
        try:
            return super().user_change_password(request, id, form_url)
        except ApplicationError as exc:
            self.message_user(request, exc.message, level=messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())
        finally:
            _password_actor.reset(token)

    list_display = ["username", "first_name", "last_name", "is_staff", "is_active", "last_login"]
    list_filter = ["is_staff", "is_active", "is_superuser"]

    def get_readonly_fields(self, request, obj=None):
        readonly = ["groups", "user_permissions", "is_active", "last_login", "date_joined"]
        if not request.user.is_superuser:
            readonly.append("is_superuser")
        if obj is not None and not self._policy(request).reveal:
            readonly += [f"masked_{f}" for f in self.pii_fields]
        return readonly if obj else []

    def save_with_service(self, request, obj, form, change):
        if not change:
            # New accounts come from the staff profile screen (employee number, department).
            from mall.core.exceptions import InvalidInput

            raise InvalidInput(gettext("Create staff from Staff profiles."))
        return (
            services.user_account_update(
                actor=request.user, user=obj, changed=list(form.changed_data)
            )
            or obj
        )

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


if admin.site.is_registered(User):
    admin.site.unregister(User)
admin.site.register(User, StaffUserAdmin)
if admin.site.is_registered(Group):
    admin.site.unregister(Group)


# --- role assignments and object grants ---------------------------------------------------


class RoleAssignmentForm(forms.ModelForm):
    class Meta:
        model = RoleAssignment
        fields = ["user", "role", "expires_at"]


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(ServiceModelAdmin):
    form = RoleAssignmentForm
    action_form = ReasonActionForm
    actions = ["revoke_selected"]
    list_display = ["user", "role", "source", "expires_at", "granted_by", "granted_at"]
    list_filter = ["role", "source"]
    search_fields = ["user__username", "role__code"]
    autocomplete_fields = []

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user", "role", "granted_by")

    def get_readonly_fields(self, request, obj=None):
        return ["user", "role"] if obj else []

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
    form = ObjectGrantForm
    actions = ["revoke_selected"]
    list_display = ["user", "permission", "content_type", "object_pk", "granted_object"]
    list_filter = ["content_type"]
    search_fields = ["user__username", "object_pk"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("user", "permission__content_type", "content_type")
            .prefetch_related("content_object")
        )

    def get_form(self, request, obj=None, **kwargs):
        form_class = super().get_form(request, obj, **kwargs)
        return type(form_class.__name__, (form_class,), {"granter": request.user})

    @admin.display(description=_("object"))
    def granted_object(self, obj):
        return obj.content_object

    def save_with_service(self, request, obj, form, change):
        data = form.cleaned_data
        services.object_permission_grant(
            actor=request.user,
            user=data["user"],
            perm=services.permission_label(data["permission"]),
            obj=data["object"],
        )
        return UserObjectPermission.objects.get(
            user=data["user"], permission=data["permission"], object_pk=str(data["object"].pk)
        )

    @admin.action(description=_("Revoke selected grants"), permissions=["grant"])
    def revoke_selected(self, request, queryset):
        for grant in queryset.select_related("user", "permission__content_type"):
            self.run_service(
                request,
                services.object_permission_revoke,
                actor=request.user,
                user=grant.user,
                perm=services.permission_label(grant.permission),
                obj=grant.content_object,
            )

    def has_grant_permission(self, request):
        return request.user.has_perm(perms.GRANT_OBJECT_PERMISSION)

    def has_add_permission(self, request):
        return request.user.has_perm(perms.GRANT_OBJECT_PERMISSION)

    def has_change_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm(perms.GRANT_OBJECT_PERMISSION)

    def has_delete_permission(self, request, obj=None):
        return False


admin.site.register(UserObjectPermission, ObjectGrantAdmin)


# --- permission requests ------------------------------------------------------------------


class AwaitingMyApprovalFilter(admin.SimpleListFilter):
    title = _("approval")
    parameter_name = "awaiting"

    def lookups(self, request, model_admin):
        return [("me", _("Waiting for my approval"))]

    def queryset(self, request, queryset):
        if self.value() == "me":
            return queryset.filter(
                pk__in=selectors.permission_requests_awaiting(user=request.user).values("pk")
            )
        return queryset


class PermissionRequestForm(forms.ModelForm):
    class Meta:
        model = PermissionRequest
        fields = ["role", "reason", "grant_expires_at"]


@admin.register(PermissionRequest)
class PermissionRequestAdmin(ServiceModelAdmin):
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

    def get_queryset(self, request):
        # Approvers see what waits for them even outside their usual data scope.
        return selectors.permission_request_list(user=request.user)

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


# --- access reviews -----------------------------------------------------------------------


class AccessReviewLineInline(admin.TabularInline):
    model = AccessReviewLine
    fields = ["username", "department", "roles", "scope", "object_grants", "is_superuser"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(AccessReview)
class AccessReviewAdmin(ReadOnlyModelAdmin):
    list_display = ["period_label", "created_at", "line_count", "signed_off_by", "download"]
    actions = ["sign_off_selected"]
    inlines = [AccessReviewLineInline]
    readonly_fields = ["period", "created_at", "created_by", "signed_off_by", "signed_off_at"]
    change_list_template = "admin/rbac/accessreview/change_list.html"

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("signed_off_by")
            .annotate(line_total=Count("lines"))
        )

    @admin.display(description=_("period"), ordering="period")
    def period_label(self, obj):
        return str(obj)

    @admin.display(description=_("staff accounts"))
    def line_count(self, obj):
        total = getattr(obj, "line_total", None)
        return obj.lines.count() if total is None else total

    @admin.display(description=_("Excel"))
    def download(self, obj):
        url = reverse("admin:rbac_accessreview_export", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, gettext("Download"))

    def get_urls(self):
        custom = [
            path(
                "<int:pk>/export/",
                self.admin_site.admin_view(self.export_view),
                name="rbac_accessreview_export",
            ),
            path(
                "generate/",
                self.admin_site.admin_view(self.generate_view),
                name="rbac_accessreview_generate",
            ),
        ]
        return custom + super().get_urls()

    def export_view(self, request, pk):
        if not self.has_view_permission(request):
            from django.core.exceptions import PermissionDenied

            raise PermissionDenied
        review = get_object_or_404(self.get_queryset(request), pk=pk)
        return access_review_export(user=request.user, review=review, fmt="xlsx")

    def generate_view(self, request):
        if request.method != "POST":
            return HttpResponseRedirect(reverse("admin:rbac_accessreview_changelist"))
        review = self.run_service(
            request,
            services.access_review_generate,
            actor=request.user,
            success=gettext("The access review of this month is ready."),
        )
        if review is None:
            return HttpResponseRedirect(reverse("admin:rbac_accessreview_changelist"))
        return HttpResponseRedirect(reverse("admin:rbac_accessreview_change", args=[review.pk]))

    def changelist_view(self, request, extra_context=None):
        extra_context = extra_context or {}
        extra_context["can_generate"] = request.user.has_perm(perms.ADD_ACCESS_REVIEW)
        return super().changelist_view(request, extra_context)

    def has_sign_off_permission(self, request):
        return request.user.has_perm(perms.SIGN_OFF_ACCESS_REVIEW)

    @admin.action(description=_("Sign off selected reviews"), permissions=["sign_off"])
    def sign_off_selected(self, request, queryset):
        for review in queryset:
            self.run_service(
                request,
                services.access_review_sign_off,
                actor=request.user,
                review=review,
                success=gettext("Review %(period)s signed off.") % {"period": review},
            )
