"""Demo data of backups: one daily backup and one passed restore check (idempotent).

Demo roles' permissions (``ROLE_PERMISSIONS``): the tech lead (技术负责人) sees the
backup and restore-check lists and may press 立即备份 / 校验恢复; the ops lead reads.
Runs a real backup of the demo database (SQLite: a small file under ``BACKUP_DIR``)
the first time; later runs find it and add nothing.
"""

from __future__ import annotations

from . import permissions as perms

ROLE_PERMISSIONS = {
    "tech_lead": [perms.VIEW_BACKUP, perms.RUN_BACKUP, perms.VIEW_RESTORE_CHECK],
    "ops_lead": [perms.VIEW_BACKUP, perms.VIEW_RESTORE_CHECK],
}


def seed_permissions() -> None:
    from rbac.demo import grant_role_permissions

    for role, permissions in ROLE_PERMISSIONS.items():
        grant_role_permissions(role, permissions)


def seed(*, stdout) -> None:
    from mall.core.actors import system_actor

    from .models import Backup, RestoreCheck
    from .services.backups import backup_run
    from .services.restore import restore_check_run

    seed_permissions()
    actor = system_actor()
    backup = Backup.objects.filter(status=Backup.Status.SUCCEEDED).order_by("-id").first()
    if backup is None:
        backup = backup_run(actor=actor, kind=Backup.Kind.DAILY, prune=False)
        stdout.write(f"  backup #{backup.pk} ({backup.size_bytes} bytes)")
    if not RestoreCheck.objects.exists():
        check = restore_check_run(actor=actor, backup=backup)
        stdout.write(f"  restore check #{check.pk}: {check.status}")
