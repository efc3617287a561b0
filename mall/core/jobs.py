"""Recording Celery job runs (DESIGN.md §6: "tasks … record runs")."""

from __future__ import annotations

from contextlib import contextmanager

from django.utils import timezone

from .audit import jsonable
from .models import JobRun


@contextmanager
def job_run(name: str, task_id: str | None = None):
    """Record a run of ``name``; set ``run.result`` inside the block.

    A failure is recorded with its error and re-raised so Celery can retry.
    """
    run = JobRun.objects.create(name=name, task_id=task_id or "", status=JobRun.Status.RUNNING)
    try:
        yield run
    except Exception as exc:
        JobRun.objects.filter(pk=run.pk).update(
            status=JobRun.Status.FAILED, finished_at=timezone.now(), error=repr(exc)[:4000]
        )
        raise
    JobRun.objects.filter(pk=run.pk).update(
        status=JobRun.Status.SUCCEEDED,
        finished_at=timezone.now(),
        result=jsonable(run.result) if run.result is not None else None,
    )
