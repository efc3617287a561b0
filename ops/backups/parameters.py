"""System parameters of backups (read with ``ops.parameters.get_parameter``)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from ops.parameters import INT, register_parameter

DAILY_RETENTION_DAYS = "backups.daily_retention_days"
FULL_RETENTION_WEEKS = "backups.full_retention_weeks"

register_parameter(
    DAILY_RETENTION_DAYS,
    kind=INT,
    default=14,
    minimum=1,
    maximum=3650,
    description=_("Days a daily backup is kept"),
)
register_parameter(
    FULL_RETENTION_WEEKS,
    kind=INT,
    default=8,
    minimum=1,
    maximum=520,
    description=_("Weeks a weekly full backup is kept (the latest full is always kept)"),
)
