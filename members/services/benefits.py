"""Daily sign-in and yearly birthday benefits."""

from __future__ import annotations

import calendar
from datetime import date, datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from mall.core.audit import audit
from ops.parameters import get_parameter

from ..exceptions import AlreadySignedIn, CouponNotClaimable, CouponSoldOut
from ..models import (
    BirthdayBenefit,
    Coupon,
    Member,
    NotificationChannel,
    NotificationKind,
    PointsEntry,
    PointsReason,
)
from .coupons import coupon_issue
from .notifications import notification_enqueue
from .points import points_earn


def member_sign_in(*, actor, member: Member, now: datetime | None = None) -> PointsEntry:
    """Record today's check-in and grant ``members.sign_in_points`` points.

    ``actor`` is the member checking in. Once per member and local day: a second
    call raises ``AlreadySignedIn`` (409) — also when both arrive at once (two
    devices): the member row is locked before the day's entry is looked for, so
    exactly one call grants the points and every other one sees its entry.
    (``points_earn`` alone is idempotent and would answer the late caller with the
    first entry, i.e. a second "201".)
    """
    now = now or timezone.now()
    day = timezone.localdate(now)
    reference = f"{member.pk}:{day.isoformat()}"
    points = get_parameter("members.sign_in_points")
    if points <= 0:
        raise AlreadySignedIn()  # sign-in switched off: nothing to grant
    with transaction.atomic():
        Member.objects.select_for_update().filter(pk=member.pk).values_list("pk").first()
        if PointsEntry.objects.filter(reason=PointsReason.SIGN_IN, reference=reference).exists():
            raise AlreadySignedIn()
        entry = points_earn(
            actor=actor,
            member=member,
            reason=PointsReason.SIGN_IN,
            reference=reference,
            points=points,
            now=now,
        )
    return entry


def _birthday_matches(birthday: date, today: date) -> bool:
    """True on the birthday; members born on 29 February celebrate on the 28th in
    years without one."""
    if (birthday.month, birthday.day) == (today.month, today.day):
        return True
    return (
        (birthday.month, birthday.day) == (2, 29)
        and (today.month, today.day) == (2, 28)
        and not calendar.isleap(today.year)
    )


def birthday_benefits_grant(*, actor, member_id: int, today: date) -> BirthdayBenefit | None:
    """Grant member ``member_id`` their level's birthday benefits once for ``today.year``.

    Benefits come from the member's level: its birthday coupon template (if any stock
    is left) and birthday points; a benefit notification is queued. Returns None —
    changing nothing — when it is not the member's birthday, the member is not
    active or gone, or the benefits of this year were granted already (the
    ``BirthdayBenefit`` row is unique per member and year).
    """
    try:
        with transaction.atomic():
            member = (
                Member.objects.select_for_update()
                .select_related("level")
                .filter(pk=member_id, status=Member.Status.ACTIVE)
                .first()
            )
            if (
                member is None
                or member.birthday is None
                or not _birthday_matches(member.birthday, today)
            ):
                return None
            benefit = BirthdayBenefit.objects.create(
                member=member, year=today.year, level=member.level
            )
            level = member.level
            coupon = None
            if level.birthday_coupon_id:
                try:
                    with transaction.atomic():
                        coupon = coupon_issue(
                            actor=actor,
                            member=member,
                            template=level.birthday_coupon,
                            source=Coupon.Source.BIRTHDAY,
                        )
                except (CouponSoldOut, CouponNotClaimable):
                    coupon = None  # no stock left: points and message still go out
            if level.birthday_points:
                points_earn(
                    actor=actor,
                    member=member,
                    reason=PointsReason.BIRTHDAY,
                    reference=f"{member.pk}:{today.year}",
                    points=level.birthday_points,
                )
            benefit.coupon = coupon
            benefit.points = level.birthday_points
            benefit.save(update_fields=["coupon", "points"])
            notification_enqueue(
                actor=actor,
                member=member,
                kind=NotificationKind.BENEFIT,
                channel=NotificationChannel.IN_APP,
                payload={
                    "template": "birthday",
                    "level": level.code,
                    "coupon": coupon.pk if coupon else None,
                    "points": level.birthday_points,
                },
                dedupe_key=f"birthday:{member.pk}:{today.year}",
            )
            audit(
                actor=actor,
                action="member.birthday_benefit",
                target=member,
                data={
                    "year": today.year,
                    "coupon": coupon.pk if coupon else None,
                    "points": level.birthday_points,
                },
            )
    except IntegrityError:
        return None
    return benefit
