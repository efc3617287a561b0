"""Risk housekeeping: keep the velocity attempts table small.

The rules look back at most 24 hours (``coupon_multi_account``); attempts are kept for
``risk.attempt_retention_days`` (7 by default) so a risk officer can still read a
recent burst, then deleted by the daily job (``risk.tasks``).
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from ops.parameters import get_parameter

from ..models import RiskAttempt
from ..parameters import ATTEMPT_RETENTION_DAYS


def attempts_purge(*, actor, now=None) -> int:
    """Delete attempts older than ``risk.attempt_retention_days``; return how many.

    ``actor`` is the job's system actor; not audited (telemetry, not a decision).
    """
    now = now or timezone.now()
    cutoff = now - timedelta(days=int(get_parameter(ATTEMPT_RETENTION_DAYS)))
    deleted, _ = RiskAttempt.objects.filter(created_at__lt=cutoff).delete()
    return deleted
