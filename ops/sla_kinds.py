"""The registry of SLA kinds: what each deadline is called and which parameter sets it.

Apps declare their kinds at start-up (``ops/defaults.py`` for the kinds of the
manuals); ``ops.services.sla`` opens and closes clocks of registered kinds only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
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
    # Named alternative durations: variant -> parameter ("complaint" for tickets).
    variants: dict[str, str] = field(default_factory=dict)

    def duration(self, *, promotion: bool = False, variant: str = "") -> timedelta:
        """Return the allowed time, read from the kind's system parameter now.

        ``variant`` names one of the kind's ``variants`` (an unknown one is a
        ``ValueError``: a programming error); ``promotion`` is the variant
        ``"promotion"`` (shipping during a promotion), kept for its callers.
        """
        if promotion and not variant:
            variant = "promotion"
        key = self.parameter
        if variant:
            if variant not in self.variants:
                raise ValueError(f"SLA kind {self.kind!r} has no variant {variant!r}")
            key = self.variants[variant]
        return timedelta(**{self.unit: int(get_parameter(key))})


_kinds: dict[str, SlaKind] = {}


def register_sla_kind(
    kind: str,
    *,
    label,
    parameter: str,
    unit: str,
    promotion_parameter: str | None = None,
    variants: dict[str, str] | None = None,
) -> SlaKind:
    """Declare an SLA kind whose duration is ``parameter`` (a registered INT) in ``unit``.

    ``variants`` (optional) names alternative durations, each a parameter, chosen when
    a clock is started with ``variant=<name>`` (tickets: ``"complaint"`` runs shorter).
    ``promotion_parameter`` is the variant ``"promotion"``, used when a clock is
    started with ``promotion=True`` (shipping: 24 h, 48 h during a promotion). A
    promotion clock of a kind without that variant runs on ``parameter``.
    """
    if unit not in UNITS:
        raise ValueError(f"unknown SLA unit {unit!r}; use minutes, hours or days")
    named = dict(variants or {})
    if promotion_parameter:
        named["promotion"] = promotion_parameter
    for key in (parameter, *named.values()):
        parameter_spec(key)  # KeyError for an unregistered parameter: fail at start-up
    declared = SlaKind(kind, label, parameter, unit, promotion_parameter, named)
    _kinds[kind] = declared
    return declared


def sla_kind(kind: str) -> SlaKind:
    try:
        return _kinds[kind]
    except KeyError:
        raise SlaKindUnknown(fields={"kind": [kind]}) from None


def registered_sla_kinds() -> dict[str, SlaKind]:
    return dict(sorted(_kinds.items()))
