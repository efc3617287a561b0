"""RBAC services: every write to roles, departments, staff, grants and requests.

Each service is atomic, checks the actor's function permission (the system actor,
used by jobs and demo data, passes), checks its rules and writes one audit entry as
its last step. Role membership is kept in the role's Django group, so Django's own
permission checks (admin, ``has_perm``) and the data scope read the same thing;
``membership._user_roles_sync`` is the only place that changes a user's role groups.
"""

from ._base import ROLE_GROUP_PREFIX
from .departments import (
    department_create,
    department_update,
)
from .grants import (
    object_permission_grant,
    object_permission_revoke,
    user_permission_add,
    user_permission_remove,
)
from .regions import (
    province_move,
    sales_region_save,
)
from .requests import (
    permission_request_approve,
    permission_request_cancel,
    permission_request_create,
    permission_request_reject,
    permission_requests_expire,
)
from .reviews import (
    access_review_generate,
    access_review_sign_off,
)
from .roles import (
    role_assign,
    role_assignments_expire,
    role_create,
    role_permissions_add,
    role_revoke,
    role_update,
)
from .staff import (
    staff_create,
    staff_deactivate,
    staff_language_set,
    staff_profile_update,
    user_account_update,
    user_password_set,
)

__all__ = [
    "ROLE_GROUP_PREFIX",
    "access_review_generate",
    "access_review_sign_off",
    "department_create",
    "department_update",
    "object_permission_grant",
    "object_permission_revoke",
    "permission_request_approve",
    "permission_request_cancel",
    "permission_request_create",
    "permission_request_reject",
    "permission_requests_expire",
    "province_move",
    "role_assign",
    "role_assignments_expire",
    "role_create",
    "role_permissions_add",
    "role_revoke",
    "role_update",
    "sales_region_save",
    "staff_create",
    "staff_deactivate",
    "staff_language_set",
    "staff_profile_update",
    "user_account_update",
    "user_password_set",
    "user_permission_add",
    "user_permission_remove",
]
