"""Celery tasks of the reports app (thin: each calls one service inside ``job_run``).

``SCHEDULE`` lists the default beat entries (collected by ``mall.core.schedule``):
the daily core-data report at 07:00, the weekly report on Mondays at 07:30, the monthly
report on the 1st at 08:00 (each for the last closed period; a second run finds the
archived report and does nothing), and the retention purge.
"""

from __future__ import annotations

from celery import shared_task

from mall.core.actors import system_actor
from mall.core.jobs import job_run


@shared_task(bind=True, queue="heavy", acks_late=True)
def report_generate_latest_task(self, kind: str) -> dict:
    """Generate (once) the report of ``kind`` for its last closed period."""
    from .services import report_generate_latest

    with job_run(f"reports.generate_{kind}", self.request.id) as run:
        run.result = report_generate_latest(actor=system_actor(), kind=kind)
    return run.result


@shared_task(bind=True, queue="default", acks_late=True)
def report_archives_purge_task(self) -> int:
    """Delete reports past ``reports.archive_retention_days``."""
    from .services import report_archives_purge

    with job_run("reports.archives_purge", self.request.id) as run:
        run.result = {"deleted": report_archives_purge(actor=system_actor())}
    return run.result["deleted"]


SCHEDULE: dict = {
    "reports: daily core-data report": {
        "task": "ops.reports.tasks.report_generate_latest_task",
        "cron": "0 7 * * *",
        "queue": "heavy",
        "kwargs": {"kind": "daily"},
        "description": "Yesterday's core-data report (Excel) into the archive; subscribers "
        "are notified.",
    },
    "reports: weekly report": {
        "task": "ops.reports.tasks.report_generate_latest_task",
        "cron": "30 7 * * 1",
        "queue": "heavy",
        "kwargs": {"kind": "weekly"},
        "description": "Last week's (Monday to Sunday) operations report (Excel).",
    },
    "reports: monthly report": {
        "task": "ops.reports.tasks.report_generate_latest_task",
        "cron": "0 8 1 * *",
        "queue": "heavy",
        "kwargs": {"kind": "monthly"},
        "description": "Last month's operations report (Excel).",
    },
    "reports: archive retention": {
        "task": "ops.reports.tasks.report_archives_purge_task",
        "cron": "45 5 * * *",
        "description": "Delete reports older than reports.archive_retention_days (>= 730).",
    },
}
