"""What risk does when the apps on its left report something (their ``signals.py``).

* members' ``sms_code_sent``, ``member_registered``, ``coupon_claimed`` → a
  :class:`RiskAttempt` row each, counted by the velocity rules;
* orders' ``order_freeze_changed`` → the order's ``FundFreeze`` record follows the flag;
* the kernel's guard: :func:`case_open_from_verdict` (review handler — a ``review``
  verdict becomes a case about its subject, after the action committed) and
  :func:`event_record` (verdict observer — every block and review is a
  :class:`RiskEvent` row: who, where, which rule, the evidence).
"""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from mall.core.actors import system_actor
from mall.core.guard import Verdict
from members import signals as member_signals
from orders import signals as order_signals

from .models import Point, RiskAttempt, RiskCase, RiskEvent
from .services.cases import KIND_BY_RULE, case_open

K = RiskCase.Kind


def _prefix(phone: str | None) -> str:
    digits = "".join(ch for ch in (phone or "") if ch.isdigit())
    return digits[:7] if len(digits) >= 7 else ""


def attempt_record(
    *, point: str, member=None, phone: str = "", client_ip=None, device_id=None, ref: str = ""
) -> None:
    """Record one attempt at a velocity point (the rules count these rows)."""
    from members import crypto

    RiskAttempt.objects.create(
        point=point,
        member=member,
        phone_hash=crypto.lookup_hash(phone) if phone else "",
        phone_prefix=_prefix(phone),
        device_id=(device_id or "")[:128],
        client_ip=client_ip or None,
        ref=ref[:64],
    )


@receiver(member_signals.sms_code_sent, dispatch_uid="risk.sms_code_sent")
def _sms_code_sent(sender, phone, purpose, client_ip=None, device_id=None, **kwargs):
    attempt_record(point=Point.SMS_CODE, phone=phone, client_ip=client_ip, device_id=device_id)


@receiver(member_signals.member_registered, dispatch_uid="risk.member_registered")
def _member_registered(sender, member, client_ip=None, device_id=None, **kwargs):
    attempt_record(
        point=Point.REGISTER,
        member=member,
        phone=member.phone,
        client_ip=client_ip,
        device_id=device_id,
    )


@receiver(member_signals.coupon_claimed, dispatch_uid="risk.coupon_claimed")
def _coupon_claimed(sender, coupon, member, client_ip=None, device_id=None, **kwargs):
    attempt_record(
        point=Point.COUPON_CLAIM,
        member=member,
        phone=member.phone,
        client_ip=client_ip,
        device_id=device_id,
        ref=f"coupon_template:{coupon.template_id}",
    )


@receiver(order_signals.order_freeze_changed, dispatch_uid="risk.order_freeze_changed")
def _order_freeze_changed(sender, order, frozen, actor=None, reason="", **kwargs):
    from .services.freezes import freeze_sync_from_order

    freeze_sync_from_order(actor=actor, order=order, frozen=frozen, reason=reason)


def _subject_parts(subject) -> dict[str, Any]:
    """The member / order of a guarded action's subject (an order, an after-sales case,
    a payment transaction, a member, a coupon)."""
    from members.models import Coupon, Member
    from orders.models import AfterSale, Order

    if isinstance(subject, Order):
        return {"order": subject, "member": subject.member}
    if isinstance(subject, AfterSale):
        return {"order": subject.order, "member": subject.order.member}
    if isinstance(subject, Member):
        return {"member": subject}
    if isinstance(subject, Coupon):
        return {"member": subject.member}
    order = getattr(subject, "order", None)
    if isinstance(order, Order):
        return {"order": order, "member": order.member}
    return {}


def _label(subject) -> str:
    return str(getattr(subject, "order_no", None) or getattr(subject, "case_no", None) or subject)


def case_open_from_verdict(*, point: str, verdict: Verdict, subject, context: dict) -> None:
    """The kernel's review handler: one case per (rule, subject) finding of ``verdict``."""
    parts = _subject_parts(subject)
    for finding in verdict.findings or (verdict,):
        if not finding.needs_review:
            continue
        kind = KIND_BY_RULE.get(finding.rule, K.MANUAL)
        subject_key = (
            f"order:{parts['order'].pk}"
            if "order" in parts
            else f"member:{parts['member'].pk}"
            if "member" in parts
            else f"{type(subject).__name__}:{getattr(subject, 'pk', subject)}"
        )
        # A rule may name its own fingerprint (a pattern many subjects share: one case
        # collects them as sightings); else one case per rule and subject.
        evidence = dict(finding.evidence)
        fingerprint = str(evidence.pop("case_fingerprint", "") or f"{finding.rule}:{subject_key}")
        case_open(
            actor=system_actor(),
            kind=kind,
            point=point,
            rule=finding.rule,
            score=finding.score,
            summary=finding.reason or _label(subject),
            fingerprint=fingerprint,
            evidence={**evidence, **_context_evidence(context)},
            **parts,
        )


def _context_evidence(context: dict) -> dict[str, Any]:
    keep = ("order_no", "client_ip", "device_id", "reported_amount", "case_no")
    return {key: str(context[key])[:128] for key in keep if context.get(key)}


def event_record(*, point: str, verdict: Verdict, context: dict) -> None:
    """The kernel's verdict observer: a :class:`RiskEvent` per non-allow verdict."""
    from members.models import Member

    member = context.get("member")
    if not isinstance(member, Member):
        member = None
    order = context.get("order")
    region_id = getattr(order, "region_id", None)
    if point not in Point.values:
        point = Point.MANUAL
    RiskEvent.objects.create(
        point=point,
        decision=verdict.decision,
        rule=verdict.rule[:50],
        score=min(int(verdict.score or 0), 32767),
        reason=(verdict.reason or "")[:300],
        evidence={
            "findings": [
                {"rule": f.rule, "decision": f.decision, "score": f.score, **f.evidence}
                for f in (verdict.findings or (verdict,))
            ]
        },
        member=member,
        region_id=region_id,
        device_id=(context.get("device_id") or "")[:128],
        client_ip=context.get("client_ip") or None,
    )
