"""Celery jobs of promotions' campaigns part (thin: each calls one service; imported by
``orders.tasks``, whose ``SCHEDULE`` includes this module's)."""

from __future__ import annotations

from celery import shared_task

from mall.core.actors import system_actor
from mall.core.jobs import job_run


@shared_task(bind=True, queue="default", acks_late=True)
def campaigns_open_due_task(self) -> dict:
    """Start approved campaigns whose start has come (idempotent)."""
    from .campaigns import campaigns_open_due

    with job_run("orders.campaigns_open_due", self.request.id) as run:
        run.result = {"opened": campaigns_open_due(actor=system_actor())}
    return run.result


@shared_task(bind=True, queue="default", acks_late=True)
def campaigns_close_due_task(self) -> dict:
    """End running campaigns whose end has come (idempotent)."""
    from .campaigns import campaigns_close_due

    with job_run("orders.campaigns_close_due", self.request.id) as run:
        run.result = {"closed": campaigns_close_due(actor=system_actor())}
    return run.result


SCHEDULE: dict = {
    "orders: open campaigns": {
        "task": "orders.promotions.tasks_campaigns.campaigns_open_due_task",
        "cron": "* * * * *",
        "queue": "default",
        "description": "Start approved campaigns at their start time.",
    },
    "orders: close campaigns": {
        "task": "orders.promotions.tasks_campaigns.campaigns_close_due_task",
        "cron": "* * * * *",
        "queue": "default",
        "description": "End running campaigns at their end time.",
    },
}
