"""RBAC Celery jobs: expiry of time-limited grants (hourly), the access review (monthly)."""

from __future__ import annotations

from celery import shared_task

from mall.core.actors import system_actor
from mall.core.jobs import job_run

from .services import (
    access_review_generate,
    permission_requests_expire,
    role_assignments_expire,
)

SCHEDULE = {
    "rbac: revoke expired role grants": {
        "task": "rbac.tasks.role_assignments_expire_task",
        "cron": "5 * * * *",
        "queue": "default",
        "description": "Revoke role assignments whose expiry has passed; close pending "
        "requests whose requested expiry has passed.",
    },
    "rbac: monthly access review": {
        "task": "rbac.tasks.access_review_generate_task",
        "cron": "30 0 1 * *",
        "queue": "default",
        "description": "Produce this month's access review for sign-off.",
    },
}


@shared_task(acks_late=True)
def role_assignments_expire_task() -> int:
    """Revoke every expired role assignment and close pending requests that expired.

    Idempotent: nothing left to do on a rerun. Returns the number of revoked grants.
    """
    with job_run("rbac.role_assignments_expire", role_assignments_expire_task.request.id) as run:
        actor = system_actor()
        count = role_assignments_expire(actor=actor)
        closed = permission_requests_expire(actor=actor)
        run.result = {"revoked": count, "requests_closed": closed}
    return count


@shared_task(acks_late=True)
def access_review_generate_task() -> int:
    """Produce this month's access review (idempotent per month); return its id."""
    with job_run("rbac.access_review_generate", access_review_generate_task.request.id) as run:
        review = access_review_generate(actor=system_actor())
        run.result = {"review": review.pk, "period": review.period}
    return review.pk
