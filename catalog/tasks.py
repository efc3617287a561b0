"""Celery entry points of the catalog (thin: call one service, record the run)."""

from celery import shared_task

from mall.core.actors import system_actor
from mall.core.jobs import job_run

from .services import products_publish_scheduled


@shared_task(bind=True, queue="realtime", acks_late=True)
def products_publish_scheduled_task(self) -> list[int]:
    """Put approved products whose listing time has come on shelf (idempotent)."""
    with job_run("catalog.products_publish_scheduled", self.request.id) as run:
        published = products_publish_scheduled(actor=system_actor())
        run.result = {"published": published}
    return published


SCHEDULE = {
    "catalog: publish scheduled listings": {
        "task": "catalog.tasks.products_publish_scheduled_task",
        "cron": "* * * * *",
        "queue": "realtime",
        "description": "Put approved products on shelf at their scheduled listing time.",
    },
}
