"""Roles: create, change, assign, revoke, expire."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from mall.core.audit import audit, snapshot

from .. import permissions as perms
from ..exceptions import (
    InvalidRoleConfiguration,
    StaffInactive,
)
from ..models import (
    Department,
    Role,
    RoleAssignment,
    SalesRegion,
    ScopeKind,
)
from ..permissions import permission_resolve
from ._base import (
    ROLE_GROUP_PREFIX,
    User,
    _check_department_roles,
    _check_length,
    _check_role_department,
    _refuse_own_role_widening,
    _refuse_self_grant,
    _require,
    _role_snapshot,
)
from .membership import _user_roles_sync


def _validate_role(scope_kind: str, regions: Iterable[SalesRegion]) -> None:
    if scope_kind not in ScopeKind.values:
        raise InvalidRoleConfiguration(fields={"scope_kind": [_("Unknown scope kind.")]})
    if scope_kind == ScopeKind.REGIONS and not list(regions):
        raise InvalidRoleConfiguration(
            _("A role scoped to regions needs at least one region."),
            fields={"regions": [_("Choose at least one region.")]},
        )


def _check_role_defaults(role: Role) -> None:
    """A restricted role may be a default role only of its department or those below."""
    for department in role.default_for_departments.all():
        _check_department_roles(department, [role])


@transaction.atomic
def role_create(
    *,
    actor,
    code: str,
    name: str,
    scope_kind: str = ScopeKind.NONE,
    regions: Iterable[SalesRegion] = (),
    department: Department | None = None,
    permissions: Iterable[str | Permission] = (),
    description: str = "",
) -> Role:
    """Create a role with its permission group, scope and optional department restriction."""
    _require(actor, perms.ADD_ROLE)
    _check_length(Role, code=code, name=name)
    regions = list(regions)
    _validate_role(scope_kind, regions)
    if Role.objects.filter(code=code).exists():
        raise InvalidRoleConfiguration(
            _("A role with this code exists."), fields={"code": [_("Already in use.")]}
        )
    resolved = [permission_resolve(p) for p in permissions]
    group, _created = Group.objects.get_or_create(name=f"{ROLE_GROUP_PREFIX}{code}")
    group.permissions.set(resolved)
    role = Role.objects.create(
        code=code,
        name=name,
        description=description,
        group=group,
        department=department,
        scope_kind=scope_kind,
    )
    role.regions.set(regions)
    audit(actor=actor, action="rbac.role_create", target=role, after=_role_snapshot(role))
    return role


@transaction.atomic
def role_update(
    *,
    actor,
    role: Role,
    name: str | None = None,
    description: str | None = None,
    scope_kind: str | None = None,
    regions: Iterable[SalesRegion] | None = None,
    department: Department | bool | None = False,
    permissions: Iterable[str | Permission] | None = None,
    is_active: bool | None = None,
) -> Role:
    """Change a role's name, scope, restriction, permissions or active flag.

    ``department=False`` (default) leaves the restriction alone; ``None`` removes it.
    A new restriction must fit every current holder.
    """
    _require(actor, perms.CHANGE_ROLE)
    _check_length(Role, name=name)
    role = Role.objects.select_for_update().get(pk=role.pk)
    if scope_kind is not None or regions is not None or permissions is not None:
        _refuse_own_role_widening(actor, role)
    before = _role_snapshot(role)
    new_kind = scope_kind if scope_kind is not None else role.scope_kind
    new_regions = list(regions) if regions is not None else list(role.regions.all())
    _validate_role(new_kind, new_regions)
    fields = []
    for name_, value in (("name", name), ("description", description), ("is_active", is_active)):
        if value is not None:
            setattr(role, name_, value)
            fields.append(name_)
    if scope_kind is not None:
        role.scope_kind = scope_kind
        fields.append("scope_kind")
    if department is not False:
        role.department = department
        fields.append("department")
        if department is not None:
            for holder in User.objects.filter(role_assignments__role=role):
                _check_role_department(role, holder)
            _check_role_defaults(role)
    if fields:
        role.save(update_fields=fields)
    if regions is not None:
        role.regions.set(new_regions)
    if permissions is not None:
        role.group.permissions.set([permission_resolve(p) for p in permissions])
    if is_active is not None:
        for user in User.objects.filter(groups=role.group):
            _user_roles_sync(user)
        for user in User.objects.filter(role_assignments__role=role):
            _user_roles_sync(user)
    audit(
        actor=actor,
        action="rbac.role_update",
        target=role,
        before=before,
        after=_role_snapshot(role),
    )
    return role


@transaction.atomic
def role_permissions_add(*, actor, role: Role, permissions: Iterable[str | Permission]) -> Role:
    """Add function permissions to a role (idempotent)."""
    _require(actor, perms.CHANGE_ROLE)
    _refuse_own_role_widening(actor, role)
    before = _role_snapshot(role)
    resolved = [permission_resolve(p) for p in permissions]
    role.group.permissions.add(*resolved)
    after = _role_snapshot(role)
    if after != before:
        audit(actor=actor, action="rbac.role_update", target=role, before=before, after=after)
    return role


@transaction.atomic
def role_assign(
    *,
    actor,
    user,
    role: Role,
    expires_at: datetime | None = None,
    source: str = RoleAssignment.Source.MANUAL,
    _checked: bool = False,
) -> RoleAssignment:
    """Give ``user`` the role, optionally until ``expires_at``.

    Raises ``RoleDepartmentMismatch`` when the role is restricted to a department the
    user is not in, ``StaffInactive`` for inactive or non-staff accounts. Assigning a
    role the user holds updates its expiry.
    """
    if not _checked:
        _require(actor, perms.ASSIGN_ROLE)
        _refuse_self_grant(actor, user)
    if not (user.is_active and user.is_staff):
        raise StaffInactive()
    if not role.is_active:
        raise InvalidRoleConfiguration(_("The role is not active."))
    if expires_at is not None and expires_at <= timezone.now():
        raise InvalidRoleConfiguration(
            _("The expiry must lie in the future."), fields={"expires_at": [_("In the past.")]}
        )
    _check_role_department(role, user)
    assignment, created = RoleAssignment.objects.get_or_create(
        user=user,
        role=role,
        defaults={"granted_by": actor, "expires_at": expires_at, "source": source},
    )
    before = None if created else snapshot(assignment, ["expires_at", "source"])
    if not created:
        assignment.expires_at = expires_at
        assignment.source = source
        assignment.granted_by = actor
        assignment.save(update_fields=["expires_at", "source", "granted_by"])
    _user_roles_sync(user)
    audit(
        actor=actor,
        action="rbac.role_assign",
        target=assignment,
        before=before,
        after=snapshot(assignment, ["expires_at", "source"]),
        data={"user": user.get_username(), "role": role.code},
    )
    return assignment


@transaction.atomic
def role_revoke(*, actor, user, role: Role, reason: str = "", _checked: bool = False) -> bool:
    """Take the role away from ``user``; return whether they held it by assignment."""
    if not _checked:
        _require(actor, perms.ASSIGN_ROLE)
    deleted, _rows = RoleAssignment.objects.filter(user=user, role=role).delete()
    _user_roles_sync(user)
    audit(
        actor=actor,
        action="rbac.role_revoke",
        object_type="rbac.roleassignment",
        object_id=f"{user.pk}:{role.pk}",
        data={
            "user": user.get_username(),
            "role": role.code,
            "reason": reason,
            "held": bool(deleted),
        },
    )
    return bool(deleted)


@transaction.atomic
def role_assignments_expire(*, actor, now: datetime | None = None) -> int:
    """Revoke every assignment whose expiry has passed (hourly job); return how many."""
    now = now or timezone.now()
    expired = list(
        RoleAssignment.objects.filter(expires_at__lte=now).select_related("user", "role")
    )
    for assignment in expired:
        user, role = assignment.user, assignment.role
        assignment.delete()
        _user_roles_sync(user)
        audit(
            actor=actor,
            action="rbac.role_expire",
            object_type="rbac.roleassignment",
            object_id=f"{user.pk}:{role.pk}",
            data={
                "user": user.get_username(),
                "role": role.code,
                "expired_at": assignment.expires_at,
            },
        )
    return len(expired)
