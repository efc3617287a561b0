"""Celery tasks of the risk app (thin: each calls one service inside ``job_run``).

``SCHEDULE`` lists the default beat entries (collected by ``mall.core.schedule``).
Each part of the app keeps its tasks in its own section below.
"""

from __future__ import annotations

from celery import shared_task

from mall.core.actors import system_actor
from mall.core.jobs import job_run

# --- rules housekeeping (rules part) ---


@shared_task(bind=True, queue="default", acks_late=True)
def attempts_purge_task(self) -> int:
    """Delete velocity attempts older than ``risk.attempt_retention_days``."""
    from .services.housekeeping import attempts_purge

    with job_run("risk.attempts_purge", self.request.id) as run:
        run.result = {"deleted": attempts_purge(actor=system_actor())}
    return run.result["deleted"]


# --- daily scan (scan part) ---


@shared_task(bind=True, queue="heavy", acks_late=True)
def risk_brushing_scan_task(self) -> dict:
    """The daily brushing scan: rings of accounts sharing a device, IP or address."""
    from .services.scan import brushing_scan

    with job_run("risk.brushing_scan", self.request.id) as run:
        run.result = brushing_scan(actor=system_actor())
    return run.result


SCHEDULE: dict = {
    # --- rules housekeeping (rules part) ---
    "risk: attempt cleanup": {
        "task": "risk.tasks.attempts_purge_task",
        "cron": "30 3 * * *",
    },
    # --- daily scan (scan part) ---
    "risk: daily brushing scan": {
        "task": "risk.tasks.risk_brushing_scan_task",
        "cron": "0 4 * * *",
        "queue": "heavy",
        "description": "Find brushing rings (accounts sharing a device, IP or address "
        "buying from one channel); open their cases and flag their orders.",
    },
}
