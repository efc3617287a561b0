"""Celery tasks of monitoring (thin: each calls one service inside ``job_run``).

``SCHEDULE`` lists the default beat entries (collected by ``mall.core.schedule``).
"""

from __future__ import annotations

from celery import shared_task

from mall.core.actors import system_actor
from mall.core.jobs import job_run


@shared_task(bind=True, queue="realtime", acks_late=True)
def alerts_evaluate_task(self) -> dict:
    """Read the metrics; fire and resolve alerts; notify on-call staff (idempotent)."""
    from .services.alerts import alerts_evaluate

    with job_run("monitoring.alerts_evaluate", self.request.id) as run:
        run.result = alerts_evaluate(actor=system_actor())
    return run.result


SCHEDULE: dict = {
    "monitoring: evaluate alert rules": {
        "task": "ops.monitoring.tasks.alerts_evaluate_task",
        "cron": "* * * * *",
        "queue": "realtime",
        "description": "Read the monitoring metrics, fire and resolve alerts, notify on-call "
        "staff once per alert.",
    },
}
