"""Bounds for business times that clients send (snapshot, event and schedule times).

A time a client reports as *past* ("counted at", "happened at") may run ahead of
the server by at most :data:`CLOCK_SKEW` (devices' clocks drift) and may not lie
before the thing it is about existed; a time a client *schedules* may lie at
most :data:`SCHEDULE_HORIZON` ahead. Each app raises its own field error.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone

CLOCK_SKEW = timedelta(minutes=5)
SCHEDULE_HORIZON = timedelta(days=366)


def is_in_future(value: datetime, *, now: datetime | None = None) -> bool:
    """Whether a reported past time lies ahead of now by more than the clock skew."""
    return value > (now or timezone.now()) + CLOCK_SKEW


def is_beyond_horizon(value: datetime, *, now: datetime | None = None) -> bool:
    """Whether a scheduled time lies further ahead than :data:`SCHEDULE_HORIZON`."""
    return value > (now or timezone.now()) + SCHEDULE_HORIZON
