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


DEFAULT_ACTION_VERBS = {
    "list": "view",
    "retrieve": "view",
    "export": "view",
    "create": "add",
    "update": "change",
    "partial_update": "change",
    "destroy": "delete",
}


def model_permission(model, verb: str) -> str:
    """``"app_label.<verb>_<model>"`` for a model (verb: view/add/change/delete)."""
    opts = model._meta
    return f"{opts.app_label}.{verb}_{opts.model_name}"


class ModelActionPermissions(HasActionPermissions):
    """``HasActionPermissions`` with the model's own permissions as defaults.

    Reads (``list``, ``retrieve``, ``export``) need ``view_<model>``, ``create`` needs
    ``add_``, ``update``/``partial_update`` need ``change_`` and ``destroy`` ``delete_``.
    Custom ``@action``s must be named in ``required_permissions`` (fail closed), so
    a user who may view but not change gets 403 on every write.
    """

    def has_permission(self, request, view) -> bool:
        if not is_staff_user(request.user):
            return False
        table = dict(getattr(view, "required_permissions", None) or {})
        action = getattr(view, "action", None)
        needed = table.get(action) if action else None
        if needed is None and action in DEFAULT_ACTION_VERBS:
            model = getattr(view, "scope_model", None)
            if model is None and getattr(view, "queryset", None) is not None:
                model = view.queryset.model
            if model is None and getattr(view, "list_selector", None) is not None:
                model = view.get_queryset().model
            if model is not None:
                needed = [model_permission(model, DEFAULT_ACTION_VERBS[action])]
        if needed is None:
            needed = table.get(request.method)
        if needed is None:
            return False
        return request.user.has_perms(needed)
