"""Demo data of the reports app (``seed_demo``; idempotent: run twice = same rows).

* permissions (``ROLE_PERMISSIONS``): the ops lead (运营负责人) and finance (财务), both
  scope "all", read the dashboard and the report archive; regional order ops read the
  dashboard in their regions;
* the ops lead and finance subscribe to every report kind;
* yesterday's daily core-data report is generated (so the archive is not empty) and the
  two subscribers find its notice in their inbox.
"""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone

from . import permissions as perms

ROLE_PERMISSIONS = {
    "ops_lead": [perms.VIEW_DASHBOARD, perms.VIEW_REPORT],
    "finance": [perms.VIEW_DASHBOARD, perms.VIEW_REPORT],
    "order_ops_east": [perms.VIEW_DASHBOARD],
    "order_ops_north": [perms.VIEW_DASHBOARD],
}
SUBSCRIBERS = ["ops_lead", "finance"]


def seed_permissions() -> None:
    from rbac.demo import grant_role_permissions

    for role, permissions in ROLE_PERMISSIONS.items():
        grant_role_permissions(role, permissions)


def seed(*, stdout) -> None:
    from mall.core.actors import system_actor
    from mall.core.exceptions import ApplicationError

    from .models import ReportArchive, ReportKind
    from .services import report_generate, subscription_create

    seed_permissions()
    users = get_user_model().objects.filter(username__in=SUBSCRIBERS, is_active=True)
    subscribed = 0
    for user in users.order_by("username"):
        user = get_user_model().objects.get(pk=user.pk)  # fresh permission cache
        for kind in ReportKind.values:
            try:
                subscription_create(actor=user, kind=kind)
                subscribed += 1
            except ApplicationError as exc:
                stdout.write(f"  reports: {user.username} not subscribed ({exc})")
    yesterday = timezone.localdate() - timedelta(days=1)
    report_generate(actor=system_actor(), kind=ReportKind.DAILY, period_start=yesterday)
    stdout.write(
        f"  reports: {ReportArchive.objects.count()} archived reports, "
        f"{subscribed} subscriptions of {len(SUBSCRIBERS)} subscribers"
    )
