"""Every read of the members app served to a person; staff reads are always scoped.

Staff selectors start from :func:`member_visible_to` (the RBAC data scope: a member
belongs to the sales region of their default address); a member outside the
caller's scope is "not found". Storefront selectors take the member and only ever
return their own rows.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.utils import timezone

from mall.core.scoping import scope_queryset

from . import crypto
from .exceptions import AddressNotFound, CouponTemplateNotFound, InvalidPhone, MemberNotFound
from .models import (
    Address,
    Coupon,
    CouponTemplate,
    GrowthEntry,
    Level,
    LevelChange,
    Member,
    NotificationOptOut,
    PointsEntry,
    PointsLot,
)
from .services.accounts import normalize_phone

MAX_ID = 2**63 - 1


def parse_id(value) -> int | None:
    """Return ``value`` as a database id, or None when it cannot be one (so a huge or
    malformed id in a URL is "not found", never a database error)."""
    try:
        number = int(str(value))
    except (TypeError, ValueError):
        return None
    return number if 0 < number <= MAX_ID else None


def member_visible_to(actor) -> QuerySet[Member]:
    """Members the staff ``actor`` may see (data scope)."""
    return scope_queryset(actor, Member.objects.select_related("level", "region"))


def member_filter(
    members: QuerySet[Member],
    *,
    phone: str = "",
    level: str = "",
    status: str = "",
    region: str = "",
) -> QuerySet[Member]:
    """Filter (already scoped) members. ``phone`` must be the full number (lookup
    hash): encrypted phones cannot be searched by fragments, by design."""
    if phone:
        try:
            members = members.filter(phone_hash=crypto.lookup_hash(normalize_phone(phone)))
        except InvalidPhone:  # an invalid phone simply matches nobody
            members = members.none()
    if level:
        members = members.filter(level__code=level)
    if status:
        members = members.filter(status=status)
    if region:
        members = members.filter(region__code=region)
    return members


def member_list(*, actor, **filters) -> QuerySet[Member]:
    """Members in ``actor``'s scope, filtered (see :func:`member_filter`)."""
    return member_filter(member_visible_to(actor), **filters)


def member_get(*, actor, member_id) -> Member:
    """One member in ``actor``'s scope; ``MemberNotFound`` (404) otherwise."""
    pk = parse_id(member_id)
    member = member_visible_to(actor).filter(pk=pk).first() if pk else None
    if member is None:
        raise MemberNotFound()
    return member


def address_visible_to(actor) -> QuerySet[Address]:
    return scope_queryset(actor, Address.objects.select_related("province", "region"))


def growth_entries_visible_to(actor) -> QuerySet[GrowthEntry]:
    return scope_queryset(actor, GrowthEntry.objects.all())


def points_entries_visible_to(actor) -> QuerySet[PointsEntry]:
    return scope_queryset(actor, PointsEntry.objects.all())


def coupons_visible_to(actor) -> QuerySet[Coupon]:
    return scope_queryset(actor, Coupon.objects.select_related("template"))


def level_changes_visible_to(actor) -> QuerySet[LevelChange]:
    return scope_queryset(actor, LevelChange.objects.select_related("from_level", "to_level"))


def coupon_template_list(*, actor) -> QuerySet[CouponTemplate]:
    """Coupon templates (reference data: every holder of the view permission)."""
    return scope_queryset(actor, CouponTemplate.objects.all())


def level_list() -> QuerySet[Level]:
    return Level.objects.select_related("birthday_coupon").order_by("rank")


# --- the storefront: a member's own rows ------------------------------------------------


def own_addresses(member: Member) -> QuerySet[Address]:
    return Address.objects.filter(member=member).select_related("province", "region")


def own_address_get(member: Member, address_id) -> Address:
    pk = parse_id(address_id)
    address = own_addresses(member).filter(pk=pk).first() if pk else None
    if address is None:
        raise AddressNotFound()
    return address


def own_points_entries(member: Member) -> QuerySet[PointsEntry]:
    return PointsEntry.objects.filter(member=member)


def own_points_lots(member: Member) -> QuerySet[PointsLot]:
    return PointsLot.objects.filter(member=member, remaining__gt=0).order_by("expires_at", "id")


def own_coupons(member: Member, *, status: str = "") -> QuerySet[Coupon]:
    coupons = Coupon.objects.filter(member=member).select_related("template")
    if status:
        coupons = coupons.filter(status=status)
    return coupons


def own_opt_outs(member: Member) -> list[str]:
    return sorted(NotificationOptOut.objects.filter(member=member).values_list("kind", flat=True))


def claimable_coupon_template_get(template_id) -> CouponTemplate:
    """A template a member may try to claim (active, storefront-claimable)."""
    pk = parse_id(template_id)
    template = (
        CouponTemplate.objects.filter(pk=pk, is_active=True, is_claimable=True).first()
        if pk
        else None
    )
    if template is None:
        raise CouponTemplateNotFound()
    return template


def claimable_coupon_templates() -> QuerySet[CouponTemplate]:
    """Templates a member can claim now: active, storefront-claimable, window not over."""
    return CouponTemplate.objects.filter(is_active=True, is_claimable=True).filter(
        Q(validity=CouponTemplate.Validity.DAYS) | Q(valid_until__gt=timezone.now())
    )
