"""Growth (成长值) and levels: the growth ledger, level recomputation and level rules.

Every change of a member's growth is a ``GrowthEntry`` unique per (reason,
reference): calling a service again with the same reference (a retried job, a
duplicated callback) returns the first entry and changes nothing. After each change
the member's level is recomputed from the thresholds (system parameters
``members.level_threshold_vip1`` … ``vip7``) and a ``LevelChange`` row keeps the
history.
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_DOWN, Decimal

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils.translation import gettext_lazy as _

from mall.core.audit import audit, snapshot
from mall.core.exceptions import InvalidInput
from mall.core.money import to_money
from ops.parameters import get_parameter

from ..exceptions import InvalidLevelRule, LedgerReferenceTaken
from ..levels import level_rank_for_growth
from ..models import GrowthEntry, GrowthReason, Level, LevelChange, Member
from ..pricing import growth_for_purchase

ROLLBACK_OF = {
    GrowthReason.PURCHASE_ROLLBACK: GrowthReason.PURCHASE,
    GrowthReason.REVIEW_ROLLBACK: GrowthReason.REVIEW,
    GrowthReason.PHOTO_REVIEW_ROLLBACK: GrowthReason.PHOTO_REVIEW,
}


MAX_COUNTER = 2_147_483_647  # growth and points live in 32-bit integer columns
MAX_REFERENCE_LENGTH = 100
MAX_NOTE_LENGTH = 200


def _member_level_recompute(member: Member, reason: str = "") -> Member:
    """Set ``member.level`` from its growth; record a ``LevelChange`` when it moves.

    Call inside the transaction that changed the growth, with the member row locked
    (the caller audits the growth change, levels included). Levels go down as well
    as up (a rolled-back purchase can cost the level).
    """
    rank = level_rank_for_growth(member.growth)
    target = Level.objects.filter(rank__lte=rank).order_by("-rank").first()
    if target is None or target.pk == member.level_id:
        return member
    LevelChange.objects.create(
        member=member,
        from_level_id=member.level_id,
        to_level=target,
        growth=member.growth,
        reason=reason[:200],  # derived "<reason>:<reference>", a label
    )
    member.level = target
    Member.objects.filter(pk=member.pk).update(level=target)
    return member


def _growth_existing(reason: str, reference: str, member: Member) -> GrowthEntry | None:
    """The entry already recorded for (reason, reference); another member's entry under
    that reference is a conflict (``LedgerReferenceTaken``), never handed back."""
    entry = GrowthEntry.objects.filter(reason=reason, reference=reference).first()
    if entry is not None and entry.member_id != member.pk:
        raise LedgerReferenceTaken(extra={"reason": reason, "reference": reference})
    return entry


def growth_record(
    *,
    actor,
    member: Member,
    reason: str,
    reference: str,
    amount: int,
    basis_amount: Decimal | None = None,
    note: str = "",
) -> GrowthEntry:
    """Add ``amount`` growth (negative to take away) once per (reason, reference).

    Idempotent: if an entry with this (reason, reference) exists it is returned and
    nothing changes. Growth never goes below zero: a negative amount larger than
    the member's growth is cut to what is there (the entry records what was applied).
    The level is recomputed and the change audited (``member.growth``) by ``actor``
    (the member for their own activity, the system actor from jobs; None counts as
    the member). A reference over 100 or a note over 200 characters is refused
    (``InvalidInput``), never cut.
    """
    reference = str(reference or "")
    if not reference or len(reference) > MAX_REFERENCE_LENGTH:
        raise InvalidInput(fields={"reference": [str(_("Give a reference of 1–100 characters."))]})
    if len(note or "") > MAX_NOTE_LENGTH:
        raise InvalidInput(fields={"note": [str(_("At most 200 characters."))]})
    if reason not in GrowthReason.values:
        raise InvalidInput(fields={"reason": [str(_("Unknown growth reason."))]})
    existing = _growth_existing(reason, reference, member)
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            locked = Member.objects.select_for_update().get(pk=member.pk)
            existing = _growth_existing(reason, reference, locked)
            if existing is not None:
                return existing
            applied = max(int(amount), -locked.growth)
            if locked.growth + applied > MAX_COUNTER:
                raise InvalidInput(fields={"amount": [str(_("Too large."))]})
            before = snapshot(locked, ["growth", "level_id"])
            locked.growth += applied
            entry = GrowthEntry.objects.create(
                member=locked,
                reason=reason,
                reference=reference,
                amount=applied,
                balance_after=locked.growth,
                basis_amount=basis_amount,
                note=note or "",
            )
            Member.objects.filter(pk=locked.pk).update(growth=locked.growth)
            _member_level_recompute(locked, f"{reason}:{reference}")
            audit(
                actor=actor or locked,
                action="member.growth",
                target=locked,
                before=before,
                after=snapshot(locked, ["growth", "level_id"]),
                data={"reason": reason, "reference": reference, "amount": applied},
            )
    except IntegrityError as error:
        # Another transaction recorded the same (reason, reference) first.
        existing = _growth_existing(reason, reference, member)
        if existing is None:  # another constraint: not a duplicate
            raise error
        return existing
    member.growth, member.level_id = locked.growth, locked.level_id
    return entry


def growth_record_daily_login(*, actor, member: Member, day: date) -> GrowthEntry:
    """Grant the growth of the day's first login (once per member and day)."""
    return growth_record(
        actor=actor,
        member=member,
        reason=GrowthReason.LOGIN,
        reference=f"{member.pk}:{day.isoformat()}",
        amount=get_parameter("members.growth_daily_login"),
    )


def growth_record_purchase(*, actor, member: Member, order_no: str, paid_amount) -> GrowthEntry:
    """Grant purchase growth for a completed order (``paid amount × coefficient``).

    For the orders app: call when the order completes; ``order_no`` is the
    reference, so calling twice grants once.
    """
    paid = to_money(paid_amount)
    if paid < 0:
        raise InvalidInput(fields={"paid_amount": [str(_("Must not be negative."))]})
    return growth_record(
        actor=actor,
        member=member,
        reason=GrowthReason.PURCHASE,
        reference=order_no,
        amount=growth_for_purchase(paid),
        basis_amount=paid,
    )


def growth_rollback_purchase(
    *, actor, member: Member, order_no: str, reference: str, refunded_amount
) -> GrowthEntry | None:
    """Take back the growth of the refunded part of an order (return, refund).

    ``reference`` identifies the refund (after-sale number), so each refund rolls
    back once. The amount is the original grant × refunded / paid, rounded down,
    never more than what is left of the original grant. Returns None when the order
    never earned growth.
    """
    with transaction.atomic():
        # Lock the member first: parallel refunds of one order then see each other's
        # rollbacks, so together they never take back more than the order earned.
        Member.objects.select_for_update().filter(pk=member.pk).first()
        original = GrowthEntry.objects.filter(
            reason=GrowthReason.PURCHASE, reference=order_no, member=member
        ).first()
        if original is None or not original.basis_amount:
            return None
        refunded = min(to_money(refunded_amount), original.basis_amount)
        share = Decimal(original.amount) * refunded / original.basis_amount
        amount = int(share.to_integral_value(rounding=ROUND_DOWN))
        rolled_back = -(
            GrowthEntry.objects.filter(
                member=member, reason=GrowthReason.PURCHASE_ROLLBACK, note=f"order:{order_no}"
            ).aggregate(total=Sum("amount"))["total"]
            or 0
        )
        amount = max(min(amount, original.amount - rolled_back), 0)
        return growth_record(
            actor=actor,
            member=member,
            reason=GrowthReason.PURCHASE_ROLLBACK,
            reference=reference,
            amount=-amount,
            basis_amount=refunded,
            note=f"order:{order_no}",
        )


def growth_record_review(
    *,
    actor,
    member: Member,
    review_id: str | int,
    item_price,
    photo_rank: int | None = None,
    is_virtual: bool = False,
) -> list[GrowthEntry]:
    """Grant review growth when a review passes moderation.

    A review of a non-virtual item priced at least ``members.growth_review_min_price``
    earns ``members.growth_review``; if it carries photos and is among the first
    ``members.growth_photo_review_first_n`` photo reviews of the item
    (``photo_rank`` counts from 1, computed by the orders app), it also earns
    ``members.growth_photo_review``. Returns the entries granted (possibly none).
    """
    entries: list[GrowthEntry] = []
    if is_virtual or to_money(item_price) < get_parameter("members.growth_review_min_price"):
        return entries
    entries.append(
        growth_record(
            actor=actor,
            member=member,
            reason=GrowthReason.REVIEW,
            reference=str(review_id),
            amount=get_parameter("members.growth_review"),
        )
    )
    if photo_rank is not None and 1 <= photo_rank <= get_parameter(
        "members.growth_photo_review_first_n"
    ):
        entries.append(
            growth_record(
                actor=actor,
                member=member,
                reason=GrowthReason.PHOTO_REVIEW,
                reference=str(review_id),
                amount=get_parameter("members.growth_photo_review"),
            )
        )
    return entries


def growth_rollback_review(*, actor, member: Member, review_id: str | int) -> list[GrowthEntry]:
    """Take back review (and photo review) growth when the review is deleted."""
    entries = []
    for rollback, original_reason in (
        (GrowthReason.REVIEW_ROLLBACK, GrowthReason.REVIEW),
        (GrowthReason.PHOTO_REVIEW_ROLLBACK, GrowthReason.PHOTO_REVIEW),
    ):
        original = GrowthEntry.objects.filter(
            member=member, reason=original_reason, reference=str(review_id)
        ).first()
        if original is None:
            continue
        entries.append(
            growth_record(
                actor=actor,
                member=member,
                reason=rollback,
                reference=str(review_id),
                amount=-original.amount,
            )
        )
    return entries


def growth_adjust(*, actor, member: Member, amount: int, reference: str, note: str) -> GrowthEntry:
    """Adjust growth by hand (staff), with a unique reference and a required note."""
    if not (note or "").strip():
        raise InvalidInput(fields={"note": [str(_("A note is required."))]})
    if not isinstance(amount, int) or amount == 0:
        raise InvalidInput(fields={"amount": [str(_("Must be a non-zero whole number."))]})
    return growth_record(
        actor=actor,
        member=member,
        reason=GrowthReason.ADJUSTMENT,
        reference=reference,
        amount=amount,
        note=note.strip(),
    )


LEVEL_RULE_FIELDS = ("name", "discount_rate", "free_shipping", "birthday_coupon", "birthday_points")


def level_rule_update(*, actor, level: Level, **changes) -> Level:
    """Change a level's benefits (name, discount rate, free shipping, birthday benefits).

    Thresholds are system parameters (changed through an approved change request),
    so they are not changed here. Raises ``InvalidLevelRule`` for a discount rate
    outside (0, 1] or a birthday coupon that is not a system-granted template.
    """
    unknown = set(changes) - set(LEVEL_RULE_FIELDS)
    if unknown:
        raise InvalidLevelRule(fields={field: [str(_("Cannot be changed."))] for field in unknown})
    rate = changes.get("discount_rate", level.discount_rate)
    if rate is None or not (Decimal(0) < Decimal(rate) <= Decimal(1)):
        raise InvalidLevelRule(fields={"discount_rate": [str(_("Must be above 0 and at most 1."))]})
    points = changes.get("birthday_points", 0)
    if not isinstance(points, int) or isinstance(points, bool) or not 0 <= points <= 1_000_000:
        message = str(_("Between 0 and 1,000,000 points."))
        raise InvalidLevelRule(message, fields={"birthday_points": [message]})
    coupon = changes.get("birthday_coupon")
    if coupon is not None and (not coupon.is_active or coupon.is_claimable):
        # A claimable template would let anybody claim the birthday gift in the shop.
        message = str(_("Choose an active coupon template that is not claimable in the shop."))
        raise InvalidLevelRule(message, fields={"birthday_coupon": [message]})
    with transaction.atomic():
        level = Level.objects.select_for_update().get(pk=level.pk)
        before = snapshot(level)
        for field, value in changes.items():
            setattr(level, field, value)
        level.full_clean()
        level.save(update_fields=[*changes, "updated_at"])
        audit(
            actor=actor,
            action="member.level_rule_update",
            target=level,
            before=before,
            after=snapshot(level),
        )
    return level
