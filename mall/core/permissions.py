"""DRF permission classes shared by every staff endpoint.

Function permissions (DESIGN.md §4) are Django permissions; a view declares what
it needs per action and the same codenames gate the admin and the services.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from rest_framework.permissions import BasePermission


def is_staff_user(user) -> bool:
    return (
        isinstance(user, get_user_model())
        and user.is_authenticated
        and user.is_active
        and user.is_staff
    )


class IsStaffUser(BasePermission):
    """An active staff account (never a member, never anonymous)."""

    def has_permission(self, request, view) -> bool:
        return is_staff_user(request.user)


class HasActionPermissions(IsStaffUser):
    """Staff who hold the permissions the view names for this action or method.

    The view sets ``required_permissions = {"list": ["orders.view_order"],
    "approve": ["orders.approve_order"], "POST": [...]}``; the action name is
    looked up first, then the HTTP method. A view that names nothing for the
    action refuses it (fail closed).
    """

    def has_permission(self, request, view) -> bool:
        if not super().has_permission(request, view):
            return False
        table = getattr(view, "required_permissions", None) or {}
        action = getattr(view, "action", None)
        needed = table.get(action) if action else None
        if needed is None:
            needed = table.get(request.method)
        if needed is None:
            return False
        return request.user.has_perms(needed)
