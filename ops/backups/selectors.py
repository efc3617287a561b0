"""Every read of the backups app served to a person (or a job).

Backups and restore checks are mall-wide technical records: function permission only
(``backups.view_backup``), no data scope. ``*_get`` raise a ``NotFound`` subclass for a
missing row and a malformed id alike.
"""

from __future__ import annotations

from datetime import datetime

from django.db.models import QuerySet
from django.utils import timezone

from mall.core.api import parse_pk
from mall.core.scoping import visible_rows

from .exceptions import BackupNotFound, RestoreCheckNotFound
from .models import Backup, RestoreCheck


def backup_list(*, actor) -> QuerySet[Backup]:
    """Backups ``actor`` may see, newest first."""
    return visible_rows(
        actor, Backup.objects.select_related("requested_by"), member_path=None
    ).order_by("-started_at", "-id")


def backup_get(*, actor, pk) -> Backup:
    """The backup ``pk``; raise :class:`BackupNotFound` when missing or malformed."""
    number = parse_pk(pk)
    row = backup_list(actor=actor).filter(pk=number).first() if number else None
    if row is None:
        raise BackupNotFound()
    return row


def restore_check_list(*, actor) -> QuerySet[RestoreCheck]:
    """Restore checks ``actor`` may see, newest first."""
    return visible_rows(
        actor, RestoreCheck.objects.select_related("backup", "requested_by"), member_path=None
    ).order_by("-started_at", "-id")


def restore_check_get(*, actor, pk) -> RestoreCheck:
    """The restore check ``pk``; raise :class:`RestoreCheckNotFound` when missing."""
    number = parse_pk(pk)
    row = restore_check_list(actor=actor).filter(pk=number).first() if number else None
    if row is None:
        raise RestoreCheckNotFound()
    return row


def last_verified_restore_age_hours(*, actor, now: datetime | None = None) -> float | None:
    """Return the age in hours of the newest backup that a restore check verified.

    The age of the data one could restore today: the newest backup (by ``started_at``)
    with a passed restore check of that backup row; a check of a file given by path
    (``backup`` empty) does not count, nor does a drill of an old backup make the
    metric fresh. ``None``: no backup was ever verified.
    """
    started = (
        restore_check_list(actor=actor)
        .filter(status=RestoreCheck.Status.PASSED, backup__isnull=False)
        .order_by("-backup__started_at")
        .values_list("backup__started_at", flat=True)
        .first()
    )
    if started is None:
        return None
    return round(((now or timezone.now()) - started).total_seconds() / 3600, 2)
