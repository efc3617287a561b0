"""Celery entry points of the payments app (thin: load as the system actor, call a service).

``SCHEDULE`` lists the default beat entries (collected by ``mall.core.schedule``).
Each part of the app keeps its tasks in its own section below.
"""

from __future__ import annotations

from celery import shared_task

from mall.core.actors import system_actor
from mall.core.jobs import job_run

# --- transactions and callbacks ---


@shared_task(bind=True, queue="realtime", acks_late=True)
def payments_query_due_task(self) -> dict:
    """Ask the channels about transactions still unpaid; close the expired ones."""
    from .services.transactions import transactions_query_due

    with job_run("payments.query_due", self.request.id) as run:
        run.result = transactions_query_due(actor=system_actor())
    return run.result


# --- refunds ---


@shared_task(bind=True, queue="realtime", acks_late=True)
def send_refund(self, refund_pk: int) -> str:
    """Send one refund to its channel (after the refund's transaction committed)."""
    from .models import Refund
    from .services.refunds import refund_send

    refund = Refund.objects.filter(pk=refund_pk).first()
    if refund is None:
        return "missing"
    return refund_send(actor=system_actor(), refund=refund).status


@shared_task(bind=True, queue="realtime", acks_late=True)
def refunds_retry_due_task(self) -> dict:
    """Send again refunds whose next attempt is due; query those processing too long."""
    from .services.refunds import refunds_retry_due

    with job_run("payments.refunds_retry_due", self.request.id) as run:
        run.result = refunds_retry_due(actor=system_actor())
    return run.result


# --- settlement and channel health ---


SCHEDULE: dict = {
    "payments: query unpaid transactions": {
        "task": "payments.tasks.payments_query_due_task",
        "cron": "*/2 * * * *",
        "queue": "realtime",
        "description": "Ask the channels about transactions still unpaid; close expired ones.",
    },
    # --- refunds ---
    "payments: retry due refunds": {
        "task": "payments.tasks.refunds_retry_due_task",
        "cron": "* * * * *",
        "queue": "realtime",
        "description": "Send again refunds whose next attempt is due; query slow ones.",
    },
}
