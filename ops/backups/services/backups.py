"""Backups: run one (daily, or full on Sunday), copy it offsite, prune by retention.

Artifacts live under ``BACKUP_DIR/<kind>/<day>/`` (the audit anchors file at the top of
``BACKUP_DIR`` is left alone): the database file (``.dump`` for PostgreSQL, ``.sqlite3``
for SQLite), for a full backup ``media.tar.gz`` as well, each with a ``.sha256`` sidecar,
and beside the database file a ``.manifest.json`` (kind, engine, rows per table, audit
chain head) so a file can be restored and verified without the database row. The
offsite copy goes to the same relative path under ``BACKUP_OFFSITE_DIR`` and is read
back and checked against the checksum.
"""

from __future__ import annotations

import tarfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from mall.core.actors import is_system_actor
from mall.core.audit import audit
from mall.core.transitions import transition
from ops.parameters import get_parameter

from .. import engines
from ..exceptions import BackupFailed
from ..files import backup_kind_for, backup_root, offsite_root, server_paths_hidden
from ..models import Backup
from ..parameters import DAILY_RETENTION_DAYS, FULL_RETENTION_WEEKS
from ..permissions import ensure_may_run

STALE_RUNNING = timedelta(hours=6)  # a running backup older than this died with its worker


def backup_run(
    *,
    actor,
    kind: str | None = None,
    scheduled: bool = True,
    now: datetime | None = None,
    prune: bool = True,
) -> Backup:
    """Back up the database (and, for a full backup, the media files); return the row.

    ``kind`` defaults to full on Sunday and daily otherwise. A ``scheduled`` run is
    idempotent: a scheduled backup that already succeeded (or is running) for the day
    and kind is returned as it is; a running one older than six hours is marked failed
    and a new one starts. An on-demand run (``scheduled=False``) always backs up. Copies
    every artifact offsite when ``BACKUP_OFFSITE_DIR`` is set and verifies the copy.
    Prunes old backups afterwards (``backup_prune``). Raises
    :class:`BackupPermissionDenied` without ``backups.run_backup`` and
    :class:`BackupFailed` (after recording the failure) when a step fails.
    """
    ensure_may_run(actor)
    now = now or timezone.now()
    day = timezone.localdate(now)
    kind = kind or backup_kind_for(day)
    backup, created = _backup_start(actor=actor, kind=kind, day=day, now=now, scheduled=scheduled)
    if not created:
        return backup  # already done (or being done) for this day and kind
    started = time.monotonic()
    try:
        fields = _backup_write(backup)
    except (*engines.RESTORE_ERRORS, ValueError, tarfile.TarError) as exc:
        with transaction.atomic():
            transition(
                backup,
                Backup.Status.FAILED,
                actor=actor,
                action="backups.backup_fail",
                finished_at=timezone.now(),
                duration_seconds=round(time.monotonic() - started, 3),
                error=server_paths_hidden(f"{type(exc).__name__}: {exc}")[:4000],
            )
        raise BackupFailed(extra={"backup_id": backup.pk}) from exc
    with transaction.atomic():
        transition(
            backup,
            Backup.Status.SUCCEEDED,
            actor=actor,
            action="backups.backup_succeed",
            finished_at=timezone.now(),
            duration_seconds=round(time.monotonic() - started, 3),
            **fields,
        )
    if prune:
        backup_prune(actor=actor, now=now)
    return backup


def _backup_start(
    *, actor, kind: str, day: date, now: datetime, scheduled: bool
) -> tuple[Backup, bool]:
    live = [Backup.Status.RUNNING, Backup.Status.SUCCEEDED]
    trigger = Backup.Trigger.SCHEDULE if scheduled else Backup.Trigger.MANUAL
    with transaction.atomic():
        existing = None
        if scheduled:
            existing = (
                Backup.objects.select_for_update()
                .filter(day=day, kind=kind, trigger=trigger, status__in=live)
                .first()
            )
        if existing is not None:
            if (
                existing.status == Backup.Status.SUCCEEDED
                or existing.started_at > now - STALE_RUNNING
            ):
                return existing, False
            transition(
                existing,
                Backup.Status.FAILED,
                actor=actor,
                action="backups.backup_fail",
                finished_at=now,
                error="abandoned: still running after six hours (worker stopped)",
            )
        try:
            with transaction.atomic():
                backup = Backup.objects.create(
                    kind=kind,
                    trigger=trigger,
                    status=Backup.Status.RUNNING,
                    day=day,
                    engine=engines.engine_name(),
                    started_at=now,
                    requested_by=None if is_system_actor(actor) else actor,
                )
        except IntegrityError:  # another worker started it a moment ago
            return Backup.objects.get(day=day, kind=kind, trigger=trigger, status__in=live), False
        audit(actor=actor, action="backups.backup_start", target=backup, data={"kind": kind})
    return backup, True


def _backup_write(backup: Backup) -> dict:
    """Write the artifacts of ``backup``; return the fields to record on success."""
    stamp = timezone.localtime(backup.started_at).strftime("%Y%m%dT%H%M%S")
    relative = Path(backup.kind) / f"{backup.day:%Y-%m-%d}"
    for folder in (backup_root(), backup_root() / backup.kind):
        engines.private_dir(folder)
    folder = engines.private_dir(backup_root() / relative)
    suffix = "dump" if backup.engine == "postgresql" else "sqlite3"
    database_file = folder / f"mall-{backup.kind}-{stamp}-{backup.pk}.{suffix}"
    counts, head = engines.dump_database(database_file)
    digest = engines.sha256_file(database_file)
    engines.write_sidecar(database_file, digest)
    engines.write_manifest(
        database_file,
        {
            "backup_id": backup.pk,
            "kind": backup.kind,
            "engine": backup.engine,
            "day": f"{backup.day:%Y-%m-%d}",
            "sha256": digest,
            "table_counts": counts,
            "audit_head_seq": head,
        },
    )
    size = database_file.stat().st_size
    fields = {
        "database_path": str(database_file),
        "sha256": digest,
        "table_counts": counts,
        "audit_head_seq": head,
    }
    files = [(database_file, digest)]
    if backup.kind == Backup.Kind.FULL:
        media_file = folder / f"mall-media-{stamp}-{backup.pk}.tar.gz"
        engines.media_archive(media_file)
        media_digest = engines.sha256_file(media_file)
        engines.write_sidecar(media_file, media_digest)
        size += media_file.stat().st_size
        fields.update(media_path=str(media_file), media_sha256=media_digest)
        files.append((media_file, media_digest))
    fields["size_bytes"] = size
    offsite = offsite_root()
    if offsite is not None:
        for folder in (offsite, offsite / backup.kind):
            engines.private_dir(folder)
        for file, file_digest in files:
            engines.copy_verified(file, offsite / relative / file.name, file_digest)
        fields.update(
            offsite_copied=True, offsite_path=str(offsite / relative / database_file.name)
        )
    return fields


def backup_prune(*, actor, now: datetime | None = None) -> int:
    """Delete the files of backups past retention and mark them pruned; return how many.

    Dailies older than ``backups.daily_retention_days`` days, fulls older than
    ``backups.full_retention_weeks`` weeks; the newest succeeded full backup is never
    pruned (whatever its age). Files are removed in both locations.
    """
    ensure_may_run(actor)
    now = now or timezone.now()
    today = timezone.localdate(now)
    daily_cutoff = today - timedelta(days=int(get_parameter(DAILY_RETENTION_DAYS)))
    full_cutoff = today - timedelta(weeks=int(get_parameter(FULL_RETENTION_WEEKS)))
    succeeded = Backup.objects.filter(status=Backup.Status.SUCCEEDED)
    newest_full = (
        succeeded.filter(kind=Backup.Kind.FULL)
        .order_by("-day", "-id")
        .values_list("pk", flat=True)
        .first()
    )
    expired = list(
        succeeded.filter(
            Q(kind=Backup.Kind.DAILY, day__lt=daily_cutoff)
            | Q(kind=Backup.Kind.FULL, day__lt=full_cutoff)
        ).values_list("pk", flat=True)
    )
    pruned = 0
    for pk in sorted(set(expired) - {newest_full}):
        with transaction.atomic():
            backup = Backup.objects.select_for_update().filter(pk=pk, status="succeeded").first()
            if backup is None:
                continue
            for path in (backup.database_path, backup.media_path):
                engines.remove_artifact(path)
                if path and backup.offsite_path:
                    offsite = Path(backup.offsite_path).parent / Path(path).name
                    engines.remove_artifact(str(offsite))
            transition(backup, Backup.Status.PRUNED, actor=actor, action="backups.backup_prune")
            pruned += 1
    return pruned
