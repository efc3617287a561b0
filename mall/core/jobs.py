"""Recording Celery job runs (DESIGN.md §6: "tasks … record runs")."""

from __future__ import annotations

from contextlib import contextmanager

from django.utils import timezone

from .audit import jsonable
from .models import JobRun
from .transitions import register_transitions, transition_update

JOB_RUN_TRANSITIONS = register_transitions(
    JobRun,
    {
        JobRun.Status.RUNNING: {JobRun.Status.SUCCEEDED, JobRun.Status.FAILED},
        JobRun.Status.SUCCEEDED: set(),
        JobRun.Status.FAILED: set(),
    },
    initial=[JobRun.Status.RUNNING],
)


@contextmanager
def job_run(name: str, task_id: str | None = None):
    """Record a run of ``name``; set ``run.result`` inside the block.

    A failure is recorded with its error and re-raised so Celery can retry.
    """
    run = JobRun.objects.create(name=name, task_id=task_id or "", status=JobRun.Status.RUNNING)
    try:
        yield run
    except Exception as exc:
        transition_update(
            JobRun.objects.filter(pk=run.pk),
            JobRun.Status.FAILED,
            finished_at=timezone.now(),
            error=repr(exc)[:4000],  # a diagnostic excerpt, not data anybody typed
        )
        raise
    transition_update(
        JobRun.objects.filter(pk=run.pk),
        JobRun.Status.SUCCEEDED,
        finished_at=timezone.now(),
        result=jsonable(run.result) if run.result is not None else None,
    )
