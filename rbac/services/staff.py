"""Staff accounts and profiles; deactivating leavers."""

from __future__ import annotations

from datetime import date

from django.contrib.sessions.models import Session
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from mall.core.audit import audit, snapshot

from .. import permissions as perms
from ..exceptions import (
    InvalidLanguage,
    InvalidRoleConfiguration,
    RbacPermissionDenied,
    ReasonRequired,
)
from ..models import (
    Department,
    RoleAssignment,
    StaffProfile,
)
from ..scoping import clear_scope_cache
from ._base import (
    _UNSET,
    User,
    _check_length,
    _check_role_department,
    _keep_a_superuser,
    _protect_superuser,
    _require,
)
from .membership import _user_roles_sync
from .requests import permission_requests_close_for_leaver


@transaction.atomic
def staff_create(
    *,
    actor,
    username: str,
    employee_number: str,
    department: Department | None = None,
    password: str | None = None,
    first_name: str = "",
    last_name: str = "",
    email: str = "",
    phone: str = "",
    joined_on: date | None = None,
):
    """Create a staff account (``is_staff``) with its profile and department roles."""
    _require(actor, perms.ADD_STAFF)
    _check_length(User, username=username, first_name=first_name, last_name=last_name)
    _check_length(StaffProfile, employee_number=employee_number, phone=phone)
    if User.objects.filter(username=username).exists():
        raise InvalidRoleConfiguration(
            _("This username is taken."), fields={"username": [_("Already in use.")]}
        )
    if StaffProfile.objects.filter(employee_number=employee_number).exists():
        raise InvalidRoleConfiguration(
            _("This employee number is taken."), fields={"employee_number": [_("Already in use.")]}
        )
    user = User(
        username=username, first_name=first_name, last_name=last_name, email=email, is_staff=True
    )
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save(force_insert=True)
    profile = StaffProfile.objects.create(
        user=user,
        department=department,
        employee_number=employee_number,
        phone=phone,
        joined_on=joined_on or timezone.localdate(),
    )
    _user_roles_sync(user)
    audit(actor=actor, action="rbac.staff_create", target=profile, after=snapshot(profile))
    return user


@transaction.atomic
def staff_profile_update(
    *,
    actor,
    profile: StaffProfile,
    department: Department | object | None = _UNSET,
    phone: str | None = None,
    employee_number: str | None = None,
    joined_on: date | None = None,
) -> StaffProfile:
    """Change a staff profile; moving departments re-checks restricted roles."""
    _require(actor, perms.CHANGE_STAFF)
    _check_length(StaffProfile, employee_number=employee_number, phone=phone)
    profile = StaffProfile.objects.select_for_update().get(pk=profile.pk)
    _protect_superuser(actor, profile.user)
    before = snapshot(profile)
    if department is not _UNSET:
        profile.department = department
    if phone is not None:
        profile.phone = phone
    if employee_number is not None:
        profile.employee_number = employee_number
    if joined_on is not None:
        profile.joined_on = joined_on
    profile.save(update_fields=["department", "phone", "employee_number", "joined_on"])
    if department is not _UNSET:
        for assignment in RoleAssignment.objects.filter(user=profile.user).select_related("role"):
            _check_role_department(assignment.role, profile.user)
        _user_roles_sync(profile.user)
    audit(
        actor=actor,
        action="rbac.staff_update",
        target=profile,
        before=before,
        after=snapshot(profile),
    )
    return profile


@transaction.atomic
def staff_deactivate(*, actor, user, reason: str) -> dict:
    """Deactivate a leaver: remove roles, extra permissions, object grants, tokens, sessions.

    All at once, in one transaction, audited with what was removed. Idempotent.
    """
    from guardian.models import UserObjectPermission

    from mall.core.services import tokens_revoke_all

    _require(actor, perms.DEACTIVATE_STAFF)
    if not reason or not reason.strip():
        raise ReasonRequired(fields={"reason": [_("A reason is required.")]})
    reason = reason.strip()
    _check_length(StaffProfile, deactivation_reason=reason, names={"deactivation_reason": "reason"})
    if actor is not None and actor.pk == user.pk:
        raise RbacPermissionDenied(_("Nobody may deactivate their own account."))
    _protect_superuser(actor, user)
    user = User.objects.select_for_update().get(pk=user.pk)
    if user.is_superuser and user.is_active:
        _keep_a_superuser(user)
    removed = {
        "roles": sorted(
            RoleAssignment.objects.filter(user=user).values_list("role__code", flat=True)
        ),
        "groups": sorted(user.groups.values_list("name", flat=True)),
        "permissions": sorted(
            f"{app}.{code}"
            for app, code in user.user_permissions.values_list(
                "content_type__app_label", "codename"
            )
        ),
        "object_grants": UserObjectPermission.objects.filter(user=user).count(),
    }
    RoleAssignment.objects.filter(user=user).delete()
    user.groups.clear()
    user.user_permissions.clear()
    UserObjectPermission.objects.filter(user=user).delete()
    removed["tokens"] = tokens_revoke_all(actor=actor, user=user)
    removed["sessions"] = _sessions_delete(user)
    user.is_active = False
    user.save(update_fields=["is_active"])
    StaffProfile.objects.filter(user=user).update(
        is_active=False,
        left_on=timezone.localdate(),
        deactivation_reason=reason,
    )
    Department.objects.filter(head=user).update(head=None)
    removed["requests_withdrawn"] = permission_requests_close_for_leaver(
        actor=actor, user=user, reason=reason
    )
    clear_scope_cache(user)
    audit(
        actor=actor,
        action="rbac.staff_deactivate",
        target=user,
        data={"reason": reason, "removed": removed},
    )
    return removed


def _sessions_delete(user) -> int:
    """Delete the user's database sessions (the session store is the database)."""
    user_pk = str(user.pk)
    doomed = [
        session.pk
        for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator()
        if session.get_decoded().get("_auth_user_id") == user_pk
    ]
    Session.objects.filter(pk__in=doomed).delete()
    return len(doomed)


@transaction.atomic
def user_account_update(*, actor, user, changed: list[str]) -> None:
    """Save edits an administrator made to a staff account's name, email or password."""
    _require(actor, "auth.change_user")
    _protect_superuser(actor, user)
    allowed = {"username", "first_name", "last_name", "email", "password", "is_staff"}
    if actor is not None and actor.is_superuser:
        allowed.add("is_superuser")
    fields = [name for name in changed if name in allowed]
    stored = User.objects.select_for_update().get(pk=user.pk)
    demoted = stored.is_superuser and stored.is_active and stored.is_staff
    demoted = demoted and (
        ("is_superuser" in fields and not user.is_superuser)
        or ("is_staff" in fields and not user.is_staff)
    )
    if demoted:
        _keep_a_superuser(user)
    if fields:
        user.save(update_fields=fields)
    audit(
        actor=actor,
        action="auth.user_update",
        target=user,
        data={
            "fields": sorted(f for f in fields if f != "password"),
            "password": "password" in fields,
        },
    )


@transaction.atomic
def user_password_set(*, actor, user, password: str | None):
    """Set (or, with ``None``, disable) a staff account's password from the user admin.

    Audited as ``auth.password_change`` (never the password itself). The account's API
    tokens are revoked so a leaked token does not outlive the old password.
    """
    from mall.core.services import tokens_revoke_all

    _require(actor, "auth.change_user")
    _protect_superuser(actor, user)
    user = User.objects.select_for_update().get(pk=user.pk)
    if password is None:
        user.set_unusable_password()
    else:
        user.set_password(password)
    user.save(update_fields=["password"])
    tokens = tokens_revoke_all(actor=actor, user=user)
    audit(
        actor=actor,
        action="auth.password_change",
        target=user,
        data={"usable": password is not None, "tokens_revoked": tokens},
    )
    return user


LANGUAGE_SESSION_KEY = "rbac_staff_language"


@transaction.atomic
def staff_language_set(*, actor, language: str) -> StaffProfile | None:
    """Save the admin language ``actor`` chose for themself (a code of ``LANGUAGES``).

    Stored on their staff profile, where it beats the browser's Accept-Language on
    every device (``rbac.middleware.StaffLanguageMiddleware``). A user without a staff
    profile (the first superuser) keeps the choice for the session only; returns
    ``None`` then. Raises ``InvalidLanguage`` for a code not offered. Audited as
    ``rbac.language_set`` when it changes.
    """
    from django.conf import settings

    if language not in dict(settings.LANGUAGES):
        raise InvalidLanguage(fields={"language": [str(InvalidLanguage.default_message)]})
    profile = StaffProfile.objects.select_for_update().filter(user_id=actor.pk).first()
    if profile is None or profile.language == language:
        return profile
    before = snapshot(profile, ["language"])
    profile.language = language
    profile.save(update_fields=["language"])
    audit(
        actor=actor,
        action="rbac.language_set",
        target=profile,
        before=before,
        after=snapshot(profile, ["language"]),
    )
    return profile
