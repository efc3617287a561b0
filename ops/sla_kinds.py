"""The registry of SLA kinds: what each deadline is called and which parameter sets it.

Apps declare their kinds at start-up (``ops/defaults.py`` for the kinds of the
manuals); ``ops.services.sla`` opens and closes clocks of registered kinds only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from .exceptions import SlaKindUnknown
from .parameters import get_parameter, parameter_spec

UNITS = {"minutes": "minutes", "hours": "hours", "days": "days"}


@dataclass(frozen=True)
class SlaKind:
    kind: str
    label: str
    parameter: str
    unit: str
    promotion_parameter: str | None = None

    def duration(self, *, promotion: bool = False) -> timedelta:
        """Return the allowed time, read from the kind's system parameter now."""
        key = self.promotion_parameter if promotion and self.promotion_parameter else self.parameter
        return timedelta(**{self.unit: int(get_parameter(key))})


_kinds: dict[str, SlaKind] = {}


def register_sla_kind(
    kind: str,
    *,
    label,
    parameter: str,
    unit: str,
    promotion_parameter: str | None = None,
) -> SlaKind:
    """Declare an SLA kind whose duration is ``parameter`` (a registered INT) in ``unit``.

    ``promotion_parameter`` (optional) is used instead when a clock is started with
    ``promotion=True`` (shipping: 24 h, 48 h during a promotion).
    """
    if unit not in UNITS:
        raise ValueError(f"unknown SLA unit {unit!r}; use minutes, hours or days")
    for key in filter(None, (parameter, promotion_parameter)):
        parameter_spec(key)  # KeyError for an unregistered parameter: fail at start-up
    declared = SlaKind(kind, label, parameter, unit, promotion_parameter)
    _kinds[kind] = declared
    return declared


def sla_kind(kind: str) -> SlaKind:
    try:
        return _kinds[kind]
    except KeyError:
        raise SlaKindUnknown(fields={"kind": [kind]}) from None


def registered_sla_kinds() -> dict[str, SlaKind]:
    return dict(sorted(_kinds.items()))
