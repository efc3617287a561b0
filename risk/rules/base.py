"""What every rule shares: registration with its on/off switch, verdict helpers,
windowed counts of :class:`~risk.models.RiskAttempt`.

A rule is a function of the guard point's context (``mall.core.guard``'s table) that
returns a :class:`~mall.core.guard.Verdict` or ``None``. Register it with::

    @rule("order.place", "frequent_purchase", params=(FREQUENT_WINDOW_HOURS, ...))
    def frequent_purchase(*, member, lines, settings, **context): ...

The wrapper reads the switches and thresholds of every rule at the point in one cache
round trip per guard call (``ops.parameters.get_parameters``, kept in the call's
``guard_memo``) and passes the rule's own as ``settings`` (a dict); a switched-off rule
is not called at all.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import timedelta
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from mall.core.guard import BLOCK, REVIEW, Verdict, register_rule
from ops.parameters import get_parameters

from ..models import BlacklistEntry, RiskAttempt, RiskMark
from ..parameters import enabled_key

# code → (point, …) for the guide and the tests
REGISTERED: dict[str, list[str]] = {}


# point → every parameter key its rules read (one cache round trip per guard call)
POINT_KEYS: dict[str, list[str]] = {}


def _point_parameters(point: str, memo: dict | None) -> dict[str, Any]:
    if memo is None:
        return get_parameters(POINT_KEYS[point])
    values = memo.get("risk.parameters")
    if values is None:
        values = memo["risk.parameters"] = get_parameters(POINT_KEYS[point])
    return values


def rule(point: str, code: str, *, params: Iterable[str] = ()) -> Callable:
    keys = (enabled_key(code), *params)
    POINT_KEYS.setdefault(point, [])
    POINT_KEYS[point] = list(dict.fromkeys([*POINT_KEYS[point], *keys]))

    def register(func: Callable[..., Verdict | None]) -> Callable[..., Verdict | None]:
        def checked(**context: Any) -> Verdict | None:
            every = _point_parameters(point, context.get("guard_memo"))
            if not every[keys[0]]:
                return None
            return func(settings={key: every[key] for key in keys}, **context)

        checked.__name__ = func.__name__
        checked.__doc__ = func.__doc__
        register_rule(point, code, checked)
        REGISTERED.setdefault(code, []).append(point)
        return func

    return register


def block(code: str, reason: str, *, score: int = 100, rate_limited: bool = False, **evidence):
    return Verdict(
        decision=BLOCK,
        score=score,
        rule=code,
        reason=str(reason),
        evidence=evidence,
        rate_limited=rate_limited,
    )


def review(code: str, reason: str, *, score: int = 60, **evidence):
    return Verdict(decision=REVIEW, score=score, rule=code, reason=str(reason), evidence=evidence)


def since(**delta) -> Any:
    return timezone.now() - timedelta(**delta)


def attempts(point: str, *, after) -> QuerySet[RiskAttempt]:
    """The recorded attempts at ``point`` since ``after`` (filter further by member,
    device_id, client_ip, phone_hash, phone_prefix, ref)."""
    return RiskAttempt.objects.filter(point=point, created_at__gte=after)


# --- what the rules read of the marks and the blacklist (risk.services.lists) ---------


def _live(now=None) -> Q:
    now = now or timezone.now()
    return Q(revoked_at__isnull=True) & (Q(expires_at__isnull=True) | Q(expires_at__gt=now))


def live_marks(member_id: int) -> QuerySet[RiskMark]:
    return RiskMark.objects.filter(_live(), member_id=member_id)


def blacklisted(values: dict[str, list[str] | str | None]) -> BlacklistEntry | None:
    """The first live entry matching any ``{kind: value(s)}`` (one indexed query)."""
    match = Q()
    for kind, found in values.items():
        found = [found] if isinstance(found, str) else [v for v in (found or []) if v]
        if found:
            match |= Q(kind=kind, value__in=[str(v) for v in found])
    if not match:
        return None
    return BlacklistEntry.objects.filter(_live()).filter(match).order_by("pk").first()
