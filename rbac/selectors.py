"""RBAC reads for people: always through the data scope."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet

from mall.core.scoping import scope_queryset

from . import permissions as perms
from .models import (
    AccessReview,
    AccessReviewLine,
    Department,
    PermissionRequest,
    Role,
    RoleAssignment,
    StaffProfile,
)


def department_list(*, user) -> QuerySet[Department]:
    return scope_queryset(user, Department.objects.select_related("parent", "head"))


def role_list(*, user) -> QuerySet[Role]:
    return scope_queryset(
        user, Role.objects.select_related("department").prefetch_related("regions")
    )


def staff_list(*, user) -> QuerySet[StaffProfile]:
    return scope_queryset(user, StaffProfile.objects.select_related("user", "department"))


def role_assignment_list(*, user) -> QuerySet[RoleAssignment]:
    return scope_queryset(user, RoleAssignment.objects.select_related("user", "role"))


def permission_request_list(*, user) -> QuerySet[PermissionRequest]:
    """Requests the user may see: their scope, their own, and any they may decide."""
    base = PermissionRequest.objects.select_related(
        "requester", "role", "head_approver", "tech_approver", "decided_by"
    )
    visible = scope_queryset(user, base)
    awaiting = permission_requests_awaiting(user=user)
    if not (user.is_active and user.is_staff):
        return base.none()
    return base.filter(
        Q(pk__in=visible.values("pk")) | Q(pk__in=awaiting.values("pk")) | Q(requester=user)
    )


def headed_department_ids(user) -> set[int]:
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


def permission_requests_awaiting(*, user) -> QuerySet[PermissionRequest]:
    """Pending requests waiting for ``user``'s approval ("waiting for my approval")."""
    base = PermissionRequest.objects.filter(status=PermissionRequest.Status.PENDING).exclude(
        requester=user
    )
    if not (user.is_active and user.is_staff):
        return base.none()
    conditions = Q(
        head_approver__isnull=True,
        requester__staff_profile__department__in=headed_department_ids(user),
    )
    if user.has_perm(perms.APPROVE_PERMISSION_REQUEST):
        conditions |= Q(tech_approver__isnull=True)
    return (
        base.filter(conditions)
        .exclude(head_approver=user)
        .exclude(tech_approver=user)
        .select_related("requester", "role")
    )


def access_review_list(*, user) -> QuerySet[AccessReview]:
    return scope_queryset(user, AccessReview.objects.select_related("signed_off_by"))


def access_review_lines(*, user, review: AccessReview) -> QuerySet[AccessReviewLine]:
    return scope_queryset(user, AccessReviewLine.objects.filter(review=review))


def user_list(*, user) -> QuerySet:
    return scope_queryset(user, get_user_model().objects.all())
