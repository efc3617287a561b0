"""Errors of the backups app (stable codes; the API renders them in its error shape)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import status

from mall.core.exceptions import ApplicationError, NotFound


class BackupPermissionDenied(ApplicationError):
    code = "permission_denied"
    status_code = status.HTTP_403_FORBIDDEN
    default_message = _("You do not have permission to run backups.")


class BackupFailed(ApplicationError):
    code = "backup_failed"
    status_code = status.HTTP_500_INTERNAL_SERVER_ERROR
    default_message = _("The backup failed.")


class BackupCorrupted(ApplicationError):
    code = "backup_corrupted"
    status_code = status.HTTP_409_CONFLICT
    default_message = _("The backup file does not match its checksum: it will not be restored.")


class BackupUnavailable(ApplicationError):
    code = "backup_unavailable"
    status_code = status.HTTP_409_CONFLICT
    default_message = _("This backup has no file to restore (failed, running or removed).")


class RestoreTargetRefused(ApplicationError):
    code = "restore_target_refused"
    status_code = status.HTTP_409_CONFLICT
    default_message = _("Restoring over the live database needs the explicit --force-live flag.")


class ScratchTargetRefused(ApplicationError):
    code = "scratch_target_refused"
    status_code = status.HTTP_409_CONFLICT
    default_message = _(
        "This database cannot be a scratch database: use a name the restore tool "
        "creates (PostgreSQL: <live database>_restore_<suffix>; SQLite: a file in the "
        "scratch folder of the backup directory) that no other database uses."
    )


class ScratchTargetForeign(ApplicationError):
    code = "scratch_target_foreign"
    status_code = status.HTTP_409_CONFLICT
    default_message = _(
        "This database already exists and was not created by the restore tool: it will "
        "not be overwritten or dropped."
    )


class ScratchTargetBusy(ApplicationError):
    code = "scratch_target_busy"
    status_code = status.HTTP_409_CONFLICT
    default_message = _("Another restore check is using this scratch database right now.")


class BackupNotFound(NotFound):
    code = "not_found"
    default_message = _("No backup has this id.")


class RestoreCheckNotFound(NotFound):
    code = "not_found"
    default_message = _("No restore check has this id.")
