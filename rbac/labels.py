"""Chinese labels of the codes rbac writes (collected by ``mall.core.labels``).

Audit actions, staff notification kinds and scheduled tasks: every code a screen
shows has a label here, so the audit log, the inbox and the schedule read in Chinese.
"""

from django.utils.translation import gettext_lazy as _

ACTION_LABELS = {
    "rbac.department_create": _("Department created"),
    "rbac.department_update": _("Department changed"),
    "rbac.object_permission_grant": _("Object access granted"),
    "rbac.object_permission_revoke": _("Object access revoked"),
    "rbac.user_permission_add": _("Permission given to a user"),
    "rbac.user_permission_remove": _("Permission taken from a user"),
    "rbac.province_move": _("Province moved to another region"),
    "rbac.sales_region_save": _("Sales region saved"),
    "rbac.permission_request_approval_withdrawn": _("Approval withdrawn (approver left)"),
    "rbac.permission_request_approve": _("Permission request approved"),
    "rbac.permission_request_cancel": _("Permission request withdrawn"),
    "rbac.permission_request_create": _("Permission requested"),
    "rbac.permission_request_expire": _("Permission request expired"),
    "rbac.permission_request_reject": _("Permission request rejected"),
    "rbac.access_review_generate": _("Access review produced"),
    "rbac.access_review_sign_off": _("Access review signed off"),
    "rbac.role_assign": _("Role assigned"),
    "rbac.role_expire": _("Role grant expired"),
    "rbac.role_revoke": _("Role revoked"),
    "rbac.role_update": _("Role changed"),
    "rbac.role_create": _("Role created"),
    "rbac.staff_deactivate": _("Staff member deactivated"),
    "rbac.staff_update": _("Staff member changed"),
    "rbac.staff_create": _("Staff member created"),
    "rbac.language_set": _("Display language changed"),
}

NOTIFICATION_KINDS = {
    "rbac.permission_request_waiting": _("Permission request waiting for approval"),
}

# Scheduled tasks by their schedule entry name, and job runs by their job_run name.
TASK_LABELS = {
    "rbac: revoke expired role grants": _("Revoke expired role grants"),
    "rbac: monthly access review": _("Monthly access review"),
    # job runs (mall.core.jobs.job_run names)
    "rbac.role_assignments_expire": _("Revoke expired role grants"),
    "rbac.access_review_generate": _("Monthly access review"),
}
