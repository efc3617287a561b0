"""Staff profiles and staff accounts (the user admin)."""

from __future__ import annotations

from contextvars import ContextVar

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import AdminPasswordChangeForm
from django.contrib.auth.models import Group, Permission
from django.http import HttpResponseRedirect
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from mall.core.admin import PiiAdminMixin, ServiceModelAdmin
from mall.core.exceptions import ApplicationError
from mall.core.labels import permission_name

from .. import permissions as perms
from .. import selectors, services
from ..models import (
    StaffProfile,
)
from ..permissions import permission_label
from ._common import ReasonActionForm, grantable_permissions

User = get_user_model()


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
        self.fields["extra_permissions"].queryset = grantable_permissions()
        self.fields["extra_permissions"].label_from_instance = permission_name
        if self.instance.pk:
            self.fields["username"].disabled = True
            self.fields["username"].initial = self.instance.user.get_username()
            self.fields["password"].disabled = True
            self.fields["extra_permissions"].initial = self.instance.user.user_permissions.all()
        else:
            self.fields["username"].required = True


@admin.register(StaffProfile)
class StaffProfileAdmin(PiiAdminMixin, ServiceModelAdmin):
    list_selector = selectors.staff_profile_list
    form = StaffProfileForm
    action_form = ReasonActionForm
    actions = ["deactivate_selected"]
    list_display = [
        "employee_number",
        "masked_name",
        "user",
        "department",
        "role_names",
        "is_active",
        "joined_on",
        "left_on",
    ]
    list_display_links = ["employee_number", "masked_name"]
    list_filter = ["is_active", "department"]
    search_fields = ["employee_number", "user__username", "user__first_name"]
    readonly_fields = ["is_active", "left_on", "deactivation_reason"]
    # The real name (姓+名, mall.core.people) is personal data like the phone: masked
    # without the PII permission, shown and recorded with it.
    pii_fields = {"phone": "phone", "name": "name"}
    pii_labels = {"name": pgettext_lazy("person", "name")}

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
        if obj is not None and not self.has_change_permission(request, obj):
            # A view-only page shows the form-only fields as values with their labels.
            shown = {"username": "login_name", "extra_permissions": "extra_permission_names"}
            fields = [shown.get(f, f) for f in fields]
        return fields

    @admin.display(description=_("username"))
    def login_name(self, obj):
        return obj.user.get_username()

    @admin.display(description=_("extra permissions"))
    def extra_permission_names(self, obj):
        names = [permission_name(p) for p in obj.user.user_permissions.all()]
        return "、".join(sorted(names)) or "—"

    @admin.display(description=_("roles"))
    def role_names(self, obj):
        roles = (getattr(group, "role", None) for group in obj.user.groups.all())
        return "、".join(sorted(role.name for role in roles if role is not None)) or "—"

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
        original = selectors.staff_profile_get(actor=request.user, pk=obj.pk)
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
                    actor=request.user, user=user, perm=permission_label(permission)
                )
            for permission in held - wanted:
                services.user_permission_remove(
                    actor=request.user, user=user, perm=permission_label(permission)
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

    list_selector = selectors.user_list
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
