"""Demo data of ops (idempotent): role permissions and pending parameter change requests.

SLA clocks need a real subject (an order, a refund, a review); the apps that own
those start the clocks from their own demo data through their services.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model

from .models import ParameterChangeRequest
from .services.parameters import parameter_change_request

# The ops tooling (audit log, schedule, job runs) for those whose duty it is: the
# leads and the security auditor. The audit log is scoped as ever: "all"-scope
# roles read every entry, anybody else only their own.
OPS_TOOLING_READ = [
    "ops.view_auditentry",
    "core.view_jobrun",
    "django_celery_beat.view_periodictask",
    "django_celery_beat.view_crontabschedule",
    "django_celery_beat.view_intervalschedule",
    "django_celery_beat.view_clockedschedule",
    "django_celery_beat.view_solarschedule",
]
# The tech lead runs the schedule: may switch entries on/off and change their timing.
OPS_TOOLING_EDIT = [
    "django_celery_beat.change_periodictask",
    "django_celery_beat.add_crontabschedule",
    "django_celery_beat.change_crontabschedule",
]
SECURITY_AUDITOR_PERMISSIONS = [
    *OPS_TOOLING_READ,
    "ops.view_systemparameter",
    "ops.view_parameterchangerequest",
    "ops.view_slaclock",
]
# Business owner approvals, SLA board and escalations: the ops department head.
OPS_LEAD_PERMISSIONS = [
    "ops.view_systemparameter",
    "ops.view_parameterchangerequest",
    "ops.add_parameterchangerequest",
    "ops.approve_parameter_change",
    "ops.view_slaclock",
    "ops.extend_slaclock",
    "ops.receive_sla_escalation",
    *OPS_TOOLING_READ,
]
# The tech lead signs off every parameter change as the second approver.
TECH_LEAD_PERMISSIONS = [
    "ops.view_systemparameter",
    "ops.view_parameterchangerequest",
    "ops.add_parameterchangerequest",
    "ops.approve_parameter_change_tech",
    "ops.view_slaclock",
    *OPS_TOOLING_READ,
    *OPS_TOOLING_EDIT,
]
# Order ops work the SLA board of their region and get its breach escalations.
ORDER_OPS_PERMISSIONS = [
    "ops.view_slaclock",
    "ops.extend_slaclock",
    "ops.receive_sla_escalation",
]
ROLE_PERMISSIONS = {
    "ops_lead": OPS_LEAD_PERMISSIONS,
    "tech_lead": TECH_LEAD_PERMISSIONS,
    "order_ops_east": ORDER_OPS_PERMISSIONS,
    "order_ops_north": ORDER_OPS_PERMISSIONS,
    "customer_service": ["ops.view_slaclock"],
    "security_auditor": SECURITY_AUDITOR_PERMISSIONS,
}
REQUESTERS = ("ops_lead", "tech_lead")

PENDING_REQUESTS = [
    # (requester, key, new value, reason)
    ("ops_lead", "sla.order_review_minutes", 15, "大促期间订单量翻倍，审核时效临时放宽至 15 分钟"),
    ("tech_lead", "ops.audit_retention_days", 730, "等保测评要求操作日志保留两年"),
]


def _grant_role_permissions(stdout) -> None:
    try:
        from rbac.demo import grant_role_permissions
    except ImportError:
        stdout.write("  ops: rbac.demo.grant_role_permissions missing; role grants skipped")
        return
    for role_code, permissions in ROLE_PERMISSIONS.items():
        grant_role_permissions(role_code, permissions)


def seed(*, stdout) -> None:
    _grant_role_permissions(stdout)
    users = {u.username: u for u in get_user_model().objects.filter(username__in=REQUESTERS)}
    created = 0
    for username, key, value, reason in PENDING_REQUESTS:
        requester = users.get(username)
        if requester is None or not requester.has_perm("ops.add_parameterchangerequest"):
            stdout.write(f"  ops: {username} cannot request changes; demo request skipped")
            continue
        if ParameterChangeRequest.objects.filter(key=key, reason=reason).exists():
            continue
        if ParameterChangeRequest.objects.filter(
            key=key, status=ParameterChangeRequest.Status.PENDING
        ).exists():
            continue
        parameter_change_request(actor=requester, key=key, new_value=value, reason=reason)
        created += 1
    stdout.write(f"  ops: {created} parameter change request(s) created, waiting for approval")
