"""Celery entry points of the orders app (thin: load as the system actor, call a service).

``SCHEDULE`` lists the default beat entries (collected by ``mall.core.schedule``).
"""

from celery import shared_task

from mall.core.actors import system_actor
from mall.core.jobs import job_run

# --- after-sales and reviews ---


@shared_task(bind=True, queue="default", acks_late=True)
def slow_movers_report_task(self) -> int:
    """Tell product owners about their slow movers (one notice per owner per day)."""
    from .services.reviews import slow_movers_report

    with job_run("orders.slow_movers_report", self.request.id) as run:
        notified = slow_movers_report(actor=system_actor())
        run.result = {"notified": notified}
    return notified


SCHEDULE: dict = {
    # --- after-sales and reviews ---
    "orders: slow movers": {
        "task": "orders.tasks.slow_movers_report_task",
        "cron": "0 3 * * *",
        "queue": "default",
        "description": "List on-shelf products without a sale to their owners.",
    },
}
