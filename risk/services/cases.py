"""Opening risk cases and recording risk events (the kernel's guard feeds both).

* :func:`case_open` — open a case, or count another sighting on the open case with the
  same fingerprint (one open case per finding: a ring, a member under one rule, an
  order under one rule). Starts the ``risk.case`` SLA clock, tells the holders of
  ``risk.decide_riskcase`` in scope, audits ``risk.case_open``.

The kernel's review handler and verdict observer that feed it are in
``risk.receivers``.

Decisions on cases (confirm, dismiss, assign, notes) are in ``services.decisions``.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from mall.core.audit import audit
from ops.services.notifications import staff_notify_holders
from ops.services.sla import sla_clock_start

from .. import permissions as perms
from ..models import RiskCase

logger = logging.getLogger(__name__)

K = RiskCase.Kind

# Which case a rule's review verdict opens (rules not listed open a "manual" case).
KIND_BY_RULE: dict[str, str] = {
    "sms_velocity": K.SMS_ABUSE,
    "register_burst": K.REGISTRATION_BURST,
    "coupon_velocity": K.COUPON_FARMING,
    "coupon_multi_account": K.COUPON_FARMING,
    "flash_hoarding": K.FLASH_HOARDING,
    "frequent_purchase": K.FREQUENT_PURCHASE,
    "blacklist": K.BLACKLISTED,
    "marked_account": K.MARKED_ACCOUNT,
    "refund_ratio": K.REFUND_ABUSE,
    "not_received_repeat": K.NOT_RECEIVED,
    "payment_amount_mismatch": K.PAYMENT_MISMATCH,
    "brushing_ring": K.BRUSHING_RING,
}

EVIDENCE_SIGHTINGS = 20  # the last sightings kept on an open case


def _number() -> str:
    from orders.numbers import new_number

    return new_number("FK")


def case_open(
    *,
    actor,
    kind: str,
    point: str,
    summary: str,
    fingerprint: str,
    rule: str = "",
    score: int = 0,
    evidence: dict[str, Any] | None = None,
    member=None,
    order=None,
    region=None,
) -> tuple[RiskCase, bool]:
    """Open a case, or add a sighting to the open case with ``fingerprint``.

    Returns ``(case, created)``. ``region`` defaults to the order's region. Safe under
    concurrent callers (the partial unique constraint on open fingerprints decides; the
    loser adds its sighting to the winner's case). ``actor`` is the staff user who
    reported it or the system actor (rules, the scan).
    """
    evidence = dict(evidence or {})
    now = timezone.now()
    if region is None and order is not None:
        region = order.region_id
    region_id = getattr(region, "pk", region)
    fingerprint = fingerprint[:128]
    with transaction.atomic():
        try:
            with transaction.atomic():
                case = RiskCase.objects.create(
                    case_no=_number(),
                    kind=kind,
                    point=point,
                    rule=rule,
                    score=min(int(score or 0), 32767),
                    summary=(summary or "")[:300],
                    evidence=evidence,
                    fingerprint=fingerprint,
                    member=member,
                    order=order,
                    region_id=region_id,
                    last_seen_at=now,
                )
        except IntegrityError:
            case = (
                RiskCase.objects.select_for_update()
                .filter(fingerprint=fingerprint, status=RiskCase.Status.OPEN)
                .first()
            )
            if case is None:
                raise
            sightings = list(case.evidence.get("sightings", []))[-(EVIDENCE_SIGHTINGS - 1) :]
            sightings.append({"at": now.isoformat(), **evidence})
            case.evidence = {**case.evidence, "sightings": sightings}
            case.score = max(case.score, min(int(score or 0), 32767))
            case.seen_count = F("seen_count") + 1
            case.last_seen_at = now
            case.save(update_fields=["evidence", "score", "seen_count", "last_seen_at"])
            case.refresh_from_db(fields=["seen_count"])
            return case, False
        audit(
            actor=actor,
            action="risk.case_open",
            target=case,
            data={"kind": kind, "rule": rule, "point": point, "score": case.score},
        )
        sla_clock_start(actor=actor, kind="risk.case", subject=case, region=region_id)
        staff_notify_holders(
            actor=actor,
            permission=perms.DECIDE_CASE,
            kind="risk.case_opened",
            title=_("Risk case %(no)s: %(kind)s")
            % {"no": case.case_no, "kind": case.get_kind_display()},
            body=case.summary,
            link=f"/admin/risk/riskcase/{case.pk}/change/",
            dedupe_key=f"risk.case:{case.pk}",
            subject=case,
        )
    return case, True
