"""RBAC permission codenames, declared once (STYLE.md), and how a codename names a row.

``permission_resolve`` / ``permission_label`` translate between ``"app_label.codename"``
(how services, roles and the scope rules name a permission) and Django's
``Permission`` rows. They are lookups, not services: they change nothing.
"""

from __future__ import annotations

ASSIGN_ROLE = "rbac.assign_role"
ADD_ROLE = "rbac.add_role"
CHANGE_ROLE = "rbac.change_role"
VIEW_ROLE = "rbac.view_role"
ADD_DEPARTMENT = "rbac.add_department"
CHANGE_DEPARTMENT = "rbac.change_department"
VIEW_DEPARTMENT = "rbac.view_department"
ADD_STAFF = "rbac.add_staffprofile"
CHANGE_STAFF = "rbac.change_staffprofile"
VIEW_STAFF = "rbac.view_staffprofile"
DEACTIVATE_STAFF = "rbac.deactivate_staff"
VIEW_ASSIGNMENT = "rbac.view_roleassignment"
GRANT_OBJECT_PERMISSION = "rbac.grant_object_permission"
CHANGE_USER_PERMISSIONS = "rbac.change_user_permissions"
VIEW_PERMISSION_REQUEST = "rbac.view_permissionrequest"
APPROVE_PERMISSION_REQUEST = "rbac.approve_permission_request"
VIEW_ACCESS_REVIEW = "rbac.view_accessreview"
ADD_ACCESS_REVIEW = "rbac.add_accessreview"
SIGN_OFF_ACCESS_REVIEW = "rbac.sign_off_access_review"


def permission_resolve(perm):
    """Turn ``"app_label.codename"`` into the ``Permission`` row, or raise ``UnknownPermission``."""
    from django.contrib.auth.models import Permission
    from django.utils.translation import gettext as _

    from .exceptions import UnknownPermission

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


def permission_label(permission) -> str:
    """``"app_label.codename"`` of a ``Permission`` row."""
    return f"{permission.content_type.app_label}.{permission.codename}"
