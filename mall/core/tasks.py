from celery import shared_task

from .actors import system_actor
from .filejobs import (
    FILE_JOB_SOFT_TIME_LIMIT,
    FILE_JOB_TIME_LIMIT,
    file_job_execute,
    file_jobs_purge_expired,
)
from .idempotency import idempotency_keys_purge
from .jobs import job_run


@shared_task(bind=True, queue="default")
def idempotency_keys_purge_task(self) -> int:
    with job_run("idempotency_keys_purge", self.request.id) as run:
        run.result = {"removed": idempotency_keys_purge()}
    return run.result["removed"]


@shared_task(
    bind=True,
    queue="heavy",
    ignore_result=True,
    soft_time_limit=FILE_JOB_SOFT_TIME_LIMIT,
    time_limit=FILE_JOB_TIME_LIMIT,
)
def export_job_run_task(self, job_id: int) -> None:
    """Write a queued export for the person who asked (idempotent: ended jobs are left)."""
    from .exports import export_job_run

    file_job_execute(
        job_id=job_id,
        task_id=self.request.id or "",
        work=lambda job, progress: export_job_run(job=job, progress=progress),
    )


@shared_task(bind=True, queue="default")
def file_jobs_purge_task(self) -> int:
    """Delete export/import files past their retention time."""
    with job_run("file_jobs_purge", self.request.id) as run:
        run.result = {"purged": file_jobs_purge_expired(actor=system_actor())}
    return run.result["purged"]


SCHEDULE = {
    "core: purge expired idempotency keys": {
        "task": "mall.core.tasks.idempotency_keys_purge_task",
        "cron": "30 1 * * *",
    },
    "core: delete expired export and import files": {
        "task": "mall.core.tasks.file_jobs_purge_task",
        "cron": "15 * * * *",
        "description": "Delete the files of export/import jobs past their retention time.",
    },
}
