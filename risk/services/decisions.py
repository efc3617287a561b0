"""Deciding risk cases: confirm, dismiss, take, notes, report by hand, close orders.

* :func:`case_confirm` / :func:`case_dismiss` — ``risk.decide_riskcase``, the case in
  the actor's scope (else 404); a reason is required; the ``risk.case`` clock stops
  (met), the inbox notices about the case resolve. Confirming may also mark the
  member (``mark_level``) and blacklist what the evidence names (``blacklist``). A
  dismissed brushing ring gives its orders back to the reports
  (``services.scan.ring_dismissed``).
* :func:`case_take` — the actor becomes the handler (``risk.change_riskcase``);
  :func:`case_note` — add a dated note.
* :func:`case_report` — staff open a case by hand (``risk.add_riskcase``).
* :func:`case_close_orders` — close the case's abusive orders that have not shipped
  (``orders.close_order``): stock back, refunds per the rules (orders' ``order_close``).
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from mall.core.audit import audit
from mall.core.transitions import transition
from ops.services.notifications import notifications_resolve
from ops.services.sla import sla_clock_stop

from .. import permissions as perms
from ..exceptions import InvalidRiskInput, RiskPermissionDenied, RiskStateConflict
from ..models import Point, RiskCase, RiskMark
from ..selectors import case_get, case_order_list
from .cases import case_open

C = RiskCase.Status


def _require(actor, permission: str) -> None:
    if not (actor.is_active and actor.is_staff and actor.has_perm(permission)):
        raise RiskPermissionDenied()


def _text(value: str, *, field: str = "reason", limit: int = 300, required: bool = True) -> str:
    value = (value or "").strip()
    if required and not value:
        raise InvalidRiskInput(fields={field: [_("Give a reason.")]})
    if len(value) > limit:
        raise InvalidRiskInput(
            fields={field: [_("At most %(limit)s characters.") % {"limit": limit}]}
        )
    return value


def _locked_open(actor, case: RiskCase) -> RiskCase:
    case = case_get(actor=actor, case_no=case.case_no, lock=True)
    if case.status != C.OPEN:
        raise RiskStateConflict(_("This case was already decided."))
    return case


def _decide(actor, case: RiskCase, to: str, reason: str, action: str) -> RiskCase:
    now = timezone.now()
    transition(
        case,
        to,
        actor=actor,
        action=action,
        reason=reason,
        decided_by=actor,
        decided_at=now,
        decision_reason=reason,
        handler=case.handler or actor,
    )
    sla_clock_stop(actor=actor, kind="risk.case", subject=case, outcome="met", at=now)
    notifications_resolve(actor=actor, subject=case)
    return case


@transaction.atomic
def case_confirm(
    *,
    actor,
    case: RiskCase,
    reason: str,
    mark_level: str | None = None,
    mark_days: int | None = None,
    blacklist: bool = False,
) -> RiskCase:
    """Confirm ``case`` (the finding is real). Optionally mark its member (``watch`` /
    ``high``, for ``mark_days`` or for good) and blacklist the member, devices and
    addresses its evidence names (``services.lists.blacklist_from_case``)."""
    _require(actor, perms.DECIDE_CASE)
    reason = _text(reason)
    case = _locked_open(actor, case)
    if mark_level is not None and mark_level not in RiskMark.Level.values:
        raise InvalidRiskInput(fields={"mark_level": [_("Unknown mark level.")]})
    if mark_level and case.member_id is None:
        raise InvalidRiskInput(fields={"mark_level": [_("This case names no member.")]})
    _decide(actor, case, C.CONFIRMED, reason, "risk.case_confirm")
    from .lists import blacklist_from_case, mark_add

    if mark_level:
        mark_add(
            actor=actor,
            member=case.member,
            level=mark_level,
            reason=reason,
            days=mark_days,
            case=case,
        )
    if blacklist:
        blacklist_from_case(actor=actor, case=case, reason=reason)
    if case.kind == RiskCase.Kind.BRUSHING_RING:
        from .scan import ring_confirmed

        ring_confirmed(actor=actor, case=case)
    return case


@transaction.atomic
def case_dismiss(*, actor, case: RiskCase, reason: str) -> RiskCase:
    """Dismiss ``case`` (a false alarm). A dismissed brushing ring's orders count in the
    reports again."""
    _require(actor, perms.DECIDE_CASE)
    reason = _text(reason)
    case = _locked_open(actor, case)
    _decide(actor, case, C.DISMISSED, reason, "risk.case_dismiss")
    if case.kind == RiskCase.Kind.BRUSHING_RING:
        from .scan import ring_dismissed

        ring_dismissed(actor=actor, case=case)
    return case


@transaction.atomic
def case_take(*, actor, case: RiskCase) -> RiskCase:
    """The actor becomes the case's handler (``risk.change_riskcase``)."""
    _require(actor, perms.CHANGE_CASE)
    case = _locked_open(actor, case)
    if case.handler_id == actor.pk:
        return case
    before = {"handler": case.handler_id}
    case.handler = actor
    case.save(update_fields=["handler", "updated_at"])
    audit(
        actor=actor,
        action="risk.case_take",
        target=case,
        before=before,
        after={"handler": actor.pk},
    )
    return case


@transaction.atomic
def case_note(*, actor, case: RiskCase, note: str) -> RiskCase:
    """Add a dated note (``risk.change_riskcase``; decided cases too)."""
    _require(actor, perms.CHANGE_CASE)
    note = _text(note, field="note", limit=1000)
    case = case_get(actor=actor, case_no=case.case_no, lock=True)
    stamp = timezone.localtime().strftime("%Y-%m-%d %H:%M")
    who = getattr(actor, "get_full_name", lambda: "")() or actor.get_username()
    case.notes = (case.notes + "\n" if case.notes else "") + f"[{stamp} {who}] {note}"
    case.save(update_fields=["notes", "updated_at"])
    audit(actor=actor, action="risk.case_note", target=case, data={"note": note})
    return case


def case_report(
    *, actor, summary: str, member=None, order=None, evidence: dict | None = None
) -> RiskCase:
    """Staff open a case by hand (``risk.add_riskcase``) about a member or an order in
    their scope (an order outside it: 404)."""
    _require(actor, perms.ADD_CASE)
    summary = _text(summary, field="summary")
    if order is not None:
        from orders.selectors import order_get

        order = order_get(actor=actor, order_no=order.order_no)
        member = member or order.member
    if member is None and order is None:
        raise InvalidRiskInput(fields={"member": [_("Name a member or an order.")]})
    case, _created = case_open(
        actor=actor,
        kind=RiskCase.Kind.MANUAL,
        point=Point.MANUAL,
        summary=summary,
        fingerprint=f"manual:{timezone.now().timestamp()}:{actor.pk}",
        evidence=dict(evidence or {}),
        member=member,
        order=order,
    )
    return case


def case_close_orders(*, actor, case: RiskCase, reason: str) -> list[str]:
    """Close the case's orders that have not shipped (``orders.close_order`` and the
    orders in scope; each in its own transaction). Returns the closed order numbers;
    orders already shipped, finished or outside the scope are left as they are."""
    from orders.exceptions import OrderNotCancellable, OrderNotFound
    from orders.services.cancellation import order_close

    _require(actor, perms.CLOSE_ORDER)
    reason = _text(reason, limit=200)
    case = case_get(actor=actor, case_no=case.case_no)
    if case.status != C.CONFIRMED:
        # an open case is a suspicion, a dismissed one a false alarm: neither closes
        # (and refunds) anybody's orders
        raise RiskStateConflict(_("Confirm the case before closing its orders."))
    closed = []
    for order in list(case_order_list(actor=actor, case=case)):
        try:
            before = order.status
            order = order_close(actor=actor, order=order, reason=reason)
        except (OrderNotCancellable, OrderNotFound):
            continue
        if before != order.status:
            closed.append(order.order_no)
    if closed:
        audit(
            actor=actor,
            action="risk.case_close_orders",
            target=case,
            data={"orders": closed, "reason": reason},
        )
    return closed
