"""Permission codenames of the backups app (declared once; services and views read these)."""

from __future__ import annotations

VIEW_BACKUP = "backups.view_backup"
RUN_BACKUP = "backups.run_backup"  # 立即备份 / 校验恢复 (tech lead)
VIEW_RESTORE_CHECK = "backups.view_restorecheck"


def ensure_may_run(actor) -> None:
    """Raise ``BackupPermissionDenied`` unless ``actor`` may run backups and checks."""
    from mall.core.actors import is_system_actor

    from .exceptions import BackupPermissionDenied

    if not (is_system_actor(actor) or actor.has_perm(RUN_BACKUP)):
        raise BackupPermissionDenied()
