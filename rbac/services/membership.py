"""Role membership: the one place that changes a user's role groups."""

from __future__ import annotations

from django.db.models import Q
from django.utils import timezone

from ..models import (
    Department,
    Role,
    RoleAssignment,
    StaffProfile,
)
from ..scoping import clear_scope_cache
from ._base import (
    _profile,
)


def _user_roles_sync(user) -> None:
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
        _user_roles_sync(profile.user)
