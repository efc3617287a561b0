"""Points (积分): earn into lots, spend from the lots that expire first, refund, expire.

Invariants (checked by :func:`points_verify`): a member's ``points_balance`` equals
the sum of their ``PointsEntry`` rows and the sum of their lots' ``remaining``.
Every operation locks the member row first, so operations of one member serialise;
each entry is unique per (reason, reference), so a retried call changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_DOWN, Decimal

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mall.core.audit import audit
from mall.core.exceptions import InvalidInput
from mall.core.money import CENT, ZERO, to_money
from ops.parameters import get_parameter

from ..exceptions import (
    InsufficientPoints,
    InvalidPoints,
    LedgerReferenceTaken,
    PointsCapExceeded,
    PointsNotRefundable,
)
from ..models import (
    EARN_REASONS,
    SPEND_REASONS,
    Member,
    PointsEntry,
    PointsLot,
    PointsLotUse,
    PointsReason,
)
from ..pricing import points_to_amount
from ..selectors import points_available

MAX_COUNTER = 2_147_483_647  # balances and lots live in 32-bit integer columns
MAX_REFERENCE_LENGTH = 100
MAX_NOTE_LENGTH = 200


def _check_points(points) -> int:
    if isinstance(points, bool) or not isinstance(points, int) or points <= 0:
        raise InvalidPoints(fields={"points": [str(InvalidPoints.default_message)]})
    if points > MAX_COUNTER:
        raise InvalidPoints(fields={"points": [str(_("Too large."))]})
    return points


def _check_reference(reference) -> str:
    """A ledger reference is an id someone else chose (order number, review id): one
    that does not fit the column is refused, never cut (two cut references could
    collide and make a second grant look like a retry of the first)."""
    reference = str(reference or "")
    if not reference or len(reference) > MAX_REFERENCE_LENGTH:
        raise InvalidInput(fields={"reference": [str(_("Give a reference of 1–100 characters."))]})
    return reference


def _check_note(note: str) -> str:
    if len(note or "") > MAX_NOTE_LENGTH:
        raise InvalidInput(fields={"note": [str(_("At most 200 characters."))]})
    return note or ""


def _existing(reason: str, reference: str, member: Member | None = None) -> PointsEntry | None:
    """The entry already recorded for (reason, reference), if any.

    With ``member``: an entry of another member under that reference is never handed
    back as if it were this member's (``LedgerReferenceTaken``, 409).
    """
    entry = PointsEntry.objects.filter(reason=reason, reference=reference).first()
    if entry is not None and member is not None and entry.member_id != member.pk:
        raise LedgerReferenceTaken(extra={"reason": reason, "reference": reference})
    return entry


def _after_conflict(
    reason: str, reference: str, member: Member, error: IntegrityError
) -> PointsEntry:
    """The entry a racing transaction recorded first (the unique constraint fired)."""
    entry = _existing(reason, reference, member)
    if entry is None:  # another constraint: not a duplicate, let it surface
        raise error
    return entry


def _audit(actor, member: Member, entry: PointsEntry) -> None:
    audit(
        actor=actor or member,
        action=f"member.points_{entry.reason}",
        target=member,
        data={
            "entry": entry.pk,
            "reference": entry.reference,
            "points": entry.points,
            "balance_after": entry.balance_after,
        },
    )


def _apply(member: Member, delta: int) -> int:
    Member.objects.filter(pk=member.pk).update(points_balance=F("points_balance") + delta)
    member.points_balance += delta
    return member.points_balance


def points_earn(
    *,
    actor,
    member: Member,
    reason: str,
    reference: str,
    points: int,
    note: str = "",
    now: datetime | None = None,
) -> PointsEntry:
    """Credit ``points`` as a new lot that expires ``members.points_expiry_days`` later.

    ``reason`` is one of the earn reasons (sign-in, purchase, review, share, recharge,
    birthday, adjustment). Idempotent per (reason, reference): a repeated call returns
    the first entry. Audited as ``member.points_<reason>``.
    """
    points = _check_points(points)
    note = _check_note(note)
    if reason not in EARN_REASONS:
        raise InvalidInput(fields={"reason": [str(_("Not a way to earn points."))]})
    reference = _check_reference(reference)
    existing = _existing(reason, reference, member)
    if existing is not None:
        return existing
    now = now or timezone.now()
    try:
        with transaction.atomic():
            locked = Member.objects.select_for_update().get(pk=member.pk)
            existing = _existing(reason, reference, locked)
            if existing is not None:
                return existing
            if locked.points_balance + points > MAX_COUNTER:
                raise InvalidPoints(fields={"points": [str(_("Too large."))]})
            lot = PointsLot.objects.create(
                member=locked,
                reason=reason,
                reference=reference,
                points=points,
                remaining=points,
                earned_at=now,
                expires_at=now + timedelta(days=get_parameter("members.points_expiry_days")),
            )
            balance = _apply(locked, points)
            entry = PointsEntry.objects.create(
                member=locked,
                reason=reason,
                reference=reference,
                points=points,
                balance_after=balance,
                lot=lot,
                note=note,
            )
            _audit(actor, locked, entry)
    except IntegrityError as error:
        return _after_conflict(reason, reference, member, error)
    member.points_balance = balance
    return entry


def points_earn_for_purchase(*, actor, member: Member, order_no: str, paid_amount):
    """Grant purchase points (``members.points_purchase_per_yuan`` per whole yuan paid)
    once per order; returns the entry, or None when the order earns nothing."""
    per_yuan = get_parameter("members.points_purchase_per_yuan")
    points = int(to_money(paid_amount).to_integral_value(rounding=ROUND_DOWN)) * per_yuan
    if points <= 0:
        return None
    return points_earn(
        actor=actor,
        member=member,
        reason=PointsReason.PURCHASE,
        reference=order_no,
        points=points,
    )


def points_earn_for_activity(*, actor, member: Member, reason: str, reference: str):
    """Grant the fixed points of a review (``members.review_points``) or a share
    (``members.share_points``) once per reference; None when the parameter is 0."""
    key = {
        PointsReason.REVIEW: "members.review_points",
        PointsReason.SHARE: "members.share_points",
    }.get(reason)
    if key is None:
        raise InvalidInput(fields={"reason": [str(_("Not a points activity."))]})
    points = get_parameter(key)
    if points <= 0:
        return None
    return points_earn(
        actor=actor, member=member, reason=reason, reference=reference, points=points
    )


def points_spend(
    *,
    actor,
    member: Member,
    reason: str,
    reference: str,
    points: int,
    note: str = "",
    now: datetime | None = None,
) -> PointsEntry:
    """Debit ``points`` from the lots that expire first (FIFO by expiry).

    ``reason`` is checkout, points mall, exchange or adjustment. Lots past their
    expiry are not spendable even before the expiry job ran. Raises
    ``InsufficientPoints`` (409). Idempotent per (reason, reference).
    """
    points = _check_points(points)
    note = _check_note(note)
    if reason not in SPEND_REASONS | {PointsReason.ADJUSTMENT}:
        raise InvalidInput(fields={"reason": [str(_("Not a way to spend points."))]})
    reference = _check_reference(reference)
    existing = _existing(reason, reference, member)
    if existing is not None:
        return existing
    now = now or timezone.now()
    try:
        with transaction.atomic():
            locked = Member.objects.select_for_update().get(pk=member.pk)
            existing = _existing(reason, reference, locked)
            if existing is not None:
                return existing
            lots = list(
                PointsLot.objects.select_for_update()
                .filter(member=locked, remaining__gt=0, expires_at__gt=now)
                .order_by("expires_at", "id")
            )
            if sum(lot.remaining for lot in lots) < points:
                raise InsufficientPoints(extra={"available": sum(lot.remaining for lot in lots)})
            balance = _apply(locked, -points)
            entry = PointsEntry.objects.create(
                member=locked,
                reason=reason,
                reference=reference,
                points=-points,
                balance_after=balance,
                note=note,
            )
            left = points
            uses = []
            for lot in lots:
                if left == 0:
                    break
                take = min(lot.remaining, left)
                PointsLot.objects.filter(pk=lot.pk).update(remaining=F("remaining") - take)
                uses.append(PointsLotUse(entry=entry, lot=lot, points=take))
                left -= take
            PointsLotUse.objects.bulk_create(uses)
            _audit(actor, locked, entry)
    except IntegrityError as error:
        return _after_conflict(reason, reference, member, error)
    member.points_balance = balance
    return entry


def points_refund(
    *,
    actor,
    member: Member,
    spend_reference: str,
    reference: str,
    points: int | None = None,
    spend_reason: str = PointsReason.CHECKOUT,
    now: datetime | None = None,
) -> PointsEntry:
    """Give back points of a spend (a cancelled or refunded order).

    ``spend_reference`` is the spend's reference (the order number); ``reference``
    identifies this refund, so it happens once. ``points`` defaults to everything
    not yet refunded. Points go back into the lots they came from; the part whose
    lot has expired meanwhile comes back as a new lot with the normal expiry (the
    member did not choose the refund's timing). Raises ``PointsNotRefundable``.
    """
    reference = _check_reference(reference)
    existing = _existing(PointsReason.REFUND, reference, member)
    if existing is not None:
        return existing
    now = now or timezone.now()
    try:
        with transaction.atomic():
            locked = Member.objects.select_for_update().get(pk=member.pk)
            existing = _existing(PointsReason.REFUND, reference, locked)
            if existing is not None:
                return existing
            spend = PointsEntry.objects.filter(
                member=locked, reason=spend_reason, reference=str(spend_reference)
            ).first()
            if spend is None:
                raise PointsNotRefundable()
            uses = list(
                PointsLotUse.objects.select_for_update()
                .filter(entry=spend, refunded_points__lt=F("points"))
                .select_related("lot")
                .order_by("-lot__expires_at", "-id")
            )
            refundable = sum(use.points - use.refunded_points for use in uses)
            wanted = refundable if points is None else _check_points(points)
            if refundable == 0 or wanted > refundable:
                raise PointsNotRefundable(extra={"refundable": refundable})
            left = wanted
            expired_part = 0
            for use in uses:
                if left == 0:
                    break
                give = min(use.points - use.refunded_points, left)
                PointsLotUse.objects.filter(pk=use.pk).update(
                    refunded_points=F("refunded_points") + give
                )
                if use.lot.expires_at > now:
                    PointsLot.objects.filter(pk=use.lot_id).update(remaining=F("remaining") + give)
                else:
                    expired_part += give
                left -= give
            new_lot = None
            if expired_part:
                new_lot = PointsLot.objects.create(
                    member=locked,
                    reason=PointsReason.REFUND,
                    reference=reference,
                    points=expired_part,
                    remaining=expired_part,
                    earned_at=now,
                    expires_at=now + timedelta(days=get_parameter("members.points_expiry_days")),
                )
            balance = _apply(locked, wanted)
            entry = PointsEntry.objects.create(
                member=locked,
                reason=PointsReason.REFUND,
                reference=reference,
                points=wanted,
                balance_after=balance,
                lot=new_lot,
                note=f"{spend_reason}:{spend_reference}"[:200],
            )
            _audit(actor, locked, entry)
    except IntegrityError as error:
        return _after_conflict(PointsReason.REFUND, reference, member, error)
    member.points_balance = balance
    return entry


def points_expire_lot(*, actor, lot_id: int, now: datetime | None = None) -> PointsEntry | None:
    """Expire what is left of one lot past its expiry; None when nothing to do.

    Idempotent: the expiry entry's reference is the lot, and an emptied lot is skipped.
    """
    now = now or timezone.now()
    with transaction.atomic():
        lot = PointsLot.objects.filter(pk=lot_id).only("member_id").first()
        if lot is None:
            return None
        member = Member.objects.select_for_update().get(pk=lot.member_id)
        lot = PointsLot.objects.select_for_update().get(pk=lot_id)
        if lot.remaining == 0 or lot.expires_at > now:
            return None
        reference = f"lot:{lot.pk}"
        if _existing(PointsReason.EXPIRY, reference) is not None:
            return None
        expired = lot.remaining
        PointsLot.objects.filter(pk=lot.pk).update(remaining=0)
        balance = _apply(member, -expired)
        entry = PointsEntry.objects.create(
            member=member,
            reason=PointsReason.EXPIRY,
            reference=reference,
            points=-expired,
            balance_after=balance,
            lot=lot,
        )
        _audit(actor, member, entry)
    return entry


def points_expire_due(*, actor, now: datetime | None = None, batch_size: int = 500) -> int:
    """Expire every lot past its expiry that still holds points; return how many."""
    now = now or timezone.now()
    expired = 0
    last_id = 0
    while True:
        ids = list(
            PointsLot.objects.filter(remaining__gt=0, expires_at__lte=now, pk__gt=last_id)
            .order_by("pk")
            .values_list("pk", flat=True)[:batch_size]
        )
        if not ids:
            return expired
        for lot_id in ids:
            if points_expire_lot(actor=actor, lot_id=lot_id, now=now) is not None:
                expired += 1
        last_id = ids[-1]


def points_adjust(*, actor, member: Member, points: int, reference: str, note: str) -> PointsEntry:
    """Add (positive) or remove (negative) points by hand (staff), with a note."""
    if not (note or "").strip():
        raise InvalidInput(fields={"note": [str(_("A note is required."))]})
    if isinstance(points, bool) or not isinstance(points, int) or points == 0:
        raise InvalidPoints(fields={"points": [str(_("Must be a non-zero whole number."))]})
    if points > 0:
        return points_earn(
            actor=actor,
            member=member,
            reason=PointsReason.ADJUSTMENT,
            reference=reference,
            points=points,
            note=note.strip(),
        )
    return points_spend(
        actor=actor,
        member=member,
        reason=PointsReason.ADJUSTMENT,
        reference=reference,
        points=-points,
        note=note.strip(),
    )


# --- checkout deduction (for the orders app) -----------------------------------------


@dataclass(frozen=True)
class PointsDeduction:
    points: int
    deduction_amount: Decimal
    max_points: int


def points_deduction_quote(
    *, actor, member: Member, order_amount, points: int | None = None
) -> PointsDeduction:
    """Work out how many points an order may use and what they take off.

    The cap is ``members.points_deduction_cap_percent`` of ``order_amount`` (the
    goods amount after coupons), at ``members.points_per_yuan`` points per yuan,
    and never more than the member can spend. ``points=None`` asks for the
    maximum; asking for more than the maximum raises ``PointsCapExceeded``. A read
    for ``actor`` (the member at checkout): writes nothing.
    """
    amount = to_money(order_amount)
    if amount < ZERO:
        raise InvalidInput(fields={"order_amount": [str(_("Must not be negative."))]})
    per_yuan = get_parameter("members.points_per_yuan")
    cap_percent = get_parameter("members.points_deduction_cap_percent")
    cap_amount = (amount * cap_percent / 100).quantize(CENT, rounding=ROUND_DOWN)
    cap_points = int((cap_amount * per_yuan).to_integral_value(rounding=ROUND_DOWN))
    max_points = min(cap_points, points_available(actor=actor, member=member))
    if points is None:
        points = max_points
    elif isinstance(points, bool) or not isinstance(points, int) or points < 0:
        raise InvalidPoints(fields={"points": [str(InvalidPoints.default_message)]})
    elif points > max_points:
        raise PointsCapExceeded(
            fields={"points": [str(PointsCapExceeded.default_message)]},
            extra={"max_points": max_points},
        )
    return PointsDeduction(
        points=points, deduction_amount=points_to_amount(points), max_points=max_points
    )


def points_spend_for_checkout(
    *, actor, member: Member, order_no: str, points: int, order_amount
) -> tuple[PointsEntry, Decimal]:
    """Spend ``points`` on order ``order_no`` within the cap; return (entry, deduction).

    Call inside the order placement transaction; refund with
    ``points_refund(actor=…, member=…, spend_reference=order_no, reference=<refund id>)``.
    """
    quote = points_deduction_quote(
        actor=actor, member=member, order_amount=order_amount, points=points
    )
    entry = points_spend(
        actor=actor,
        member=member,
        reason=PointsReason.CHECKOUT,
        reference=order_no,
        points=_check_points(quote.points),
    )
    return entry, quote.deduction_amount
