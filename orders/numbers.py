"""Human-readable, unguessable numbers: ``DD`` + date + random digits.

``DD20261128`` + 10 random digits from ``secrets`` (10^10 per day): numbers of
one day are not in sequence, so one order number tells nothing about another or
about the day's volume. Uniqueness is the database's (a UNIQUE column); the
caller retries on the rare collision (``unique_number``).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable

from django.db import IntegrityError, transaction
from django.utils import timezone

RANDOM_DIGITS = 10


def new_number(prefix: str, *, now=None) -> str:
    """Return ``prefix`` + local date (YYYYMMDD) + ``RANDOM_DIGITS`` random digits."""
    day = timezone.localtime(now or timezone.now()).strftime("%Y%m%d")
    digits = "".join(secrets.choice("0123456789") for _ in range(RANDOM_DIGITS))
    return f"{prefix}{day}{digits}"


def unique_number(prefix: str, create: Callable[[str], object], *, attempts: int = 5):
    """Call ``create(number)`` in a savepoint, with a new number after a collision."""
    for attempt in range(attempts):
        number = new_number(prefix)
        try:
            with transaction.atomic():
                return create(number)
        except IntegrityError:
            if attempt == attempts - 1:
                raise
    raise AssertionError("unreachable")
