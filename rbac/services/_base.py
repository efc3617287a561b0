"""Shared helpers of the RBAC services: permission checks, lookups, snapshots."""

from __future__ import annotations

import logging

from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _

from mall.core.actors import is_system_actor
from mall.core.audit import snapshot

from ..exceptions import (
    LastSuperuser,
    RbacPermissionDenied,
    RoleDepartmentMismatch,
    SuperuserProtected,
    TextTooLong,
)
from ..models import (
    Department,
    Role,
    StaffProfile,
)
from ..permissions import permission_label

logger = logging.getLogger(__name__)
User = get_user_model()

ROLE_GROUP_PREFIX = "role:"


def _require(actor, perm: str) -> None:
    """Refuse unless ``actor`` holds ``perm`` (the system actor acts for jobs and seeds)."""
    if actor is not None and is_system_actor(actor):
        return
    if actor is None or not actor.is_active or not actor.has_perm(perm):
        raise RbacPermissionDenied()


def _protect_superuser(actor, user) -> None:
    """Only a superuser (or the system) may deactivate, demote or edit a superuser.

    ``user`` is read from the database, so an edited, unsaved instance cannot hide that
    the account is a superuser.
    """
    if not User.objects.filter(pk=user.pk, is_superuser=True).exists():
        return
    if actor is not None and is_system_actor(actor):
        return
    if actor is None or not (actor.is_active and actor.is_superuser):
        raise SuperuserProtected()


def _keep_a_superuser(user) -> None:
    """Refuse a change that would leave no active staff superuser besides ``user``.

    Callers lock ``user``'s row first; the other superusers are locked here too, so two
    superusers demoting each other at once cannot both succeed.
    """
    others = list(
        User.objects.select_for_update()
        .filter(is_superuser=True, is_active=True, is_staff=True)
        .exclude(pk=user.pk)
        .values_list("pk", flat=True)
    )
    if not others:
        raise LastSuperuser()


def _refuse_self_grant(actor, user) -> None:
    """Nobody but a superuser (or the system) widens their own rights directly.

    More rights for oneself go through a permission request (two other approvers).
    """
    if actor is None or is_system_actor(actor) or actor.is_superuser:
        return
    if actor.pk == user.pk:
        raise RbacPermissionDenied(
            _("Nobody may grant rights to themselves; file a permission request.")
        )


def _refuse_own_role_widening(actor, role: Role) -> None:
    """A role's permissions or scope cannot be changed by someone who holds it."""
    if actor is None or is_system_actor(actor) or actor.is_superuser:
        return
    if actor.groups.filter(pk=role.group_id).exists():
        raise RbacPermissionDenied(
            _("Nobody may change the rights of a role they hold; file a permission request.")
        )


def _profile(user) -> StaffProfile | None:
    return StaffProfile.objects.select_related("department").filter(user=user).first()


def _department_within(department: Department | None, ancestor: Department) -> bool:
    return department is not None and department.path.startswith(ancestor.path)


def _check_role_department(role: Role, user) -> None:
    if role.department_id is None:
        return
    profile = _profile(user)
    department = profile.department if profile else None
    if not _department_within(department, role.department):
        raise RoleDepartmentMismatch(
            _("Role %(role)s may only be held by staff of %(department)s.")
            % {"role": role.name, "department": role.department.name}
        )


def _check_department_roles(department: Department, roles) -> None:
    """Refuse restricted roles whose department is not ``department`` or above it."""
    for role in roles:
        if role.department_id is not None and not _department_within(department, role.department):
            raise RoleDepartmentMismatch(
                _("Role %(role)s may only be held by staff of %(department)s.")
                % {"role": role.name, "department": role.department.name}
            )


def _role_snapshot(role: Role) -> dict:
    data = snapshot(role, ["code", "name", "scope_kind", "department_id", "is_active"])
    data["regions"] = sorted(role.regions.values_list("code", flat=True))
    data["permissions"] = sorted(
        permission_label(p) for p in role.group.permissions.select_related("content_type")
    )
    return data


def _check_length(model, *, names: dict[str, str] | None = None, **values: str | None) -> None:
    """Refuse text longer than its column (never truncate what a person typed).

    ``values`` are column name → text; ``names`` maps a column to the input field the
    error should name when they differ. Raises ``TextTooLong`` (400) naming each field.
    """
    problems = {}
    for name, value in values.items():
        limit = model._meta.get_field(name).max_length
        if value is not None and limit is not None and len(value) > limit:
            problems[(names or {}).get(name, name)] = [
                _("At most %(limit)d characters (got %(count)d).")
                % {"limit": limit, "count": len(value)}
            ]
    if problems:
        raise TextTooLong(fields=problems)


_UNSET = object()
