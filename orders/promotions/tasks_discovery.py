"""Celery jobs of promotions' discovery part (thin: each calls one service; imported by
``orders.tasks``, whose ``SCHEDULE`` includes this module's)."""

from __future__ import annotations

SCHEDULE: dict = {}
