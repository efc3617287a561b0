"""Extra per-user permissions and per-object grants (django-guardian)."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from mall.core.audit import audit

from .. import permissions as perms
from ..exceptions import (
    StaffInactive,
    UnknownPermission,
)
from ..permissions import permission_resolve
from ..scoping import clear_scope_cache
from ._base import (
    _refuse_self_grant,
    _require,
)


@transaction.atomic
def user_permission_add(*, actor, user, perm: str) -> None:
    """Give one user an extra function permission outside any role (special cases)."""
    _require(actor, perms.CHANGE_USER_PERMISSIONS)
    _refuse_self_grant(actor, user)
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
def object_permission_grant(*, actor, user, perm: str, obj):
    """Give ``user`` the object permission ``perm`` on ``obj``; return the grant row.

    The row is django-guardian's ``UserObjectPermission`` (the same one on a repeat).

    Example: ``object_permission_grant(actor=admin, user=clerk,
    perm="dispatch.work_warehouse", obj=wh_sh)``. The permission must belong to
    ``obj``'s model. Rows whose granted object is ``obj`` enter the user's data scope
    through roles of scope kind ``granted_objects``.
    """
    from guardian.shortcuts import assign_perm

    _require(actor, perms.GRANT_OBJECT_PERMISSION)
    _refuse_self_grant(actor, user)
    permission = permission_resolve(perm)
    if permission.content_type.model_class() is not type(obj)._meta.concrete_model:
        raise UnknownPermission(
            _("%(perm)s is not a permission of %(model)s.")
            % {"perm": perm, "model": obj._meta.verbose_name},
            fields={"perm": [perm]},
        )
    if not (user.is_active and user.is_staff):
        raise StaffInactive()
    grant = assign_perm(permission, user, obj)
    clear_scope_cache(user)
    audit(
        actor=actor,
        action="rbac.object_permission_grant",
        target=obj,
        data={"user": user.get_username(), "permission": perm},
    )
    return grant


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
