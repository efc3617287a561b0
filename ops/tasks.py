"""Celery entry points of ops (thin: load, call one service, record the run)."""

from celery import shared_task
from django.conf import settings
from django.db import connection

from mall.core.actors import system_actor
from mall.core.jobs import job_run

from .services import audit_entries_purge


@shared_task(bind=True, queue="realtime")
def heartbeat_task(self, note: str = "") -> dict:
    """Prove a worker can reach the database: record a run and answer with it."""
    with job_run("heartbeat", self.request.id) as run:
        run.result = {"note": note, "database": connection.settings_dict["NAME"]}
    return {"job_run_id": run.pk, **run.result}


@shared_task(bind=True, queue="default")
def audit_entries_purge_task(self) -> int:
    with job_run("audit_entries_purge", self.request.id) as run:
        days = getattr(settings, "AUDIT_RETENTION_DAYS", 365)
        run.result = {"removed": audit_entries_purge(actor=system_actor(), retention_days=days)}
    return run.result["removed"]


SCHEDULE = {
    "ops: audit log retention": {
        "task": "ops.tasks.audit_entries_purge_task",
        "cron": "0 1 * * *",
    },
}
