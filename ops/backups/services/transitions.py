"""The status tables of the backups models (registered with the kernel's transitions)."""

from __future__ import annotations

from mall.core.transitions import register_transitions

from ..models import Backup, RestoreCheck

B = Backup.Status
BACKUP_TRANSITIONS = register_transitions(
    Backup,
    {
        B.RUNNING: {B.SUCCEEDED, B.FAILED},
        B.SUCCEEDED: {B.PRUNED},
        B.FAILED: set(),
        B.PRUNED: set(),
    },
)

R = RestoreCheck.Status
RESTORE_CHECK_TRANSITIONS = register_transitions(
    RestoreCheck,
    {
        R.RUNNING: {R.PASSED, R.FAILED},
        R.PASSED: set(),
        R.FAILED: set(),
    },
)
