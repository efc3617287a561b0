"""Celery entry points of the orders app (thin: load as the system actor, call a service).

``SCHEDULE`` lists the default beat entries (collected by ``mall.core.schedule``).
"""

from __future__ import annotations

from celery import shared_task

from mall.core.actors import system_actor
from mall.core.jobs import job_run

SCHEDULE: dict = {}


# --- placement and payment (checkout) ---


@shared_task(bind=True, queue="realtime", acks_late=True)
def orders_cancel_unpaid_due_task(self) -> dict:
    """Cancel unpaid orders past their time to pay (idempotent: re-checks each order)."""
    from .services.cancellation import orders_cancel_unpaid_due

    with job_run("orders.cancel_unpaid_due", self.request.id) as run:
        run.result = {"cancelled": orders_cancel_unpaid_due(actor=system_actor())}
    return run.result


SCHEDULE["orders: auto-cancel unpaid orders"] = {
    "task": "orders.tasks.orders_cancel_unpaid_due_task",
    "cron": "* * * * *",
    "queue": "realtime",
}


# --- review, shipping, receipt ---------------------------------------------------------------


@shared_task(bind=True, queue="default", acks_late=True)
def orders_auto_confirm_due_task(self) -> int:
    """Confirm receipt of orders shipped longer ago than ``sla.order_auto_confirm_days``."""
    from .services.shipping import orders_auto_confirm_due

    with job_run("orders.orders_auto_confirm_due", self.request.id) as run:
        run.result = {"orders_completed": orders_auto_confirm_due(actor=system_actor())}
    return run.result["orders_completed"]


SCHEDULE["orders: auto-confirm receipt"] = {
    "task": "orders.tasks.orders_auto_confirm_due_task",
    "cron": "0 1 * * *",
}
