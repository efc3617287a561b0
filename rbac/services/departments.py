"""Departments: the tree, heads and default roles."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.utils.translation import gettext as _

from mall.core.actors import is_system_actor
from mall.core.audit import audit, snapshot

from .. import permissions as perms
from ..exceptions import (
    InvalidDepartmentTree,
    RbacPermissionDenied,
)
from ..models import (
    Department,
    Role,
    RoleAssignment,
    StaffProfile,
)
from ._base import (
    _UNSET,
    User,
    _check_department_roles,
    _check_length,
    _check_role_department,
    _require,
)
from .membership import _department_members_sync


def _set_path(department: Department) -> None:
    prefix = department.parent.path if department.parent_id else "/"
    department.path = f"{prefix}{department.pk}/"


@transaction.atomic
def department_create(
    *,
    actor,
    code: str,
    name: str,
    parent: Department | None = None,
    head=None,
    default_roles: Iterable[Role] = (),
    sort_order: int = 0,
) -> Department:
    """Create a department under ``parent`` (or as a root)."""
    _require(actor, perms.ADD_DEPARTMENT)
    _check_length(Department, code=code, name=name)
    if Department.objects.filter(code=code).exists():
        raise InvalidDepartmentTree(
            _("A department with this code exists."), fields={"code": [_("Already in use.")]}
        )
    department = Department.objects.create(
        code=code, name=name, parent=parent, head=head, sort_order=sort_order, path=""
    )
    _set_path(department)
    department.save(update_fields=["path"])
    default_roles = list(default_roles)
    _check_department_roles(department, default_roles)
    department.default_roles.set(default_roles)
    audit(
        actor=actor, action="rbac.department_create", target=department, after=snapshot(department)
    )
    return department


@transaction.atomic
def department_update(
    *,
    actor,
    department: Department,
    name: str | None = None,
    parent: Department | object | None = _UNSET,
    head=_UNSET,
    default_roles: Iterable[Role] | None = None,
    sort_order: int | None = None,
) -> Department:
    """Rename, move, change the head or the default roles of a department.

    Moving re-paths the whole subtree; a department cannot move under itself.
    Changing default roles re-syncs every member's roles.
    """
    _require(actor, perms.CHANGE_DEPARTMENT)
    _check_length(Department, name=name)
    department = Department.objects.select_for_update().get(pk=department.pk)
    before = snapshot(department)
    before["default_roles"] = sorted(department.default_roles.values_list("code", flat=True))
    if name is not None:
        department.name = name
    if sort_order is not None:
        department.sort_order = sort_order
    if head is not _UNSET:
        department.head = head
    old_path = department.path
    if parent is not _UNSET:
        if parent is not None and parent.path.startswith(old_path):
            raise InvalidDepartmentTree(fields={"parent": [_("Not below itself.")]})
        department.parent = parent
        _set_path(department)
    department.save(update_fields=["name", "sort_order", "head", "parent", "path"])
    if department.path != old_path:
        for child in Department.objects.filter(path__startswith=old_path).exclude(pk=department.pk):
            child.path = department.path + child.path[len(old_path) :]
            child.save(update_fields=["path"])
        _check_moved_subtree(department)
    if default_roles is not None:
        default_roles = list(default_roles)
        _check_department_roles(department, default_roles)
        _refuse_own_department_defaults(actor, department)
        department.default_roles.set(default_roles)
        _department_members_sync(department)
    after = snapshot(department)
    after["default_roles"] = sorted(department.default_roles.values_list("code", flat=True))
    audit(
        actor=actor, action="rbac.department_update", target=department, before=before, after=after
    )
    return department


def _refuse_own_department_defaults(actor, department: Department) -> None:
    """Default roles of one's own department are changed by someone else (no self-grant)."""
    if actor is None or is_system_actor(actor) or actor.is_superuser:
        return
    if StaffProfile.objects.filter(user=actor, department=department).exists():
        raise RbacPermissionDenied(
            _("Nobody may change the default roles of their own department.")
        )


def _check_moved_subtree(department: Department) -> None:
    """After a move: restricted roles held in the subtree must still fit (else refuse)."""
    subtree = Department.objects.filter(path__startswith=department.path).prefetch_related(
        "default_roles__department"
    )
    for member in subtree:
        _check_department_roles(member, member.default_roles.all())
    assignments = RoleAssignment.objects.filter(
        role__department__isnull=False,
        user__staff_profile__department__path__startswith=department.path,
    ).select_related("role__department", "user")
    for assignment in assignments:
        _check_role_department(assignment.role, assignment.user)


def _department_head_for(department: Department | None):
    """The head who approves for ``department``: its own, else the nearest ancestor's."""
    if department is None:
        return None
    ids = [int(part) for part in department.path.strip("/").split("/") if part]
    heads = dict(Department.objects.filter(pk__in=ids).values_list("pk", "head_id"))
    for pk in reversed(ids):
        if heads.get(pk):
            return User.objects.filter(pk=heads[pk]).first()
    return None
