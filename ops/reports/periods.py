"""Time windows of the dashboard and the reports (local days; not selectors)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.utils import timezone

PERIODS = {"today": 1, "7d": 7, "30d": 30}


@dataclass(frozen=True)
class Window:
    """A time window ``[start, end)`` of local days (``end`` may be "now")."""

    start: datetime
    end: datetime
    days: int

    def previous(self) -> Window:
        """The window of the same number of days just before this one."""
        return Window(self.start - timedelta(days=self.days), self.start, self.days)


def day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, datetime.min.time()))


def days_window(first_day: date, days: int) -> Window:
    """Return the closed window of ``days`` whole local days from ``first_day``."""
    return Window(day_start(first_day), day_start(first_day + timedelta(days=days)), days)


def period_window(period: str, *, now: datetime | None = None) -> Window:
    """Return the window of a dashboard period: today, the last 7 or 30 days (today in)."""
    now = now or timezone.now()
    days = PERIODS[period]
    today = timezone.localdate(now)
    return Window(day_start(today - timedelta(days=days - 1)), now, days)
