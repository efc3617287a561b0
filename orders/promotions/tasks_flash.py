"""Celery jobs of promotions' flash part (thin: each calls one service; imported by
``orders.tasks``, whose ``SCHEDULE`` includes this module's)."""

from __future__ import annotations

from celery import shared_task

from mall.core.actors import system_actor
from mall.core.jobs import job_run

# ``orders.tasks`` star-imports this module: export the tasks, never ``SCHEDULE``
# (which would replace the orders app's own).
__all__ = [
    "flash_gates_reconcile_task",
    "flash_sessions_close_due_task",
    "flash_sessions_open_due_task",
]


@shared_task(bind=True, queue="realtime", acks_late=True)
def flash_sessions_open_due_task(self) -> dict:
    """Open approved flash sessions whose start has come (hold the quota, load the gate)."""
    from .flash import flash_sessions_open_due

    with job_run("promotions.flash_open_due", self.request.id) as run:
        run.result = {"opened": flash_sessions_open_due(actor=system_actor())}
    return run.result


@shared_task(bind=True, queue="realtime", acks_late=True)
def flash_sessions_close_due_task(self) -> dict:
    """End running flash sessions whose end has come (release what is still held)."""
    from .flash import flash_sessions_close_due

    with job_run("promotions.flash_close_due", self.request.id) as run:
        run.result = {"closed": flash_sessions_close_due(actor=system_actor())}
    return run.result


@shared_task(bind=True, queue="realtime", acks_late=True)
def flash_gates_reconcile_task(self) -> dict:
    """Reload the Redis gate of every running session from the database."""
    from .gate import gates_reconcile

    with job_run("promotions.flash_gates_reconcile", self.request.id) as run:
        run.result = {"loaded": gates_reconcile(actor=system_actor())}
    return run.result


SCHEDULE: dict = {
    "promotions: open flash sessions": {
        "task": "orders.promotions.tasks_flash.flash_sessions_open_due_task",
        "cron": "* * * * *",
        "queue": "realtime",
    },
    "promotions: close flash sessions": {
        "task": "orders.promotions.tasks_flash.flash_sessions_close_due_task",
        "cron": "* * * * *",
        "queue": "realtime",
    },
    "promotions: reconcile flash gates": {
        "task": "orders.promotions.tasks_flash.flash_gates_reconcile_task",
        "cron": "* * * * *",
        "queue": "realtime",
        "description": "Reload the Redis counters of running flash sales from the database.",
    },
}
