"""Chinese labels of the codes the backups app writes (collected by ``mall.core.labels``)."""

from django.utils.translation import gettext_lazy as _

ACTION_LABELS = {
    "backups.backup_start": _("Backup started"),
    "backups.backup_succeed": _("Backup completed"),
    "backups.backup_fail": _("Backup failed"),
    "backups.backup_prune": _("Backup files removed by retention"),
    "backups.restore_check_start": _("Restore check started"),
    "backups.restore_check_pass": _("Restore check passed"),
    "backups.restore_check_fail": _("Restore check failed"),
}

NOTIFICATION_KINDS: dict = {}

TASK_LABELS = {
    "backups: daily backup": _("Daily backup (Sunday: full backup and restore check)"),
    "backups.backup_run": _("Daily backup (Sunday: full backup and restore check)"),
}
TASK_LABELS["backups.restore_check_run"] = _("Restore check")
