"""Celery jobs of promotions' presale part (thin: each calls one service; imported by
``orders.tasks``, whose ``SCHEDULE`` includes this module's)."""

from __future__ import annotations

from celery import shared_task

from mall.core.actors import system_actor
from mall.core.jobs import job_run

__all__ = ["presales_cancel_missed_due_task"]


@shared_task(bind=True, queue="realtime", acks_late=True)
def presales_cancel_missed_due_task(self) -> dict:
    """Cancel deposit-paid presales whose final-payment window has ended (deposit
    forfeited; idempotent: re-checks each order under its lock)."""
    from .presale import presales_cancel_missed_due

    with job_run("orders.presales_cancel_missed_due", self.request.id) as run:
        run.result = {"cancelled": presales_cancel_missed_due(actor=system_actor())}
    return run.result


SCHEDULE: dict = {
    "orders: cancel presales past their final payment": {
        "task": "orders.promotions.tasks_presale.presales_cancel_missed_due_task",
        "cron": "*/10 * * * *",
        "queue": "realtime",
        "description": "Cancel deposit-paid presales whose final-payment window has ended.",
    },
}
