"""Celery entry points of the payments app (thin: load as the system actor, call a service).

``SCHEDULE`` lists the default beat entries (collected by ``mall.core.schedule``).
Each part of the app keeps its tasks in its own section below.
"""

from __future__ import annotations

from celery import shared_task

from mall.core.actors import system_actor
from mall.core.filejobs import FILE_JOB_SOFT_TIME_LIMIT, FILE_JOB_TIME_LIMIT
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


@shared_task(bind=True, queue="default", acks_late=True)
def payments_settlements_compute_task(self) -> dict:
    """Compute yesterday's settlements (every channel with activity that day)."""
    from .services.settlement import settlements_compute_due

    with job_run("payments.settlements_compute", self.request.id) as run:
        run.result = settlements_compute_due(actor=system_actor())
    return run.result


@shared_task(bind=True, queue="realtime", acks_late=True)
def payments_channel_health_task(self) -> dict:
    """Recompute each channel's health from the last minutes' calls; prune old samples."""
    from .services.health import channel_health_compute

    with job_run("payments.channel_health", self.request.id) as run:
        run.result = channel_health_compute(actor=system_actor())
    return run.result


# --- reconciliation ---


@shared_task(
    bind=True,
    queue="heavy",
    acks_late=True,
    ignore_result=True,
    soft_time_limit=FILE_JOB_SOFT_TIME_LIMIT,
    time_limit=FILE_JOB_TIME_LIMIT,
)
def run_reconciliation(self, reconciliation_id: int) -> str:
    """Parse, load and match one reconciliation run (a bill or a channel statement)."""
    from .services.reconciliation import reconciliation_execute

    run = reconciliation_execute(
        actor=system_actor(), reconciliation_id=reconciliation_id, task_id=self.request.id or ""
    )
    return run.status


@shared_task(bind=True, queue="default", acks_late=True)
def reconcile_yesterday(self) -> list:
    """Start yesterday's reconciliation of every reconciled, configured channel."""
    from .services.reconciliation import reconciliations_schedule_daily

    with job_run("payments.reconcile_yesterday", self.request.id) as run:
        run.result = reconciliations_schedule_daily(actor=system_actor())
    return run.result


SCHEDULE: dict = {
    "payments: query unpaid transactions": {
        "task": "payments.tasks.payments_query_due_task",
        "cron": "*/2 * * * *",
        "queue": "realtime",
        "description": "Ask the channels about transactions still unpaid; close expired ones.",
    },
    # --- settlement and channel health ---
    "payments: compute settlements": {
        "task": "payments.tasks.payments_settlements_compute_task",
        "cron": "30 2 * * *",
        "queue": "default",
        "description": "Compute yesterday's settlement of every channel with activity.",
    },
    "payments: channel health": {
        "task": "payments.tasks.payments_channel_health_task",
        "cron": "* * * * *",
        "queue": "realtime",
        "description": "Recompute channel health from recent calls; prune samples after 7 days.",
    },
    # --- refunds ---
    "payments: retry due refunds": {
        "task": "payments.tasks.refunds_retry_due_task",
        "cron": "* * * * *",
        "queue": "realtime",
        "description": "Send again refunds whose next attempt is due; query slow ones.",
    },
    # --- reconciliation ---
    "payments: reconcile yesterday's bills": {
        "task": "payments.tasks.reconcile_yesterday",
        "cron": "0 10 * * *",
        "queue": "default",
        "description": "Download and reconcile yesterday's bill of every reconciled channel.",
    },
}
