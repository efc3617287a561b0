"""Celery entry points of the orders app (thin: load as the system actor, call a service).

``SCHEDULE`` lists the default beat entries (collected by ``mall.core.schedule``).
"""

from celery import shared_task

from mall.core.actors import system_actor
from mall.core.jobs import job_run

# --- placement and payment (checkout) ---


@shared_task(bind=True, queue="realtime", acks_late=True)
def orders_cancel_unpaid_due_task(self) -> dict:
    """Cancel unpaid orders past their time to pay (idempotent: re-checks each order)."""
    from .services.cancellation import orders_cancel_unpaid_due

    with job_run("orders.cancel_unpaid_due", self.request.id) as run:
        run.result = {"cancelled": orders_cancel_unpaid_due(actor=system_actor())}
    return run.result


SCHEDULE: dict = {
    # --- placement and payment (checkout) ---
    "orders: auto-cancel unpaid orders": {
        "task": "orders.tasks.orders_cancel_unpaid_due_task",
        "cron": "* * * * *",
        "queue": "realtime",
    },
}
