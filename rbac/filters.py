"""RBAC list filters (the one filter style: :mod:`mall.core.filters`).

Relation filters (``?department=``, ``?role=``) take ids and only accept rows in the
reader's data scope (the kernel's ``ScopedFilterBackend``); booleans accept only
``true``/``false``.
"""

from __future__ import annotations

from mall.core.filters import FilterSet

from .models import PermissionRequest, Role, RoleAssignment, StaffProfile


class RoleFilter(FilterSet):
    class Meta:
        model = Role
        fields = ["scope_kind", "is_active"]


class StaffProfileFilter(FilterSet):
    class Meta:
        model = StaffProfile
        fields = ["is_active", "department"]


class RoleAssignmentFilter(FilterSet):
    class Meta:
        model = RoleAssignment
        fields = ["role", "source"]


class PermissionRequestFilter(FilterSet):
    class Meta:
        model = PermissionRequest
        fields = ["status", "role"]
