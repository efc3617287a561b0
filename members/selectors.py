"""Every read of the members app served to a person (or a job); always scoped.

Each selector takes ``actor`` first and starts from :func:`_visible`:

* a **member** (storefront, ``request.user`` is a ``Member``) sees only their own
  rows;
* a **staff user** sees the rows in their RBAC data scope (a member belongs to the
  sales region of their default address); outside the scope is "not found";
* the **system actor** (Celery jobs, management commands) sees every row.

``*_get`` selectors raise a ``NotFound`` subclass for a missing row, a row outside
the scope and an id that is not a number alike.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import Q, QuerySet, Sum
from django.utils import timezone

from mall.core.api import parse_pk
from mall.core.scoping import visible_rows

from . import crypto
from .exceptions import (
    AddressNotFound,
    CouponTemplateNotFound,
    InvalidPhone,
    LevelNotFound,
    MemberNotFound,
)
from .models import (
    Address,
    BirthdayBenefit,
    Coupon,
    CouponTemplate,
    GrowthEntry,
    Level,
    LevelChange,
    Member,
    Notification,
    NotificationOptOut,
    PointsEntry,
    PointsLot,
)
from .validators import normalize_phone


def _visible(actor, queryset: QuerySet, member_path: str | None = "member") -> QuerySet:
    """The rows of ``queryset`` ``actor`` may read (the kernel's one rule)."""
    return visible_rows(actor, queryset, member_path=member_path)


def _of_member(queryset: QuerySet, member: Member | None) -> QuerySet:
    return queryset if member is None else queryset.filter(member=member)


# --- members ----------------------------------------------------------------------------


def member_list(*, actor) -> QuerySet[Member]:
    """Members ``actor`` may see, with their level and region (a member: themself)."""
    return _visible(actor, Member.objects.select_related("level", "region"), member_path="pk")


def member_get(*, actor, pk) -> Member:
    """One member ``actor`` may see; ``MemberNotFound`` (404) otherwise."""
    number = parse_pk(pk)
    member = member_list(actor=actor).filter(pk=number).first() if number else None
    if member is None:
        raise MemberNotFound()
    return member


def member_get_by_phone(*, actor, phone: str) -> Member | None:
    """The member ``actor`` may see whose phone is exactly ``phone``, or None.

    Phones are stored encrypted; the search goes through the lookup hash of the
    normalised number, so only the full number finds anybody (an invalid or partial
    number finds nobody).
    """
    try:
        normalised = normalize_phone(phone)
    except InvalidPhone:
        return None
    return member_list(actor=actor).filter(phone_hash=crypto.lookup_hash(normalised)).first()


def member_signups_per_day(
    *, actor, days: int = 14, today: date | None = None
) -> list[tuple[date, int]]:
    """New members per day over the last ``days`` days (today included) in ``actor``'s
    scope, oldest first; days without sign-ups count 0 (the workbench chart)."""
    from datetime import timedelta

    from django.db.models import Count
    from django.db.models.functions import TruncDate

    today = today or timezone.localdate()
    first = today - timedelta(days=days - 1)
    start = timezone.make_aware(datetime.combine(first, datetime.min.time()))
    counts = dict(
        member_list(actor=actor)
        .select_related(None)
        .filter(created_at__gte=start)
        .annotate(day=TruncDate("created_at", tzinfo=timezone.get_current_timezone()))
        .order_by()
        .values_list("day")
        .annotate(total=Count("pk"))
        .values_list("day", "total")
    )
    days_shown = [first + timedelta(days=n) for n in range(days)]
    return [(day, counts.get(day, 0)) for day in days_shown]


def member_opt_outs(*, actor, member: Member) -> list[str]:
    """The notification kinds ``member`` opted out of, sorted."""
    rows = _visible(actor, NotificationOptOut.objects.filter(member=member))
    return sorted(rows.values_list("kind", flat=True))


def birthday_members_due(*, actor, today: date) -> list[int]:
    """Ids of active members whose birthday is ``today`` and not yet celebrated
    (for the birthday job, ``actor`` the system)."""
    condition = Q(birthday__month=today.month, birthday__day=today.day)
    if (today.month, today.day) == (2, 28) and not calendar.isleap(today.year):
        condition |= Q(birthday__month=2, birthday__day=29)
    return list(
        _visible(actor, Member.objects.all(), member_path="pk")
        .filter(condition, status=Member.Status.ACTIVE)
        .exclude(pk__in=BirthdayBenefit.objects.filter(year=today.year).values("member_id"))
        .order_by("pk")
        .values_list("pk", flat=True)
    )


# --- addresses --------------------------------------------------------------------------


def address_list(*, actor, member: Member | None = None) -> QuerySet[Address]:
    """Addresses ``actor`` may see (staff: by the address's own region), optionally
    of one member; the default first."""
    rows = Address.objects.select_related("member", "province", "region")
    return _of_member(_visible(actor, rows), member)


def address_get(*, actor, pk) -> Address:
    """One address ``actor`` may see; ``AddressNotFound`` (404) otherwise."""
    number = parse_pk(pk)
    address = address_list(actor=actor).filter(pk=number).first() if number else None
    if address is None:
        raise AddressNotFound()
    return address


# --- ledgers ----------------------------------------------------------------------------


def points_entry_list(*, actor, member: Member | None = None) -> QuerySet[PointsEntry]:
    """Points ledger entries ``actor`` may see, newest first."""
    return _of_member(_visible(actor, PointsEntry.objects.all()), member)


def points_lot_list(
    *, actor, member: Member | None = None, holding_only: bool = False
) -> QuerySet[PointsLot]:
    """Points lots ``actor`` may see, the soonest to expire first; ``holding_only``:
    only lots that still hold points."""
    rows = PointsLot.objects.order_by("expires_at", "id")
    if holding_only:
        rows = rows.filter(remaining__gt=0)
    return _of_member(_visible(actor, rows), member)


def points_available(*, actor, member: Member, now: datetime | None = None) -> int:
    """Points ``member`` can spend now (lots not past their expiry)."""
    now = now or timezone.now()
    lots = points_lot_list(actor=actor, member=member, holding_only=True)
    return lots.filter(expires_at__gt=now).aggregate(total=Sum("remaining"))["total"] or 0


def level_change_list(*, actor, member: Member | None = None) -> QuerySet[LevelChange]:
    """Level history rows ``actor`` may see, newest first."""
    rows = LevelChange.objects.select_related("member", "from_level", "to_level")
    return _of_member(_visible(actor, rows), member)


def growth_entry_list(*, actor, member: Member | None = None) -> QuerySet[GrowthEntry]:
    """Growth ledger entries ``actor`` may see, newest first."""
    return _of_member(_visible(actor, GrowthEntry.objects.all()), member)


@dataclass(frozen=True)
class PointsCheck:
    member_id: int
    balance: int
    ledger_total: int
    lots_total: int

    @property
    def ok(self) -> bool:
        return self.balance == self.ledger_total == self.lots_total


def points_verify(*, actor, member: Member) -> PointsCheck:
    """Compare the balance with the ledger's sum and the lots' remaining points."""
    balance = member_list(actor=actor).filter(pk=member.pk).values_list("points_balance", flat=True)
    entries = points_entry_list(actor=actor, member=member)
    lots = points_lot_list(actor=actor, member=member)
    return PointsCheck(
        member.pk,
        balance.first() or 0,
        entries.aggregate(t=Sum("points"))["t"] or 0,
        lots.aggregate(t=Sum("remaining"))["t"] or 0,
    )


def points_verify_all(*, actor, batch_size: int = 1000) -> list[PointsCheck]:
    """Return the members whose balance differs from their ledger or lots."""
    problems = []
    members = member_list(actor=actor).select_related(None).only("pk").order_by("pk")
    for member in members.iterator(chunk_size=batch_size):
        check = points_verify(actor=actor, member=member)
        if not check.ok:
            problems.append(check)
    return problems


def growth_verify(*, actor, member: Member) -> bool:
    """True when the member's growth equals the sum of its growth ledger."""
    total = growth_entry_list(actor=actor, member=member).aggregate(total=Sum("amount"))["total"]
    return member_list(actor=actor).filter(pk=member.pk, growth=total or 0).exists()


# --- coupons ----------------------------------------------------------------------------


def coupon_list(*, actor, member: Member | None = None) -> QuerySet[Coupon]:
    """Coupons ``actor`` may see (a member: their wallet), with their template."""
    rows = Coupon.objects.select_related("template", "member")
    return _of_member(_visible(actor, rows), member)


def _claimable_templates() -> QuerySet[CouponTemplate]:
    return CouponTemplate.objects.filter(is_active=True, is_claimable=True)


def coupon_template_list(*, actor) -> QuerySet[CouponTemplate]:
    """Coupon templates ``actor`` may see.

    Staff: every template (reference data, gated by the view permission). A member:
    the templates they can claim now (active, storefront-claimable, window not over).
    """
    if isinstance(actor, Member):
        return _claimable_templates().filter(
            Q(validity=CouponTemplate.Validity.DAYS) | Q(valid_until__gt=timezone.now())
        )
    return _visible(actor, CouponTemplate.objects.all())


def coupon_template_get(*, actor, pk) -> CouponTemplate:
    """One template ``actor`` may see; ``CouponTemplateNotFound`` (404) otherwise.

    A member may fetch any active claimable template — whether its window is still
    open is the claim's answer (409), not a 404.
    """
    number = parse_pk(pk)
    if isinstance(actor, Member):
        rows = _claimable_templates()
    else:
        rows = coupon_template_list(actor=actor)
    template = rows.filter(pk=number).first() if number else None
    if template is None:
        raise CouponTemplateNotFound()
    return template


# --- levels -----------------------------------------------------------------------------


def level_list(*, actor) -> QuerySet[Level]:
    """The level rules (reference data), by rank."""
    return _visible(actor, Level.objects.select_related("birthday_coupon"), member_path=None)


def level_get(*, actor, pk) -> Level:
    """One level rule; ``LevelNotFound`` (404) otherwise."""
    number = parse_pk(pk)
    level = level_list(actor=actor).filter(pk=number).first() if number else None
    if level is None:
        raise LevelNotFound()
    return level


# --- notifications ----------------------------------------------------------------------


def notification_list(*, actor, member: Member | None = None) -> QuerySet[Notification]:
    """Outbox rows ``actor`` may see, newest first."""
    return _of_member(_visible(actor, Notification.objects.select_related("member")), member)


def notifications_due(*, actor, now: datetime | None = None, limit: int = 500) -> list[int]:
    """Ids of pending notifications due for an attempt, oldest first (for the job)."""
    now = now or timezone.now()
    return list(
        _visible(actor, Notification.objects.filter(status=Notification.Status.PENDING))
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )
