"""Demo data of the risk app (DESIGN.md §7): the ``risk_officer`` login and planted
cases of each kind (scan part fills this module)."""

from __future__ import annotations


def seed(*, stdout) -> None:
    return None
