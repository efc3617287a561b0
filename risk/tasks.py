"""Celery tasks of the risk app (thin: each calls one service inside ``job_run``).

``SCHEDULE`` lists the default beat entries (collected by ``mall.core.schedule``).
Each part of the app keeps its tasks in its own section below.
"""

from __future__ import annotations

from celery import shared_task  # noqa: F401

from mall.core.actors import system_actor  # noqa: F401
from mall.core.jobs import job_run  # noqa: F401

# --- rules housekeeping (rules part) ---


# --- daily scan (scan part) ---


SCHEDULE: dict = {
    # --- rules housekeeping (rules part) ---
    # --- daily scan (scan part) ---
}
