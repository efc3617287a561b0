"""Celery entry points of ops (thin: load, call one service, record the run)."""

from celery import shared_task
from django.db import connection

from mall.core.actors import system_actor
from mall.core.jobs import job_run

from .audit_chain import audit_entries_seal, audit_seal_request_clear, audit_unsealed_status
from .parameters import get_parameter
from .services.audit import audit_entries_purge
from .services.sla import sla_scan


@shared_task(bind=True, queue="realtime")
def heartbeat_task(self, note: str = "") -> dict:
    """Prove a worker can reach the database: record a run and answer with it."""
    with job_run("heartbeat", self.request.id) as run:
        run.result = {"note": note, "database": connection.settings_dict["NAME"]}
    return {"job_run_id": run.pk, **run.result}


@shared_task(bind=True, queue="default", acks_late=True)
def audit_entries_purge_task(self) -> int:
    """Cut audit entries older than the ``ops.audit_retention_days`` parameter."""
    with job_run("audit_entries_purge", self.request.id) as run:
        days = get_parameter("ops.audit_retention_days")
        run.result = {
            "retention_days": days,
            "removed": audit_entries_purge(actor=system_actor(), retention_days=days),
        }
    return run.result["removed"]


@shared_task(queue="realtime", acks_late=True, ignore_result=True)
def audit_entries_seal_task() -> int:
    """Seal committed audit entries: requested on commit by every audited transaction.

    Not recorded as a job run (it runs after every audited write); idempotent.
    """
    audit_seal_request_clear()  # before looking: a request arriving now enqueues anew
    return audit_entries_seal()


@shared_task(bind=True, queue="realtime", acks_late=True)
def audit_entries_seal_safety_task(self) -> dict:
    """The per-minute safety net: seal whatever the on-commit requests left over."""
    with job_run("audit_entries_seal", self.request.id) as run:
        sealed = audit_entries_seal()
        unsealed, overdue, oldest = audit_unsealed_status()
        run.result = {
            "sealed": sealed,
            "unsealed": unsealed,
            "overdue": overdue,
            "oldest_unsealed_seconds": round(oldest, 1),
        }
    return run.result


@shared_task(bind=True, queue="realtime", acks_late=True)
def sla_scan_task(self) -> dict:
    """Mark overdue SLA clocks breached and escalate each breach once (idempotent)."""
    with job_run("sla_scan", self.request.id) as run:
        report = sla_scan(actor=system_actor())
        run.result = {
            "breached": report.breached,
            "escalated": report.escalated,
            "notified": report.notified,
        }
    return run.result


SCHEDULE = {
    "ops: audit log retention": {
        "task": "ops.tasks.audit_entries_purge_task",
        "cron": "0 1 * * *",
    },
    "ops: audit chain sealing (safety net)": {
        "task": "ops.tasks.audit_entries_seal_safety_task",
        "cron": "* * * * *",
        "queue": "realtime",
    },
    "ops: SLA scan and escalation": {
        "task": "ops.tasks.sla_scan_task",
        "cron": "* * * * *",
        "queue": "realtime",
    },
}
