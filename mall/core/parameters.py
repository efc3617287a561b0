"""System parameters the kernel reads, through a reader ``ops`` registers.

The kernel sits left of ``ops`` (docs/ARCHITECTURE.md) and may not import it; ``ops``
registers the kernel's parameters in ``ops/defaults.py`` and hands its
``get_parameter`` to :func:`register_parameter_reader` in ``OpsConfig.ready()``.
Without a reader (``ops`` not installed) the kernel uses the defaults named here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

EXPORT_SYNC_MAX_ROWS = "core.export_sync_max_rows"
FILE_JOB_RETENTION_HOURS = "core.file_job_retention_hours"
TWO_FACTOR_PERMISSIONS = "security.two_factor_permissions"

DEFAULTS: dict[str, Any] = {
    EXPORT_SYNC_MAX_ROWS: 5000,
    FILE_JOB_RETENTION_HOURS: 72,
    # Staff holding any of these permissions must use two-factor login (superusers always).
    TWO_FACTOR_PERMISSIONS: [
        "members.view_member_pii",
        "rbac.assign_role",
        "rbac.add_role",
        "rbac.change_role",
        "rbac.change_user_permissions",
        "rbac.grant_object_permission",
        "rbac.approve_permission_request",
        "rbac.add_staffprofile",
        "auth.change_user",
    ],
}

_reader: Callable[[str], Any] | None = None


def register_parameter_reader(reader: Callable[[str], Any]) -> None:
    global _reader
    _reader = reader


def kernel_parameter(key: str) -> Any:
    """Return the current value of one of the kernel's parameters."""
    if _reader is None:
        return DEFAULTS[key]
    return _reader(key)
