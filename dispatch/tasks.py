"""Celery entry points of dispatch (thin: system actor, one service, a recorded run)."""

from celery import shared_task

from mall.core.actors import system_actor
from mall.core.jobs import job_run

from . import services


@shared_task(bind=True, queue="default", acks_late=True)
def stock_snapshots_reconcile_task(self) -> dict:
    """Reconcile every pending stock snapshot (idempotent: reconciled ones are skipped)."""
    with job_run("dispatch.stock_snapshots_reconcile", self.request.id) as run:
        run.result = services.stock_snapshots_reconcile_pending(actor=system_actor())
    return run.result


@shared_task(bind=True, queue="default", acks_late=True)
def low_stock_alerts_send_task(self) -> dict:
    """Notify product owners of low stock (deduplicated per SKU and day)."""
    with job_run("dispatch.low_stock_alerts_send", self.request.id) as run:
        run.result = services.low_stock_alerts_send(actor=system_actor())
    return run.result


@shared_task(bind=True, queue="default", acks_late=True)
def shipments_flag_stale_task(self) -> dict:
    """Flag shipped parcels without tracking events for the silence period."""
    with job_run("dispatch.shipments_flag_stale", self.request.id) as run:
        run.result = {"flagged": services.shipments_flag_stale(actor=system_actor())}
    return run.result


SCHEDULE = {
    "dispatch: inventory sync reconciliation": {
        "task": "dispatch.tasks.stock_snapshots_reconcile_task",
        "cron": "5 * * * *",
        "queue": "default",
    },
    "dispatch: low-stock alerts": {
        "task": "dispatch.tasks.low_stock_alerts_send_task",
        "cron": "15 * * * *",
        "queue": "default",
    },
    "dispatch: logistics staleness": {
        "task": "dispatch.tasks.shipments_flag_stale_task",
        "cron": "25 * * * *",
        "queue": "default",
    },
}
