"""Celery tasks of customer service (thin: each calls one service inside ``job_run``).

``SCHEDULE`` lists the default beat entries (collected by ``mall.core.schedule``). SLA
breaches of tickets need no task here: the ops per-minute SLA scan marks and escalates
them like every clock.
"""

from __future__ import annotations

from celery import shared_task

from mall.core.actors import system_actor
from mall.core.jobs import job_run


@shared_task(bind=True, queue="default", acks_late=True)
def tickets_auto_close_task(self) -> int:
    """Close resolved tickets the member left unanswered (``tickets.auto_close_days``)."""
    from .services.tickets import tickets_auto_close

    with job_run("tickets.auto_close", self.request.id) as run:
        run.result = {"closed": tickets_auto_close(actor=system_actor())}
    return run.result["closed"]


SCHEDULE: dict = {
    "tickets: close resolved tickets": {
        "task": "ops.tickets.tasks.tickets_auto_close_task",
        "cron": "15 1 * * *",
        "description": "Close resolved customer service tickets the member did not answer "
        "within tickets.auto_close_days; the member may rate them then.",
    },
}
