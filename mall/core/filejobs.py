"""Exports and imports run as background jobs (``FileJob``), with progress and a private file.

* An app asks for a job with :func:`file_job_create` (the export mixin does it for
  exports above ``core.export_sync_max_rows``; catalog for every Excel import). The
  Celery task is enqueued on the ``heavy`` queue after commit and receives the job id
  only — never a queryset or a file.
* The task moves the job ``queued → running → succeeded | failed`` through the
  kernel's ``transition()`` and ``FILE_JOB_TRANSITIONS`` (audited, system actor),
  reports progress with a :class:`ProgressReporter` and stores the result in private
  storage
  (``PRIVATE_MEDIA_ROOT``, never under ``MEDIA_URL``).
* Only the person who asked sees the job and downloads its file
  (:func:`file_job_get`: anybody else gets "not found"); the download is audited
  (``file_job.download``). Files are deleted ``core.file_job_retention_hours`` after the
  job ends (:func:`file_jobs_purge_expired`, hourly); the row stays, its download
  then answers 410 ``job_file_expired``.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.core.files.base import File
from django.db import DatabaseError, connections, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .actors import system_actor
from .audit import audit, jsonable
from .exceptions import ApplicationError, Conflict, NotFound
from .models import FileJob
from .parameters import FILE_JOB_RETENTION_HOURS, kernel_parameter
from .permissions import is_staff_user
from .transitions import register_transitions, transition

logger = logging.getLogger(__name__)

Status = FileJob.Status

# A redelivered task (worker lost: acks_late) finds its job running and starts it over.
FILE_JOB_TRANSITIONS = register_transitions(
    FileJob,
    {
        Status.QUEUED: {Status.RUNNING, Status.FAILED},
        Status.RUNNING: {Status.RUNNING, Status.SUCCEEDED, Status.FAILED},
        Status.SUCCEEDED: set(),
        Status.FAILED: set(),
    },
)


class FileJobNotFound(NotFound):
    code = "job_not_found"
    default_message = _("No such job.")


class FileJobNotFinished(Conflict):
    code = "job_not_finished"
    default_message = _("The job has not finished yet.")


class FileJobFileExpired(ApplicationError):
    code = "job_file_expired"
    status_code = 410
    default_message = _("The file of this job has been deleted; start the job again.")


def _transition(job: FileJob, to: str, *, actor, action: str, **fields) -> FileJob:
    """Move ``job`` to ``to`` through the kernel helper (checks the table, audits)."""
    transition(job, to, actor=actor, action=action, **fields)
    return job


# --- selectors ---------------------------------------------------------------------------


def file_job_list(*, actor) -> QuerySet[FileJob]:
    """Return the jobs ``actor`` asked for, newest first (nobody sees another's jobs)."""
    if not is_staff_user(actor):
        return FileJob.objects.none()
    return FileJob.objects.filter(requested_by=actor).order_by("-id")


def file_job_get(*, actor, pk) -> FileJob:
    """Return one of ``actor``'s jobs; raise ``FileJobNotFound`` for any other id."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise FileJobNotFound() from None
    job = file_job_list(actor=actor).filter(pk=pk).first()
    if job is None:
        raise FileJobNotFound()
    return job


# --- services ----------------------------------------------------------------------------


def file_job_create(
    *,
    actor,
    kind: str,
    name: str,
    task,
    parameters: dict | None = None,
    input_file: File | None = None,
    input_name: str = "",
) -> FileJob:
    """Record a job for ``actor`` and enqueue ``task(job_id)`` on the heavy queue on commit.

    ``parameters`` must hold what the task needs to redo the work and no personal data
    in plain text. ``input_file`` (an upload) is copied into private storage.
    Audited as ``file_job.request``.
    """
    with transaction.atomic():
        job = FileJob.objects.create(
            kind=kind, name=name[:150], requested_by=actor, parameters=jsonable(parameters or {})
        )
        if input_file is not None:
            stored = (input_name or getattr(input_file, "name", "") or "upload").rsplit("/")[-1]
            job.input_file.save(f"{job.pk}-{stored[-120:]}", input_file, save=False)
            job.save(update_fields=["input_file"])
        audit(
            actor=actor,
            action="file_job.request",
            target=job,
            data={"kind": kind, "name": job.name, "parameters": job.parameters},
        )
        job_id = job.pk
        transaction.on_commit(lambda: task.apply_async(args=[job_id], queue="heavy"))
    return job


def file_job_start(*, actor, job_id: int, task_id: str = "") -> FileJob | None:
    """Mark the job running and return it; ``None`` when it already ended (idempotent).

    ``actor`` is the system actor: the bookkeeping is the job runner's; the work
    itself acts as the job's owner.
    """
    with transaction.atomic():
        job = (
            FileJob.objects.select_for_update()
            .select_related("requested_by")
            .filter(pk=job_id)
            .first()
        )
        if job is None or job.status in (Status.SUCCEEDED, Status.FAILED):
            return None
        return _transition(
            job,
            Status.RUNNING,
            actor=actor,
            action="file_job.start",
            started_at=timezone.now(),
            task_id=(task_id or "")[:64],
            progress=0,
            rows_done=0,
        )


def _expiry():
    return timezone.now() + timedelta(hours=kernel_parameter(FILE_JOB_RETENTION_HOURS))


def file_job_succeed(
    *, actor, job: FileJob, result: dict, file: File | None = None, file_name: str = ""
) -> FileJob:
    """Store the result (and its file) and mark the job succeeded at 100 %."""
    with transaction.atomic():
        if file is not None:
            job.result_file.save(f"{job.pk}-{file_name}", file, save=False)
            job.result_name = file_name[:200]
        rows = job.rows_total if job.rows_total is not None else job.rows_done
        return _transition(
            job,
            Status.SUCCEEDED,
            actor=actor,
            action="file_job.succeed",
            result=jsonable(result),
            progress=100,
            rows_done=rows,
            rows_total=rows,
            finished_at=timezone.now(),
            expires_at=_expiry(),
            result_file=job.result_file,
            result_name=job.result_name,
        )


def file_job_fail(
    *,
    actor,
    job: FileJob,
    error: str,
    result: dict | None = None,
    file: File | None = None,
    file_name: str = "",
) -> FileJob:
    """Mark the job failed with a message for its owner (and e.g. an error report file)."""
    with transaction.atomic():
        job.refresh_from_db(fields=["status"])
        if job.status in (Status.SUCCEEDED, Status.FAILED):
            return job
        if file is not None:
            job.result_file.save(f"{job.pk}-{file_name}", file, save=False)
            job.result_name = file_name[:200]
        return _transition(
            job,
            Status.FAILED,
            actor=actor,
            action="file_job.fail",
            error=str(error)[:4000],
            result=jsonable(result or {}),
            finished_at=timezone.now(),
            expires_at=_expiry(),
            result_file=job.result_file,
            result_name=job.result_name,
        )


def file_job_download(*, actor, job: FileJob) -> tuple[File, str]:
    """Open the job's file for its owner; audited as ``file_job.download``.

    Raises ``FileJobNotFinished`` while it runs and ``FileJobFileExpired`` once the
    retention clean-up removed it (or a job that produced no file).
    """
    if job.requested_by_id != getattr(actor, "pk", None):
        raise FileJobNotFound()
    if job.status in (Status.QUEUED, Status.RUNNING):
        raise FileJobNotFinished()
    if not job.result_file:
        raise FileJobFileExpired()
    try:
        handle = job.result_file.open("rb")
    except FileNotFoundError:
        raise FileJobFileExpired() from None
    with transaction.atomic():
        audit(
            actor=actor,
            action="file_job.download",
            target=job,
            data={"kind": job.kind, "name": job.name, "file": job.result_name},
        )
    return handle, job.result_name or f"job-{job.pk}"


def file_jobs_purge_expired(*, actor, now=None) -> int:
    """Delete the files of jobs past ``expires_at``; keep the rows. Return the jobs purged.

    Audited once per run (``file_job.purge``, the job ids) when anything was deleted.
    """
    now = now or timezone.now()
    expired = FileJob.objects.filter(expires_at__lte=now).exclude(result_file="", input_file="")
    purged_ids = []
    for job in expired.iterator(chunk_size=200):
        for field in (job.result_file, job.input_file):
            if field:
                field.delete(save=False)
        FileJob.objects.filter(pk=job.pk).update(result_file="", input_file="")
        purged_ids.append(job.pk)
    if purged_ids:
        with transaction.atomic():
            audit(
                actor=actor,
                action="file_job.purge",
                object_type=FileJob._meta.label_lower,
                data={"jobs": purged_ids},
            )
    return len(purged_ids)


class ProgressReporter:
    """Write a running job's progress (percent, rows done) where its owner can see it.

    ``job`` is a ``FileJob`` or any other job row with the same three columns
    (``progress``, ``rows_done``, ``rows_total``) — payments' reconciliation runs use it.

    Writes at most once per percent. Inside a transaction on PostgreSQL (an import
    applies every row or none in one transaction) the write goes through a second,
    autocommit connection so it is visible before the transaction commits; the job
    row is never written by the main connection meanwhile, so nothing waits on it.
    """

    def __init__(self, job: FileJob, rows_total: int | None = None):
        self.job = job
        self.rows_total = rows_total
        self._last: tuple[int, int] | None = None
        self._side = None

    def __call__(self, rows_done: int, rows_total: int | None = None) -> None:
        if rows_total is not None:
            self.rows_total = rows_total
        total = self.rows_total or 0
        percent = min(99, rows_done * 100 // total) if total else 0
        if self._last is not None and self._last[0] == percent and rows_done < total:
            return
        self._last = (percent, rows_done)
        values = {"progress": percent, "rows_done": rows_done, "rows_total": self.rows_total}
        self.job.progress, self.job.rows_done, self.job.rows_total = (
            percent,
            rows_done,
            self.rows_total,
        )
        connection = transaction.get_connection()
        if connection.in_atomic_block and connection.vendor == "postgresql":
            self._write_outside(values)
        else:
            type(self.job)._default_manager.filter(pk=self.job.pk).update(**values)

    def _write_outside(self, values: dict) -> None:
        try:
            if self._side is None:
                self._side = connections.create_connection("default")
                with self._side.cursor() as cursor:
                    cursor.execute("SET lock_timeout = '2s'")
            with self._side.cursor() as cursor:
                table = self._side.ops.quote_name(type(self.job)._meta.db_table)
                cursor.execute(
                    f"UPDATE {table} SET progress = %s, rows_done = %s, rows_total = %s "  # noqa: S608
                    "WHERE id = %s",
                    [values["progress"], values["rows_done"], values["rows_total"], self.job.pk],
                )
        except DatabaseError:  # progress is informative; the job goes on
            logger.warning("job %s: progress not written", self.job.pk, exc_info=True)

    def close(self) -> None:
        if self._side is not None:
            self._side.close()
            self._side = None


# Task limits of every file job: a hard limit well above the largest file accepted, and a
# soft one that lets the job record its failure before the worker kills the task.
FILE_JOB_SOFT_TIME_LIMIT = 50 * 60
FILE_JOB_TIME_LIMIT = 55 * 60

GENERIC_FAILURE = _("The job failed unexpectedly; it has been logged. Try again or ask support.")


def file_job_execute(*, job_id: int, task_id: str, work) -> FileJob | None:
    """The body of every file-job task: start, run ``work(job, progress)``, record the end.

    ``work`` writes the result through :func:`file_job_succeed` / :func:`file_job_fail`
    itself. A domain refusal fails the job with its message; any other error (also a
    Celery soft time limit) fails it with a generic message and is logged — the owner
    sees the outcome on the job, so nothing is re-raised to the broker (a retry would
    not fix a bad file or a lost permission).
    """
    system = system_actor()
    job = file_job_start(actor=system, job_id=job_id, task_id=task_id)
    if job is None:
        return None
    progress = ProgressReporter(job)
    try:
        work(job, progress)
    except ApplicationError as exc:
        file_job_fail(actor=system, job=job, error=exc.message, result={"code": exc.code})
    except Exception:  # a task records its final failure
        logger.exception("file job %s (%s) failed", job.pk, job.name)
        file_job_fail(
            actor=system, job=job, error=str(GENERIC_FAILURE), result={"code": "job_failed"}
        )
    finally:
        progress.close()
    job.refresh_from_db()
    return job
