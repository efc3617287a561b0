"""Models of the backups app (数据备份): one row per backup run and per restore check.

* :class:`Backup` — a daily (database only) or full (Sunday: database + media files)
  backup: where its artifacts are, their sha256, the offsite copy, the per-table row
  counts recorded in the same snapshot as the dump. running → succeeded | failed;
  succeeded → pruned when the retention job deletes its files (the row stays).
* :class:`RestoreCheck` — a backup restored into a scratch database and verified (row
  counts per table, stock, audit chain, ledgers). running → passed | failed.

Operations and the restore drill: docs/BACKUPS.md.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Backup(models.Model):
    """One backup run (its artifacts live in ``BACKUP_DIR`` and ``BACKUP_OFFSITE_DIR``)."""

    class Kind(models.TextChoices):
        DAILY = "daily", pgettext_lazy("backup kind", "daily backup")
        FULL = "full", pgettext_lazy("backup kind", "full backup")

    class Status(models.TextChoices):
        RUNNING = "running", pgettext_lazy("backup status", "backing up")
        SUCCEEDED = "succeeded", pgettext_lazy("backup status", "backup succeeded")
        FAILED = "failed", pgettext_lazy("backup status", "backup failed")
        PRUNED = "pruned", pgettext_lazy("backup status", "removed by retention")

    class Trigger(models.TextChoices):
        SCHEDULE = "schedule", pgettext_lazy("backup trigger", "scheduled")
        MANUAL = "manual", pgettext_lazy("backup trigger", "on demand")

    kind = models.CharField(_("backup kind"), max_length=10, choices=Kind.choices)
    trigger = models.CharField(
        pgettext_lazy("backup field", "started by"),
        max_length=10,
        choices=Trigger.choices,
        default=Trigger.SCHEDULE,
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.RUNNING
    )
    day = models.DateField(_("backup day"))
    engine = models.CharField(_("database engine"), max_length=20)
    database_path = models.CharField(_("database file"), max_length=500, blank=True)
    media_path = models.CharField(_("media archive"), max_length=500, blank=True)
    size_bytes = models.BigIntegerField(_("size (bytes)"), default=0)
    sha256 = models.CharField(_("database file checksum (SHA-256)"), max_length=64, blank=True)
    media_sha256 = models.CharField(
        _("media archive checksum (SHA-256)"), max_length=64, blank=True
    )
    offsite_copied = models.BooleanField(_("copied offsite"), default=False)
    offsite_path = models.CharField(_("offsite copy"), max_length=500, blank=True)
    table_counts = models.JSONField(_("rows per table"), default=dict, blank=True)
    audit_head_seq = models.BigIntegerField(_("audit chain head at backup"), null=True, blank=True)
    started_at = models.DateTimeField(_("started at"))
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    duration_seconds = models.FloatField(_("duration (seconds)"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("backup")
        verbose_name_plural = _("backups")
        ordering = ["-started_at", "-id"]
        constraints = [
            # At most one running or succeeded scheduled backup per day and kind: the
            # daily job is idempotent, and two workers cannot both start the same day's
            # backup. On-demand backups (立即备份, ``backup_now``) are not limited.
            models.UniqueConstraint(
                fields=["day", "kind"],
                condition=Q(trigger="schedule", status__in=["running", "succeeded"]),
                name="backups_one_live_backup_per_day_kind",
            ),
            models.CheckConstraint(
                condition=Q(size_bytes__gte=0), name="backups_size_not_negative"
            ),
        ]
        indexes = [models.Index(fields=["status", "kind", "-started_at"])]
        permissions = [("run_backup", _("Can run a backup or a restore check"))]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.day:%Y-%m-%d} (#{self.pk})"


class RestoreCheck(models.Model):
    """A backup restored into a scratch database and verified."""

    class Status(models.TextChoices):
        RUNNING = "running", pgettext_lazy("restore check status", "verifying")
        PASSED = "passed", pgettext_lazy("restore check status", "restore verified")
        FAILED = "failed", pgettext_lazy("restore check status", "restore check failed")

    backup = models.ForeignKey(
        Backup,
        verbose_name=_("backup"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="restore_checks",
    )
    source = models.CharField(_("backup file"), max_length=500)
    scratch_database = models.CharField(_("scratch database"), max_length=500)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.RUNNING
    )
    table_counts = models.JSONField(_("rows per table compared"), default=dict, blank=True)
    checks = models.JSONField(_("verifications"), default=list, blank=True)
    started_at = models.DateTimeField(_("started at"))
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    duration_seconds = models.FloatField(_("duration (seconds)"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("restore check")
        verbose_name_plural = _("restore checks")
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["status", "-finished_at"])]

    def __str__(self) -> str:
        return f"{self._meta.verbose_name} #{self.pk}"
