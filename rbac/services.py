"""RBAC services: every write to roles, departments, staff, grants and requests.

Each service is atomic, checks the actor's function permission (the system actor,
used by jobs and demo data, passes), checks its rules and writes one audit entry as
its last step. Role membership is kept in the role's Django group, so Django's own
permission checks (admin, ``has_perm``) and the data scope read the same thing;
:func:`user_roles_sync` is the only place that changes a user's role groups.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import date, datetime

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.contrib.sessions.models import Session
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from mall.core.actors import is_system_actor
from mall.core.audit import audit, snapshot

from . import permissions as perms
from .exceptions import (
    ApproverAlreadyApproved,
    CannotApproveOwnRequest,
    DuplicateRequest,
    InvalidDepartmentTree,
    InvalidRoleConfiguration,
    NotAnApprover,
    RbacPermissionDenied,
    ReasonRequired,
    RequestNotPending,
    RoleDepartmentMismatch,
    StaffInactive,
    UnknownPermission,
)
from .models import (
    Department,
    PermissionRequest,
    Role,
    RoleAssignment,
    SalesRegion,
    ScopeKind,
    StaffProfile,
)
from .scoping import clear_scope_cache

logger = logging.getLogger(__name__)
User = get_user_model()

ROLE_GROUP_PREFIX = "role:"


# --- helpers ------------------------------------------------------------------------------


def _require(actor, perm: str) -> None:
    """Refuse unless ``actor`` holds ``perm`` (the system actor acts for jobs and seeds)."""
    if actor is not None and is_system_actor(actor):
        return
    if actor is None or not actor.is_active or not actor.has_perm(perm):
        raise RbacPermissionDenied()


def permission_resolve(perm: str | Permission) -> Permission:
    """Turn ``"app_label.codename"`` into the ``Permission`` row, or raise."""
    if isinstance(perm, Permission):
        return perm
    try:
        app_label, codename = perm.split(".", 1)
        return Permission.objects.select_related("content_type").get(
            content_type__app_label=app_label, codename=codename
        )
    except (ValueError, Permission.DoesNotExist, Permission.MultipleObjectsReturned):
        raise UnknownPermission(
            _("Unknown permission: %(perm)s") % {"perm": perm}, fields={"permissions": [perm]}
        ) from None


def permission_label(permission: Permission) -> str:
    return f"{permission.content_type.app_label}.{permission.codename}"


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


def _role_snapshot(role: Role) -> dict:
    data = snapshot(role, ["code", "name", "scope_kind", "department_id", "is_active"])
    data["regions"] = sorted(role.regions.values_list("code", flat=True))
    data["permissions"] = sorted(
        permission_label(p) for p in role.group.permissions.select_related("content_type")
    )
    return data


# --- role membership ----------------------------------------------------------------------


def user_roles_sync(user) -> None:
    """Make the user's role groups match their assignments and department defaults.

    Holds: unexpired assignments, plus the default roles of the user's department
    while the profile is active. Groups that are not role groups are left alone.
    Inactive users hold no role groups.
    """
    now = timezone.now()
    wanted: set[int] = set()
    if user.is_active:
        wanted.update(
            RoleAssignment.objects.filter(user=user, role__is_active=True)
            .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
            .values_list("role__group_id", flat=True)
        )
        profile = _profile(user)
        if profile and profile.is_active and profile.department_id:
            wanted.update(
                Role.objects.filter(
                    is_active=True, default_for_departments=profile.department_id
                ).values_list("group_id", flat=True)
            )
    current = set(user.groups.filter(role__isnull=False).values_list("id", flat=True))
    if wanted - current:
        user.groups.add(*(wanted - current))
    if current - wanted:
        user.groups.remove(*(current - wanted))
    clear_scope_cache(user)


def _department_members_sync(department: Department) -> None:
    for profile in StaffProfile.objects.filter(department=department).select_related("user"):
        user_roles_sync(profile.user)


# --- roles --------------------------------------------------------------------------------


def _validate_role(scope_kind: str, regions: Iterable[SalesRegion]) -> None:
    if scope_kind not in ScopeKind.values:
        raise InvalidRoleConfiguration(fields={"scope_kind": [_("Unknown scope kind.")]})
    if scope_kind == ScopeKind.REGIONS and not list(regions):
        raise InvalidRoleConfiguration(
            _("A role scoped to regions needs at least one region."),
            fields={"regions": [_("Choose at least one region.")]},
        )


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
    role = Role.objects.select_for_update().get(pk=role.pk)
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
    if fields:
        role.save(update_fields=fields)
    if regions is not None:
        role.regions.set(new_regions)
    if permissions is not None:
        role.group.permissions.set([permission_resolve(p) for p in permissions])
    if is_active is not None:
        for user in User.objects.filter(groups=role.group):
            user_roles_sync(user)
        for user in User.objects.filter(role_assignments__role=role):
            user_roles_sync(user)
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
    user_roles_sync(user)
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
    user_roles_sync(user)
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
        user_roles_sync(user)
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


# --- extra permissions and object grants --------------------------------------------------


@transaction.atomic
def user_permission_add(*, actor, user, perm: str) -> None:
    """Give one user an extra function permission outside any role (special cases)."""
    _require(actor, perms.CHANGE_USER_PERMISSIONS)
    permission = permission_resolve(perm)
    user.user_permissions.add(permission)
    clear_scope_cache(user)
    audit(actor=actor, action="rbac.user_permission_add", target=user, data={"permission": perm})


@transaction.atomic
def user_permission_remove(*, actor, user, perm: str) -> None:
    """Take an extra function permission away from one user."""
    _require(actor, perms.CHANGE_USER_PERMISSIONS)
    permission = permission_resolve(perm)
    user.user_permissions.remove(permission)
    clear_scope_cache(user)
    audit(actor=actor, action="rbac.user_permission_remove", target=user, data={"permission": perm})


@transaction.atomic
def object_permission_grant(*, actor, user, perm: str, obj) -> None:
    """Give ``user`` the object permission ``perm`` on ``obj`` (django-guardian).

    Example: ``object_permission_grant(actor=admin, user=clerk,
    perm="dispatch.work_warehouse", obj=wh_sh)``. The permission must belong to
    ``obj``'s model. Rows whose granted object is ``obj`` enter the user's data scope
    through roles of scope kind ``granted_objects``.
    """
    from guardian.shortcuts import assign_perm

    _require(actor, perms.GRANT_OBJECT_PERMISSION)
    permission = permission_resolve(perm)
    if permission.content_type.model_class() is not type(obj)._meta.concrete_model:
        raise UnknownPermission(
            _("%(perm)s is not a permission of %(model)s.")
            % {"perm": perm, "model": obj._meta.verbose_name},
            fields={"perm": [perm]},
        )
    if not (user.is_active and user.is_staff):
        raise StaffInactive()
    assign_perm(permission, user, obj)
    clear_scope_cache(user)
    audit(
        actor=actor,
        action="rbac.object_permission_grant",
        target=obj,
        data={"user": user.get_username(), "permission": perm},
    )


@transaction.atomic
def object_permission_revoke(*, actor, user, perm: str, obj) -> None:
    """Take the object permission ``perm`` on ``obj`` away from ``user``."""
    from guardian.shortcuts import remove_perm

    _require(actor, perms.GRANT_OBJECT_PERMISSION)
    permission = permission_resolve(perm)
    remove_perm(permission, user, obj)
    clear_scope_cache(user)
    audit(
        actor=actor,
        action="rbac.object_permission_revoke",
        target=obj,
        data={"user": user.get_username(), "permission": perm},
    )


# --- departments --------------------------------------------------------------------------


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
    if Department.objects.filter(code=code).exists():
        raise InvalidDepartmentTree(
            _("A department with this code exists."), fields={"code": [_("Already in use.")]}
        )
    department = Department.objects.create(
        code=code, name=name, parent=parent, head=head, sort_order=sort_order, path=""
    )
    _set_path(department)
    department.save(update_fields=["path"])
    department.default_roles.set(default_roles)
    audit(
        actor=actor, action="rbac.department_create", target=department, after=snapshot(department)
    )
    return department


_UNSET = object()


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
    department.save()
    if department.path != old_path:
        for child in Department.objects.filter(path__startswith=old_path).exclude(pk=department.pk):
            child.path = department.path + child.path[len(old_path) :]
            child.save(update_fields=["path"])
    if default_roles is not None:
        department.default_roles.set(default_roles)
        _department_members_sync(department)
    after = snapshot(department)
    after["default_roles"] = sorted(department.default_roles.values_list("code", flat=True))
    audit(
        actor=actor, action="rbac.department_update", target=department, before=before, after=after
    )
    return department


def department_head_for(department: Department | None):
    """The head who approves for ``department``: its own, else the nearest ancestor's."""
    if department is None:
        return None
    ids = [int(part) for part in department.path.strip("/").split("/") if part]
    heads = dict(Department.objects.filter(pk__in=ids).values_list("pk", "head_id"))
    for pk in reversed(ids):
        if heads.get(pk):
            return User.objects.filter(pk=heads[pk]).first()
    return None


# --- staff --------------------------------------------------------------------------------


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
    user.save()
    profile = StaffProfile.objects.create(
        user=user,
        department=department,
        employee_number=employee_number,
        phone=phone,
        joined_on=joined_on or timezone.localdate(),
    )
    user_roles_sync(user)
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
    profile = StaffProfile.objects.select_for_update().get(pk=profile.pk)
    before = snapshot(profile)
    if department is not _UNSET:
        profile.department = department
    if phone is not None:
        profile.phone = phone
    if employee_number is not None:
        profile.employee_number = employee_number
    if joined_on is not None:
        profile.joined_on = joined_on
    profile.save()
    if department is not _UNSET:
        for assignment in RoleAssignment.objects.filter(user=profile.user).select_related("role"):
            _check_role_department(assignment.role, profile.user)
        user_roles_sync(profile.user)
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
    from rest_framework.authtoken.models import Token

    _require(actor, perms.DEACTIVATE_STAFF)
    if not reason or not reason.strip():
        raise ReasonRequired(fields={"reason": [_("A reason is required.")]})
    if actor is not None and actor.pk == user.pk:
        raise RbacPermissionDenied(_("Nobody may deactivate their own account."))
    user = User.objects.select_for_update().get(pk=user.pk)
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
    removed["tokens"] = Token.objects.filter(user=user).delete()[0]
    removed["sessions"] = _sessions_delete(user)
    user.is_active = False
    user.save(update_fields=["is_active"])
    StaffProfile.objects.filter(user=user).update(
        is_active=False,
        left_on=timezone.localdate(),
        deactivation_reason=reason.strip()[:500],
    )
    Department.objects.filter(head=user).update(head=None)
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


# --- permission requests ------------------------------------------------------------------


@transaction.atomic
def permission_request_create(
    *, actor, role: Role, reason: str, grant_expires_at: datetime | None = None
) -> PermissionRequest:
    """Ask for ``role`` for oneself; needs the department head's and a tech lead's approval."""
    if not (actor.is_active and actor.is_staff):
        raise StaffInactive()
    if not reason or not reason.strip():
        raise ReasonRequired(fields={"reason": [_("A reason is required.")]})
    if grant_expires_at is not None and grant_expires_at <= timezone.now():
        raise InvalidRoleConfiguration(
            _("The expiry must lie in the future."),
            fields={"grant_expires_at": [_("In the past.")]},
        )
    if not role.is_active:
        raise InvalidRoleConfiguration(_("The role is not active."))
    _check_role_department(role, actor)
    pending = PermissionRequest.objects.filter(
        requester=actor, role=role, status=PermissionRequest.Status.PENDING
    )
    if pending.exists() or RoleAssignment.objects.filter(user=actor, role=role).exists():
        raise DuplicateRequest()
    request = PermissionRequest.objects.create(
        requester=actor, role=role, reason=reason.strip(), grant_expires_at=grant_expires_at
    )
    audit(
        actor=actor,
        action="rbac.permission_request_create",
        target=request,
        data={"role": role.code, "reason": request.reason},
    )
    return request


def _requester_department(request: PermissionRequest) -> Department | None:
    profile = _profile(request.requester)
    return profile.department if profile else None


def permission_request_capacities(request: PermissionRequest, user) -> set[str]:
    """In which capacities (``head``, ``tech``) may ``user`` still approve ``request``?"""
    if user.pk == request.requester_id or not (user.is_active and user.is_staff):
        return set()
    capacities: set[str] = set()
    head = department_head_for(_requester_department(request))
    if request.head_approver_id is None and head is not None and head.pk == user.pk:
        capacities.add("head")
    if request.tech_approver_id is None and user.has_perm(perms.APPROVE_PERMISSION_REQUEST):
        capacities.add("tech")
    if user.pk in (request.head_approver_id, request.tech_approver_id):
        return set()
    return capacities


@transaction.atomic
def permission_request_approve(
    *, actor, permission_request: PermissionRequest, capacity: str | None = None
) -> PermissionRequest:
    """Approve as the requester's department head or as a tech lead.

    Two different people, neither the requester: the same person cannot fill both
    approvals. The role is assigned (with the requested expiry) once both are in.
    Raises ``CannotApproveOwnRequest``, ``ApproverAlreadyApproved``, ``NotAnApprover``,
    ``RequestNotPending``.
    """
    request = PermissionRequest.objects.select_for_update().get(pk=permission_request.pk)
    if request.status != PermissionRequest.Status.PENDING:
        raise RequestNotPending()
    if actor.pk == request.requester_id:
        raise CannotApproveOwnRequest()
    if actor.pk in (request.head_approver_id, request.tech_approver_id):
        raise ApproverAlreadyApproved()
    capacities = permission_request_capacities(request, actor)
    if capacity is not None:
        capacities &= {capacity}
    if not capacities:
        raise NotAnApprover()
    before = snapshot(request, ["status", "head_approver_id", "tech_approver_id"])
    now = timezone.now()
    chosen = "head" if "head" in capacities else "tech"
    if chosen == "head":
        request.head_approver = actor
        request.head_approved_at = now
    else:
        request.tech_approver = actor
        request.tech_approved_at = now
    fields = [f"{chosen}_approver", f"{chosen}_approved_at"]
    if request.head_approver_id and request.tech_approver_id:
        role_assign(
            actor=actor,
            user=request.requester,
            role=request.role,
            expires_at=request.grant_expires_at,
            source=RoleAssignment.Source.REQUEST,
            _checked=True,
        )
        request.status = PermissionRequest.Status.APPROVED
        request.decided_at = now
        fields += ["status", "decided_at"]
    request.save(update_fields=fields)
    audit(
        actor=actor,
        action="rbac.permission_request_approve",
        target=request,
        before=before,
        after=snapshot(request, ["status", "head_approver_id", "tech_approver_id"]),
        data={"capacity": chosen},
    )
    return request


@transaction.atomic
def permission_request_reject(
    *, actor, permission_request: PermissionRequest, reason: str
) -> PermissionRequest:
    """Reject with a reason; only an approver (head or tech lead), never the requester."""
    request = PermissionRequest.objects.select_for_update().get(pk=permission_request.pk)
    if request.status != PermissionRequest.Status.PENDING:
        raise RequestNotPending()
    if actor.pk == request.requester_id:
        raise CannotApproveOwnRequest()
    if not reason or not reason.strip():
        raise ReasonRequired(fields={"reason": [_("A reason is required.")]})
    head = department_head_for(_requester_department(request))
    is_head = head is not None and head.pk == actor.pk
    if not (is_head or actor.has_perm(perms.APPROVE_PERMISSION_REQUEST)):
        raise NotAnApprover()
    request.status = PermissionRequest.Status.REJECTED
    request.decided_by = actor
    request.decided_at = timezone.now()
    request.rejection_reason = reason.strip()
    request.save(update_fields=["status", "decided_by", "decided_at", "rejection_reason"])
    audit(
        actor=actor,
        action="rbac.permission_request_reject",
        target=request,
        data={"reason": request.rejection_reason},
    )
    return request


@transaction.atomic
def permission_request_cancel(*, actor, permission_request: PermissionRequest) -> PermissionRequest:
    """The requester withdraws a pending request."""
    request = PermissionRequest.objects.select_for_update().get(pk=permission_request.pk)
    if request.requester_id != actor.pk:
        raise RbacPermissionDenied()
    if request.status != PermissionRequest.Status.PENDING:
        raise RequestNotPending()
    request.status = PermissionRequest.Status.CANCELLED
    request.decided_at = timezone.now()
    request.save(update_fields=["status", "decided_at"])
    audit(actor=actor, action="rbac.permission_request_cancel", target=request)
    return request


# --- access review ------------------------------------------------------------------------


def _effective_permissions(user) -> list[str]:
    if user.is_superuser:
        return ["*"]
    return sorted(user.get_all_permissions())


@transaction.atomic
def access_review_generate(*, actor, period: date | None = None):
    """Produce the access review of ``period``'s month (default: this month); idempotent.

    One line per staff account (active or not, superusers included): department,
    roles with their expiry, effective permissions, data scope and object grants.
    Running it again for a month returns the existing review unchanged.
    """
    from .models import AccessReview, AccessReviewLine
    from .scoping import object_grants_describe, scope_describe

    _require(actor, perms.ADD_ACCESS_REVIEW)
    period = (period or timezone.localdate()).replace(day=1)
    review, created = AccessReview.objects.get_or_create(
        period=period, defaults={"created_by": actor if actor and actor.pk else None}
    )
    if not created:
        return review
    users = (
        User.objects.filter(Q(is_staff=True) | Q(is_superuser=True))
        .select_related("staff_profile__department")
        .order_by("username")
    )
    lines = []
    for user in users:
        profile = getattr(user, "staff_profile", None)
        roles = [
            {
                "code": a.role.code,
                "name": a.role.name,
                "expires_at": a.expires_at.isoformat() if a.expires_at else None,
                "source": a.source,
            }
            for a in RoleAssignment.objects.filter(user=user).select_related("role")
        ]
        held = {r["code"] for r in roles}
        roles += [
            {"code": role.code, "name": role.name, "expires_at": None, "source": "department"}
            for role in Role.objects.filter(group__user=user).exclude(code__in=held)
        ]
        lines.append(
            AccessReviewLine(
                review=review,
                user=user,
                username=user.get_username(),
                department=profile.department.name if profile and profile.department else "",
                roles=roles,
                permissions=_effective_permissions(user),
                scope=scope_describe(user),
                object_grants=object_grants_describe(user),
                is_superuser=user.is_superuser,
            )
        )
    AccessReviewLine.objects.bulk_create(lines)
    audit(
        actor=actor,
        action="rbac.access_review_generate",
        target=review,
        data={"period": period, "lines": len(lines)},
    )
    return review


@transaction.atomic
def access_review_sign_off(*, actor, review):
    """Record who signed the review off; a review is signed once."""
    from .models import AccessReview

    _require(actor, perms.SIGN_OFF_ACCESS_REVIEW)
    review = AccessReview.objects.select_for_update().get(pk=review.pk)
    if review.signed_off_at is not None:
        raise RequestNotPending(_("The review has already been signed off."))
    review.signed_off_by = actor
    review.signed_off_at = timezone.now()
    review.save(update_fields=["signed_off_by", "signed_off_at"])
    audit(actor=actor, action="rbac.access_review_sign_off", target=review)
    return review


# --- sales regions and provinces ----------------------------------------------------------


@transaction.atomic
def sales_region_save(
    *, actor, region: SalesRegion | None = None, code: str, name: str, sort_order: int = 0
) -> SalesRegion:
    """Create or rename a sales region (reference data the admin can edit)."""
    _require(actor, "rbac.change_salesregion" if region else "rbac.add_salesregion")
    before = snapshot(region) if region else None
    if SalesRegion.objects.filter(code=code).exclude(pk=getattr(region, "pk", None)).exists():
        raise InvalidRoleConfiguration(
            _("A region with this code exists."), fields={"code": [_("Already in use.")]}
        )
    region = region or SalesRegion()
    region.code, region.name, region.sort_order = code, name, sort_order
    region.save()
    audit(
        actor=actor,
        action="rbac.sales_region_save",
        target=region,
        before=before,
        after=snapshot(region),
    )
    return region


@transaction.atomic
def province_move(*, actor, province, region: SalesRegion):
    """Move a province to another sales region (changes regional data scopes)."""
    _require(actor, "rbac.change_province")
    before = snapshot(province)
    province.region = region
    province.save(update_fields=["region"])
    audit(
        actor=actor,
        action="rbac.province_move",
        target=province,
        before=before,
        after=snapshot(province),
    )
    return province


@transaction.atomic
def user_account_update(*, actor, user, changed: list[str]) -> None:
    """Save edits an administrator made to a staff account's name, email or password."""
    _require(actor, "auth.change_user")
    allowed = {"username", "first_name", "last_name", "email", "password", "is_staff"}
    if actor is not None and actor.is_superuser:
        allowed.add("is_superuser")
    fields = [name for name in changed if name in allowed]
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
