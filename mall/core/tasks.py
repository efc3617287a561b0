from celery import shared_task

from .idempotency import idempotency_keys_purge
from .jobs import job_run


@shared_task(bind=True, queue="default")
def idempotency_keys_purge_task(self) -> int:
    with job_run("idempotency_keys_purge", self.request.id) as run:
        run.result = {"removed": idempotency_keys_purge()}
    return run.result["removed"]


SCHEDULE = {
    "core: purge expired idempotency keys": {
        "task": "mall.core.tasks.idempotency_keys_purge_task",
        "cron": "30 1 * * *",
    },
}
