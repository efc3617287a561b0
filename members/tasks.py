"""Celery entry points of the members app (thin: load ids, call services, record runs)."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from mall.core.actors import system_actor
from mall.core.jobs import job_run

from .selectors import birthday_members_due, notifications_due
from .services import (
    birthday_benefits_grant,
    coupons_expire_due,
    member_tokens_purge,
    notification_deliver,
    points_expire_due,
)


@shared_task(bind=True, queue="default", acks_late=True)
def points_expire_due_task(self) -> int:
    """Expire every points lot past its expiry (idempotent: emptied lots are skipped)."""
    with job_run("members.points_expire_due", self.request.id) as run:
        run.result = {"lots_expired": points_expire_due(actor=system_actor())}
    return run.result["lots_expired"]


@shared_task(bind=True, queue="default", acks_late=True)
def coupons_expire_due_task(self) -> int:
    """Mark available coupons whose validity ended as expired."""
    with job_run("members.coupons_expire_due", self.request.id) as run:
        run.result = {"coupons_expired": coupons_expire_due(actor=system_actor())}
    return run.result["coupons_expired"]


@shared_task(bind=True, queue="realtime", acks_late=True)
def notifications_deliver_task(self, limit: int = 500) -> dict:
    """Deliver due outbox messages; failures are retried by later runs with backoff."""
    with job_run("members.notifications_deliver", self.request.id) as run:
        sent = failed = 0
        actor = system_actor()
        for notification_id in notifications_due(actor=actor, limit=limit):
            notification = notification_deliver(actor=actor, notification_id=notification_id)
            if notification is None:
                continue
            if notification.status == notification.Status.SENT:
                sent += 1
            elif notification.status == notification.Status.FAILED:
                failed += 1
        run.result = {"sent": sent, "failed": failed}
    return run.result


@shared_task(bind=True, queue="default", acks_late=True)
def birthday_benefits_task(self) -> int:
    """Grant today's birthday benefits (once a year per member)."""
    with job_run("members.birthday_benefits", self.request.id) as run:
        today = timezone.localdate()
        actor = system_actor()
        granted = 0
        for member_id in birthday_members_due(actor=actor, today=today):
            if birthday_benefits_grant(actor=actor, member_id=member_id, today=today):
                granted += 1
        run.result = {"granted": granted, "date": today.isoformat()}
    return granted


@shared_task(bind=True, queue="default", acks_late=True)
def member_tokens_purge_task(self) -> int:
    """Delete expired storefront tokens (they are refused anyway; this keeps the table small)."""
    with job_run("members.member_tokens_purge", self.request.id) as run:
        run.result = {"deleted": member_tokens_purge(actor=system_actor())}
    return run.result["deleted"]


# --- SMS verification codes (issue 16) -------------------------------------------------


@shared_task(bind=True, queue="default", acks_late=True)
def sms_codes_purge_task(self) -> int:
    """Delete SMS verification codes older than a day (used, expired or dead alike)."""
    from .services.sms_codes import sms_codes_purge

    with job_run("members.sms_codes_purge", self.request.id) as run:
        run.result = {"deleted": sms_codes_purge(actor=system_actor())}
    return run.result["deleted"]


# --- RFM (issue 17) --------------------------------------------------------------------


@shared_task(bind=True, queue="heavy", acks_late=True)
def rfm_run_task(self, run_date: str | None = None) -> dict:
    """Compute the nightly RFM segmentation (idempotent per run date)."""
    from datetime import date

    from .services.rfm import rfm_run

    with job_run("members.rfm_run", self.request.id) as run:
        day = date.fromisoformat(run_date) if run_date else None
        rfm = rfm_run(actor=system_actor(), run_date=day)
        run.result = {
            "run_date": rfm.run_date.isoformat(),
            "members_scored": rfm.members_scored,
            "members_win_back": rfm.members_win_back,
            "duration_ms": rfm.duration_ms,
        }
    return run.result


SCHEDULE = {
    "members: points expiry": {
        "task": "members.tasks.points_expire_due_task",
        "cron": "0 1 * * *",
    },
    "members: coupon expiry": {
        "task": "members.tasks.coupons_expire_due_task",
        "cron": "5 1 * * *",
    },
    "members: notification delivery": {
        "task": "members.tasks.notifications_deliver_task",
        "cron": "* * * * *",
        "queue": "realtime",
    },
    "members: expired token purge": {
        "task": "members.tasks.member_tokens_purge_task",
        "cron": "10 1 * * *",
    },
    "members: birthday benefits": {
        "task": "members.tasks.birthday_benefits_task",
        "cron": "0 8 * * *",
    },
    # --- SMS verification codes (issue 16) ---
    "members: SMS code cleanup": {
        "task": "members.tasks.sms_codes_purge_task",
        "cron": "15 1 * * *",
    },
    # --- RFM (issue 17) ---
    "members: RFM segmentation": {
        "task": "members.tasks.rfm_run_task",
        "cron": "0 3 * * *",
        "queue": "heavy",
    },
}
