"""The risk hook: ``guard(point, …)`` before an action that risk control may stop.

DESIGN.md §3: an app below (members, orders) asks before it acts; the risk app
above registers rules with :func:`register_rule` from its ``AppConfig.ready``.
With no rule registered every action is allowed.

Points and the context each passes (keyword arguments to every rule):

==================== ============================================================
``member.sms_code``   ``phone``, ``purpose``, ``client_ip``, ``device_id``
``member.register``   ``phone``, ``client_ip``, ``device_id``
``coupon.claim``      ``member``, ``template``, ``client_ip``, ``device_id``
``order.place``       ``member``, ``lines`` ([(sku, quantity)]), ``address``
                      (dict: province, city, district, detail — no name/phone),
                      ``address_hash`` (``members.crypto.address_hash``),
                      ``channel``, ``flash_session``, ``client_ip``, ``device_id``,
                      ``payable_amount``
``after_sale.request`` ``member``, ``order``, ``kind``, ``reason``, ``amount``,
                      ``client_ip``, ``device_id``
``payment.callback``  ``transaction``, ``reported_amount``
``order.review``      ``order`` (at staff review: a block or review verdict holds
                      the order, ``orders.services.review``)
==================== ============================================================

A rule returns a :class:`Verdict` (or ``None`` for "nothing to say"). The call
combines them: any ``block`` wins (the caller raises :class:`RiskBlocked` —
403 ``risk_blocked``, or 429 ``rate_limited`` when the rule says so — before
writing anything); else any ``review`` lets the action through and the caller
hands the verdict to risk's case opener after commit (``on_review``); else allow.
A rule that raises is logged and counted as "nothing to say": a bug in a risk
rule must not stop the shop (rules that must fail closed return ``block``).

Every non-allow combined verdict is also handed to the registered observers
(:func:`register_verdict_observer`: risk records it as a risk event) before the call
returns or raises; an observer that fails is logged and ignored.

Every rule also gets ``guard_memo``: a dict shared by the rules of one call and
discarded after it (risk reads all of a point's parameters into it once).

``client_ip`` and ``device_id`` default to the request's (``mall.core.context``:
the client IP the whole project trusts, and the ``X-Device-Id`` header), so a
service deep in the stack need not carry them; a job's context has neither.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import status

from .context import current_client_ip, current_device_id
from .exceptions import ApplicationError

logger = logging.getLogger(__name__)

ALLOW, REVIEW, BLOCK = "allow", "review", "block"
_ORDER = {ALLOW: 0, REVIEW: 1, BLOCK: 2}


@dataclass(frozen=True)
class Verdict:
    """What one rule (or all rules together) say about an action."""

    decision: str = ALLOW
    score: int = 0
    rule: str = ""
    reason: str = ""
    evidence: dict[str, Any] = field(default_factory=dict)
    rate_limited: bool = False  # a velocity block: 429 instead of 403
    findings: tuple[Verdict, ...] = ()  # every non-allow verdict, combined

    @property
    def blocked(self) -> bool:
        return self.decision == BLOCK

    @property
    def needs_review(self) -> bool:
        return self.decision == REVIEW


class RiskBlocked(ApplicationError):
    code = "risk_blocked"
    status_code = status.HTTP_403_FORBIDDEN
    default_message = _("This action was stopped by risk control.")


class RiskRateLimited(RiskBlocked):
    code = "rate_limited"
    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_message = _("Too many attempts; please try again later.")


Rule = Callable[..., Verdict | None]
_rules: dict[str, dict[str, Rule]] = {}
_review_handlers: list[Callable[..., None]] = []
_observers: list[Callable[..., None]] = []


def register_rule(point: str, code: str, rule: Rule) -> None:
    """Register ``rule`` at ``point`` under ``code`` (registering again replaces)."""
    _rules.setdefault(point, {})[code] = rule


def unregister_rule(point: str, code: str) -> None:
    _rules.get(point, {}).pop(code, None)


def register_review_handler(handler: Callable[..., None]) -> None:
    """``handler(point=, verdict=, subject=, context=)`` opens a case for a review verdict."""
    if handler not in _review_handlers:
        _review_handlers.append(handler)


def register_verdict_observer(observer: Callable[..., None]) -> None:
    """``observer(point=, verdict=, context=)`` hears every non-allow combined verdict."""
    if observer not in _observers:
        _observers.append(observer)


def guard(point: str, **context: Any) -> Verdict:
    """Ask every rule at ``point``; return the combined verdict (never raises for a verdict)."""
    context.setdefault("client_ip", current_client_ip())
    context.setdefault("device_id", current_device_id())
    # one dict shared by the rules of this call (risk reads its parameters once per call)
    context["guard_memo"] = {}
    findings: list[Verdict] = []
    for code, rule in list(_rules.get(point, {}).items()):
        try:
            verdict = rule(**context)
        except Exception:
            logger.exception("risk rule %s at %s failed; ignored", code, point)
            continue
        if verdict is not None and verdict.decision != ALLOW:
            findings.append(
                verdict if verdict.rule else Verdict(**{**verdict.__dict__, "rule": code})
            )
    if not findings:
        return Verdict()
    worst = max(findings, key=lambda v: (_ORDER[v.decision], v.score))
    combined = Verdict(
        decision=worst.decision,
        score=max(v.score for v in findings),
        rule=worst.rule,
        reason=worst.reason,
        evidence=worst.evidence,
        rate_limited=worst.rate_limited,
        findings=tuple(findings),
    )
    for observer in list(_observers):
        try:
            observer(point=point, verdict=combined, context=context)
        except Exception:
            logger.exception("risk verdict observer failed at %s", point)
    return combined


def guard_or_raise(point: str, **context: Any) -> Verdict:
    """:func:`guard`, raising ``RiskBlocked`` / ``RiskRateLimited`` on a block."""
    verdict = guard(point, **context)
    if verdict.blocked:
        # The answer never names the rule or its evidence: that would tell an abuser
        # which threshold to stay under. The rule and evidence are logged.
        logger.info("risk block at %s by %s", point, verdict.rule)
        error = RiskRateLimited if verdict.rate_limited else RiskBlocked
        raise error()
    return verdict


def review_opened(
    *, point: str, verdict: Verdict, subject: Any, context: dict | None = None
) -> None:
    """Hand a ``review`` verdict to the registered case openers (call after commit)."""
    if not verdict.needs_review:
        return
    for handler in list(_review_handlers):
        try:
            handler(point=point, verdict=verdict, subject=subject, context=context or {})
        except Exception:
            logger.exception("risk review handler failed at %s", point)
