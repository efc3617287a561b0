"""RBAC reads for people: always through the data scope.

Every list selector starts from :func:`mall.core.scoping.scope_queryset` and
loads what its screens show (``select_related`` / ``prefetch_related``), so the
API and the admin read the same rows the same way. A ``*_get`` selector answers
a row outside the reader's scope exactly like a missing one (a ``NotFound``).
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet
from guardian.models import UserObjectPermission

from mall.core.scoping import scope_queryset

from . import permissions as perms
from .exceptions import (
    AccessReviewNotFound,
    DepartmentNotFound,
    PermissionRequestNotFound,
    ProvinceNotFound,
    RoleAssignmentNotFound,
    RoleNotFound,
    SalesRegionNotFound,
    StaffProfileNotFound,
    UserNotFound,
)
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
from .scoping import scope_describe, user_roles


def _get(queryset: QuerySet, error: type[Exception], **lookup):
    row = queryset.filter(**lookup).first()
    if row is None:
        raise error()
    return row


# --- reference data -----------------------------------------------------------------------


def sales_region_list(*, actor) -> QuerySet[SalesRegion]:
    """Sales regions with their provinces (reference data; scope declared unscoped)."""
    return scope_queryset(actor, SalesRegion.objects.prefetch_related("provinces"))


def sales_region_get(*, actor, pk: int) -> SalesRegion:
    """One sales region; raises ``SalesRegionNotFound``."""
    return _get(sales_region_list(actor=actor), SalesRegionNotFound, pk=pk)


def province_list(*, actor) -> QuerySet[Province]:
    """Provinces with their sales region."""
    return scope_queryset(actor, Province.objects.select_related("region"))


def province_get(*, actor, pk: int) -> Province:
    """One province; raises ``ProvinceNotFound``."""
    return _get(province_list(actor=actor), ProvinceNotFound, pk=pk)


def department_list(*, actor) -> QuerySet[Department]:
    """Departments with parent, head and default roles."""
    return scope_queryset(
        actor,
        Department.objects.select_related("parent", "head").prefetch_related("default_roles"),
    )


def department_get(*, actor, pk: int) -> Department:
    """One department; raises ``DepartmentNotFound``."""
    return _get(department_list(actor=actor), DepartmentNotFound, pk=pk)


def role_list(*, actor) -> QuerySet[Role]:
    """Roles with their restriction, regions and function permissions."""
    return scope_queryset(
        actor,
        Role.objects.select_related("department").prefetch_related(
            "regions", "group__permissions__content_type"
        ),
    )


def role_get(*, actor, pk: int) -> Role:
    """One role; raises ``RoleNotFound``."""
    return _get(role_list(actor=actor), RoleNotFound, pk=pk)


# --- people and their grants --------------------------------------------------------------


def user_list(*, actor) -> QuerySet:
    """Accounts in the reader's scope (by the account's department, and their own)."""
    return scope_queryset(actor, get_user_model().objects.all())


def user_get(*, actor, username: str):
    """One account by username; raises ``UserNotFound`` (also outside scope)."""
    return _get(user_list(actor=actor), UserNotFound, username=username)


def staff_profile_list(*, actor) -> QuerySet[StaffProfile]:
    """Staff profiles with account, department and role groups (for the role column)."""
    return scope_queryset(
        actor,
        StaffProfile.objects.select_related("user", "department").prefetch_related(
            "user__groups__role"
        ),
    )


def staff_profile_get(*, actor, pk: int) -> StaffProfile:
    """One staff profile; raises ``StaffProfileNotFound``."""
    return _get(staff_profile_list(actor=actor), StaffProfileNotFound, pk=pk)


def staff_access_get(*, actor) -> dict:
    """The reader's own access: department, roles, effective permissions, data scope.

    Everyone may read their own; nothing here is another person's data.
    """
    profile = StaffProfile.objects.select_related("department").filter(user=actor).first()
    return {
        "username": actor.get_username(),
        "department": profile.department.code if profile and profile.department else None,
        "roles": sorted(user_roles(actor).values_list("code", flat=True)),
        "permissions": sorted(actor.get_all_permissions()),
        "scope": scope_describe(actor),
    }


def role_assignment_list(*, actor) -> QuerySet[RoleAssignment]:
    """Role assignments with holder, role and granter."""
    return scope_queryset(
        actor, RoleAssignment.objects.select_related("user", "role", "granted_by")
    )


def role_assignment_get(*, actor, pk: int) -> RoleAssignment:
    """One role assignment; raises ``RoleAssignmentNotFound``."""
    return _get(role_assignment_list(actor=actor), RoleAssignmentNotFound, pk=pk)


def object_grant_list(*, actor) -> QuerySet[UserObjectPermission]:
    """Per-object grants (django-guardian rows) with holder, permission and object type."""
    return scope_queryset(
        actor,
        UserObjectPermission.objects.select_related(
            "user", "permission__content_type", "content_type"
        ).prefetch_related("content_object"),
    )


# --- permission requests ------------------------------------------------------------------

_REQUEST_RELATED = ("requester", "role", "head_approver", "tech_approver", "decided_by")


def permission_request_list(*, actor) -> QuerySet[PermissionRequest]:
    """Requests the reader may see: their scope, their own, and any waiting for them."""
    base = PermissionRequest.objects.select_related(*_REQUEST_RELATED)
    if not (actor.is_active and actor.is_staff):
        return base.none()
    visible = scope_queryset(actor, base)
    awaiting = permission_requests_awaiting(actor=actor)
    return base.filter(
        Q(pk__in=visible.values("pk")) | Q(pk__in=awaiting.values("pk")) | Q(requester=actor)
    )


def permission_request_get(*, actor, pk: int) -> PermissionRequest:
    """One request the reader may see; raises ``PermissionRequestNotFound``."""
    return _get(permission_request_list(actor=actor), PermissionRequestNotFound, pk=pk)


def _headed_department_ids(user) -> set[int]:
    """Departments whose approving head is ``user`` (own head, else nearest ancestor's)."""
    rows = list(Department.objects.values_list("pk", "path", "head_id"))
    by_pk = {pk: head for pk, _path, head in rows}
    result = set()
    for pk, path, _head in rows:
        chain = [int(part) for part in path.strip("/").split("/") if part]
        approving = next((by_pk.get(a) for a in reversed(chain) if by_pk.get(a)), None)
        if approving == user.pk:
            result.add(pk)
    return result


def permission_requests_awaiting(*, actor) -> QuerySet[PermissionRequest]:
    """Pending requests waiting for the reader's approval ("waiting for my approval")."""
    base = (
        PermissionRequest.objects.filter(status=PermissionRequest.Status.PENDING)
        .exclude(requester=actor)
        .select_related(*_REQUEST_RELATED)
    )
    if not (actor.is_active and actor.is_staff):
        return base.none()
    conditions = Q(
        head_approver__isnull=True,
        requester__staff_profile__department__in=_headed_department_ids(actor),
    )
    if actor.has_perm(perms.APPROVE_PERMISSION_REQUEST):
        conditions |= Q(tech_approver__isnull=True)
    return base.filter(conditions).exclude(head_approver=actor).exclude(tech_approver=actor)


# --- access reviews -----------------------------------------------------------------------


def access_review_list(*, actor) -> QuerySet[AccessReview]:
    """Access reviews with who signed them off."""
    return scope_queryset(actor, AccessReview.objects.select_related("signed_off_by"))


def access_review_get(*, actor, pk: int) -> AccessReview:
    """One access review; raises ``AccessReviewNotFound``."""
    return _get(access_review_list(actor=actor), AccessReviewNotFound, pk=pk)


def access_review_line_list(
    *, actor, review: AccessReview | None = None
) -> QuerySet[AccessReviewLine]:
    """Lines of access reviews (of ``review`` when given), by username."""
    lines = AccessReviewLine.objects.order_by("review", "username")
    if review is not None:
        lines = lines.filter(review=review)
    return scope_queryset(actor, lines)
