"""Celery entry points of the catalog (thin: call one service, record the run)."""

from celery import shared_task

from mall.core.actors import system_actor
from mall.core.filejobs import FILE_JOB_SOFT_TIME_LIMIT, FILE_JOB_TIME_LIMIT, file_job_execute
from mall.core.jobs import job_run

from .services import products_publish_scheduled


@shared_task(bind=True, queue="realtime", acks_late=True)
def products_publish_scheduled_task(self) -> list[int]:
    """Put approved products whose listing time has come on shelf (idempotent)."""
    with job_run("catalog.products_publish_scheduled", self.request.id) as run:
        published = products_publish_scheduled(actor=system_actor())
        run.result = {"published": published}
    return published


@shared_task(
    bind=True,
    queue="heavy",
    ignore_result=True,
    soft_time_limit=FILE_JOB_SOFT_TIME_LIMIT,
    time_limit=FILE_JOB_TIME_LIMIT,
)
def product_import_job_task(self, job_id: int) -> None:
    """Check and apply an uploaded Excel import for the person who uploaded it."""
    from .excel import product_import_job_run

    file_job_execute(
        job_id=job_id,
        task_id=self.request.id or "",
        work=lambda job, progress: product_import_job_run(job=job, progress=progress),
    )


@shared_task(
    bind=True,
    queue="heavy",
    ignore_result=True,
    soft_time_limit=FILE_JOB_SOFT_TIME_LIMIT,
    time_limit=FILE_JOB_TIME_LIMIT,
)
def product_export_job_task(self, job_id: int) -> None:
    """Write a large product export for the person who asked."""
    from .excel import product_export_job_run

    file_job_execute(
        job_id=job_id,
        task_id=self.request.id or "",
        work=lambda job, progress: product_export_job_run(job=job, progress=progress),
    )


SCHEDULE = {
    "catalog: publish scheduled listings": {
        "task": "catalog.tasks.products_publish_scheduled_task",
        "cron": "* * * * *",
        "queue": "realtime",
        "description": "Put approved products on shelf at their scheduled listing time.",
    },
}
