"""The discrepancy queue (对账差异): finance works what a reconciliation found.

* ``discrepancy_resolve`` — marked resolved with a note (``payments.resolve_discrepancy``);
* ``discrepancy_requery`` — the channel is asked about the transaction / refund and
  what it says is applied through payments' own services (the query fallback's path);
  the answer is kept in ``query_result``;
* ``adjustment_propose`` / ``adjustment_approve`` / ``adjustment_reject`` — the
  two-person correction (调账): one finance user proposes a signed amount with a reason,
  another decides. The proposer can neither approve nor reject (``SameApprover``, and
  the CHECK constraint ``payments_adjustment_two_people`` on the row). Approval marks
  the discrepancy ``adjusted``; for a sales channel's statement it also posts an
  ``adjustment`` entry to that channel's balance ledger.

Locks: adjustment, then discrepancy, then its run (``select_for_update``), so two
approvals of the same adjustment queue behind each other and the second finds it
decided (409). After every status change the run's ``open_count`` / ``open_amount``
are recounted from its discrepancies (``open`` ones) under the run's row lock.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.db import IntegrityError
from django.db import transaction as db_transaction
from django.db.models import Count, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from mall.core.actors import is_system_actor, system_actor
from mall.core.audit import audit
from mall.core.money import to_money
from mall.core.transitions import transition

from .. import permissions as perms
from ..exceptions import (
    AdjustmentNotFound,
    DiscrepancyNotFound,
    DiscrepancyStateConflict,
    InvalidPaymentInput,
    PaymentsPermissionDenied,
    SameApprover,
)
from ..models import Discrepancy, Reconciliation, ReconciliationAdjustment

D = Discrepancy.Status
AD = ReconciliationAdjustment.Status
NOTE_MAX = 300
# what a correction may be: a cent up to a billion yuan, either sign
ADJUSTMENT_LIMIT = Decimal("1000000000")


def _require(actor, permission: str) -> None:
    if is_system_actor(actor):
        return
    if not (
        getattr(actor, "is_active", False)
        and getattr(actor, "is_staff", False)
        and actor.has_perm(permission)
    ):
        raise PaymentsPermissionDenied()


def _note(note, *, required: bool = True, field: str = "note") -> str:
    text = str(note or "").strip()
    if required and not text:
        raise InvalidPaymentInput(fields={field: [_("Say what was done about it.")]})
    if len(text) > NOTE_MAX:
        raise InvalidPaymentInput(
            fields={field: [_("At most %(max)s characters.") % {"max": NOTE_MAX}]}
        )
    return text


def _amount(value) -> Decimal:
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, TypeError, ValueError):
        amount = None
    if amount is None or not amount.is_finite():
        raise InvalidPaymentInput(fields={"amount": [_("Enter an amount in yuan.")]})
    if amount != amount.quantize(Decimal("0.01")):
        raise InvalidPaymentInput(fields={"amount": [_("At most two decimal places.")]})
    if amount == 0:
        raise InvalidPaymentInput(fields={"amount": [_("An adjustment cannot be zero.")]})
    if abs(amount) >= ADJUSTMENT_LIMIT:
        raise InvalidPaymentInput(fields={"amount": [_("The amount is too large.")]})
    return to_money(amount)


def _locked_discrepancy(actor, discrepancy: Discrepancy) -> Discrepancy:
    """The discrepancy under a row lock, if the actor may see it (else 404)."""
    from ..selectors import discrepancy_list

    if not discrepancy_list(actor=actor).filter(pk=discrepancy.pk).exists():
        raise DiscrepancyNotFound()
    return Discrepancy.objects.select_for_update().get(pk=discrepancy.pk)


def _recount(actor, reconciliation_id: int) -> Reconciliation:
    """Recount the run's open discrepancies and the amount at stake (under its lock, so
    two changes in the same run cannot both write a stale figure). When none is left
    open, the run's "open discrepancies" notices are done work and resolved."""
    run = Reconciliation.objects.select_for_update().get(pk=reconciliation_id)
    figures = Discrepancy.objects.filter(reconciliation_id=run.pk, status=D.OPEN).aggregate(
        count=Count("id"), amount=Sum("difference_amount")
    )
    run.open_count = figures["count"] or 0
    run.open_amount = to_money(figures["amount"] or Decimal("0"))
    run.save(update_fields=["open_count", "open_amount", "updated_at"])
    if not run.open_count:
        from ops.services.notifications import notifications_resolve

        notifications_resolve(actor=actor, subject=run, kinds=["payments.reconciliation_open"])
    return run


def _has_pending(discrepancy: Discrepancy) -> bool:
    return ReconciliationAdjustment.objects.filter(
        discrepancy_id=discrepancy.pk, status=AD.PROPOSED
    ).exists()


# --- resolve and re-query -------------------------------------------------------------


@db_transaction.atomic
def discrepancy_resolve(*, actor, discrepancy: Discrepancy, note: str) -> Discrepancy:
    """Mark an ``open`` discrepancy resolved with what was done (``note``, required, at
    most 300 characters). Permission ``payments.resolve_discrepancy``; outside the
    actor's scope 404; not open, or an adjustment of it waiting for approval, 409.
    The run's open figures are recounted."""
    _require(actor, perms.RESOLVE_DISCREPANCY)
    note = _note(note)
    row = _locked_discrepancy(actor, discrepancy)
    if row.status != D.OPEN:
        raise DiscrepancyStateConflict(_("Only an open discrepancy can be resolved."))
    if _has_pending(row):
        raise DiscrepancyStateConflict(
            _("An adjustment of this discrepancy is waiting for approval.")
        )
    transition(
        row,
        D.RESOLVED,
        actor=actor,
        action="reconciliation.discrepancy_resolve",
        reason=note,
        resolution_note=note,
        resolved_by=None if is_system_actor(actor) else actor,
        resolved_at=timezone.now(),
    )
    _recount(actor, row.reconciliation_id)
    return row


def discrepancy_requery(*, actor, discrepancy: Discrepancy) -> Discrepancy:
    """Ask the channel about the discrepancy's refund (or else its transaction) and
    apply what it says through payments' services (``refund_query`` /
    ``transaction_query``: a payment the channel confirms is applied once). The answer
    is kept in ``query_result`` with ``last_queried_at``; the status does not change
    (finance resolves or adjusts after reading it).

    Permission ``payments.resolve_discrepancy``; outside the scope 404; an item with no
    record of ours, or one no longer open or held, 409. A channel that cannot be
    reached raises its error (nothing is kept)."""
    from .refunds import refund_query
    from .transactions import transaction_query

    _require(actor, perms.RESOLVE_DISCREPANCY)
    from ..selectors import discrepancy_get

    current = discrepancy_get(actor=actor, pk=discrepancy.pk)
    if current.status not in (D.OPEN, D.HELD):
        raise DiscrepancyStateConflict(_("Only an open or held discrepancy can be re-queried."))
    if current.refund_id is None and current.transaction_id is None:
        raise DiscrepancyStateConflict(
            _("We have no record of this item: there is nothing to ask the channel about.")
        )
    # the channel is asked outside any row lock (a slow channel must not hold the queue)
    if current.refund_id is not None:
        answer = {"refund_no": current.refund.refund_no}
        answer.update(refund_query(actor=actor, refund=current.refund))
    else:
        answer = {"transaction_no": current.transaction.transaction_no}
        answer.update(transaction_query(actor=actor, transaction=current.transaction))
    with db_transaction.atomic():
        row = _locked_discrepancy(actor, current)
        row.query_result = answer
        row.last_queried_at = timezone.now()
        row.save(update_fields=["query_result", "last_queried_at", "updated_at"])
        audit(
            actor=actor,
            action="reconciliation.discrepancy_requery",
            target=row,
            data={"kind": row.kind, "answer": answer},
        )
    return row


# --- adjustments (two people) ---------------------------------------------------------


@db_transaction.atomic
def adjustment_propose(
    *, actor, discrepancy: Discrepancy, amount, note: str
) -> ReconciliationAdjustment:
    """Propose a correction of an ``open`` discrepancy: a signed ``amount`` (yuan, not
    zero, two decimals) and the reason (``note``, required). Permission
    ``payments.propose_adjustment``; outside the scope 404; not open, or another
    proposal of it still waiting, 409. Another finance user decides it."""
    _require(actor, perms.PROPOSE_ADJUSTMENT)
    value = _amount(amount)
    note = _note(note)
    row = _locked_discrepancy(actor, discrepancy)
    if row.status != D.OPEN:
        raise DiscrepancyStateConflict(_("Only an open discrepancy can be adjusted."))
    if _has_pending(row):
        raise DiscrepancyStateConflict(
            _("An adjustment of this discrepancy is waiting for approval.")
        )
    try:
        with db_transaction.atomic():
            adjustment = ReconciliationAdjustment.objects.create(
                discrepancy=row,
                region_id=row.region_id,
                amount=value,
                note=note,
                status=AD.PROPOSED,
                proposed_by=actor,
            )
    except IntegrityError as error:  # a proposal raced this one (one pending per item)
        raise DiscrepancyStateConflict(
            _("An adjustment of this discrepancy is waiting for approval.")
        ) from error
    audit(
        actor=actor,
        action="reconciliation.adjustment_propose",
        target=adjustment,
        after={"discrepancy": row.pk, "amount": f"{value:.2f}", "note": note},
    )
    return adjustment


def _locked_adjustment(actor, adjustment: ReconciliationAdjustment) -> ReconciliationAdjustment:
    from ..selectors import adjustment_list

    if not adjustment_list(actor=actor).filter(pk=adjustment.pk).exists():
        raise AdjustmentNotFound()
    return ReconciliationAdjustment.objects.select_for_update().get(pk=adjustment.pk)


def _decidable(actor, adjustment: ReconciliationAdjustment) -> ReconciliationAdjustment:
    _require(actor, perms.APPROVE_ADJUSTMENT)
    row = _locked_adjustment(actor, adjustment)
    if row.proposed_by_id == getattr(actor, "pk", None):
        raise SameApprover()
    if row.status != AD.PROPOSED:
        raise DiscrepancyStateConflict(_("This adjustment has already been decided."))
    return row


@db_transaction.atomic
def adjustment_approve(
    *, actor, adjustment: ReconciliationAdjustment, note: str = ""
) -> ReconciliationAdjustment:
    """Approve a proposed adjustment: it becomes the correction entry and its
    discrepancy ``adjusted``; for a sales channel an ``adjustment`` entry of the
    amount is posted to that channel's balance ledger (reference ``RECADJ-<id>``).

    Permission ``payments.approve_adjustment``; outside the scope 404; the proposer
    403 ``same_approver``; already decided (a second approval that waited for the
    first) or the discrepancy no longer open, 409."""
    row = _decidable(actor, adjustment)
    note = _note(note, required=False)
    item = Discrepancy.objects.select_for_update().get(pk=row.discrepancy_id)
    if item.status != D.OPEN:
        raise DiscrepancyStateConflict(_("Only an open discrepancy can be adjusted."))
    reference = ""
    if item.sales_channel_id is not None:
        from orders.services.channels import channel_ledger_post

        # the approval is the authority for the entry (finance need not hold the
        # orders permission to move a balance by hand); the audit names the approver
        entry = channel_ledger_post(
            actor=system_actor(),
            channel=item.sales_channel,
            kind="adjustment",
            amount=row.amount,
            reference_no=f"RECADJ-{row.pk}",
            note=(note or row.note)[:200],
        )
        reference = entry.reference_no
    now = timezone.now()
    transition(
        row,
        AD.APPROVED,
        actor=actor,
        action="reconciliation.adjustment_approve",
        reason=note,
        data={"amount": f"{row.amount:.2f}", "ledger_reference": reference},
        decided_by=actor,
        decided_at=now,
        decision_note=note,
        ledger_reference=reference,
    )
    transition(
        item,
        D.ADJUSTED,
        actor=actor,
        action="reconciliation.discrepancy_adjust",
        reason=row.note,
        data={"adjustment": row.pk},
        resolution_note=row.note[:300],
        resolved_by=actor,
        resolved_at=now,
    )
    _recount(actor, item.reconciliation_id)
    return row


@db_transaction.atomic
def adjustment_reject(
    *, actor, adjustment: ReconciliationAdjustment, note: str
) -> ReconciliationAdjustment:
    """Reject a proposed adjustment with the reason (``note``, required); its
    discrepancy stays open for another proposal or a resolution. Same permission and
    refusals as ``adjustment_approve``."""
    row = _decidable(actor, adjustment)
    note = _note(note)
    transition(
        row,
        AD.REJECTED,
        actor=actor,
        action="reconciliation.adjustment_reject",
        reason=note,
        decided_by=actor,
        decided_at=timezone.now(),
        decision_note=note,
    )
    return row


def adjustments_close_for_superseded(*, actor, discrepancy_ids) -> list[int]:
    """Reject (close) every proposal still waiting on a ``superseded`` discrepancy of
    ``discrepancy_ids``: the item can no longer be adjusted, so the proposal must not
    wait for a decision forever. Called by the runs' executor, in its transaction,
    after a new run superseded the earlier one(s). Ids of other statuses are ignored.
    Each proposal moves ``rejected`` (``decided_by`` empty: the system closed it) with
    the audit ``reconciliation.adjustment_close``; returns the adjustments' ids."""
    ids = list(discrepancy_ids or ())
    if not ids:
        return []
    pending = ReconciliationAdjustment.objects.select_for_update().filter(
        discrepancy_id__in=ids,
        discrepancy__status=D.SUPERSEDED,
        status=AD.PROPOSED,
    )
    note = _("Closed: the discrepancy was superseded by a new run of its bill.")[:NOTE_MAX]
    closed = []
    now = timezone.now()
    for row in pending.order_by("pk"):
        transition(
            row,
            AD.REJECTED,
            actor=actor,
            action="reconciliation.adjustment_close",
            reason=note,
            data={"discrepancy": row.discrepancy_id},
            decided_at=now,
            decision_note=note,
        )
        closed.append(row.pk)
    return closed
