"""Prices: the price history of SKUs, promotion prices and the lowest-price rule."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from mall.core.audit import audit, snapshot
from mall.core.times import SCHEDULE_HORIZON, is_beyond_horizon
from mall.core.transitions import register_transitions, transition
from ops.parameters import get_parameter

from .. import parameters as params
from .. import permissions as perms
from ..exceptions import (
    InvalidProductData,
    InvalidTransition,
    PromotionOverlap,
    PromotionPriceRefused,
)
from ..models import PromotionPrice, Sku, SkuPriceChange
from .common import _clean_text, _money, _require

# A promotion price is active from its creation; cancelling it is final. Whether it is
# running is a matter of its period, not of its status.
PROMOTION_TRANSITIONS = register_transitions(
    PromotionPrice,
    {
        PromotionPrice.Status.ACTIVE: {PromotionPrice.Status.CANCELLED},
        PromotionPrice.Status.CANCELLED: set(),
    },
    initial=[PromotionPrice.Status.ACTIVE],
)


def _record_price(sku: Sku, *, old, new, actor, reason: str = "") -> SkuPriceChange:
    """Append a row to the price history (``reason`` already checked: at most 200)."""
    return SkuPriceChange.objects.create(
        sku=sku,
        old_price_amount=old,
        new_price_amount=new,
        changed_by=actor,
        changed_at=timezone.now(),
        reason=reason,
    )


LOWEST_PRICE_HOOK = "catalog.lowest_price_candidates"
"""``mall.core.hooks`` hook offered by catalog: more prices a SKU sold at in a window.

Contract: a provider is ``provider(sku_id: int, start: datetime, end: datetime) ->
Iterable[Decimal]``: the prices the SKU was offered at, somewhere above catalog, during
a period overlapping ``[start, end)``. :func:`sku_lowest_price` counts them like promotion
prices. Orders provides the flash prices of published sessions
(``orders/hooks.py`` → ``orders.promotions.flash``).
"""


def sku_lowest_price(*, actor, sku: Sku, start: datetime, end: datetime) -> Decimal | None:
    """Return the lowest price ``sku`` sold at during ``[start, end)``, or ``None``.

    Counts the sale price in force at ``start`` (the last change at or before it),
    every sale-price change inside the window, every active promotion price whose
    period overlaps the window, and the prices the ``catalog.lowest_price_candidates``
    hook adds (the flash prices of approved, running or ended flash sales whose window
    overlaps). A SKU without history counts its current price.
    Public: the flash-sale price rule (``orders.promotions.flash``) reuses it.
    ``actor`` is who asks (a read of public prices: no permission needed).
    """
    from mall.core.hooks import call_providers

    history = SkuPriceChange.objects.filter(sku=sku)
    candidates: list[Decimal] = list(
        history.filter(changed_at__gt=start, changed_at__lt=end).values_list(
            "new_price_amount", flat=True
        )
    )
    in_force = (
        history.filter(changed_at__lte=start)
        .order_by("-changed_at", "-id")
        .values_list("new_price_amount", flat=True)
        .first()
    )
    if in_force is not None:
        candidates.append(in_force)
    candidates += list(
        PromotionPrice.objects.filter(
            sku=sku,
            status=PromotionPrice.Status.ACTIVE,
            starts_at__lt=end,
            ends_at__gt=start,
        ).values_list("price_amount", flat=True)
    )
    for prices in call_providers(LOWEST_PRICE_HOOK, sku_id=sku.pk, start=start, end=end):
        candidates += [Decimal(price) for price in prices or ()]
    if not candidates and not history.exists():
        candidates.append(sku.price_amount)
    return min(candidates) if candidates else None


def promotion_price_create(
    *,
    actor,
    sku: Sku,
    price_amount,
    starts_at: datetime,
    ends_at: datetime,
    note: str = "",
) -> PromotionPrice:
    """Set a promotion price for ``sku`` from ``starts_at`` until ``ends_at``.

    Compliance rule: the price must be strictly lower than the lowest price of the
    ``catalog.promotion_lookback_days`` days (default 30) before ``starts_at`` (up to
    now when the start is already past);
    otherwise ``PromotionPriceRefused`` names that price. Promotions of one SKU may
    not overlap (``PromotionOverlap``).
    """
    _require(actor, perms.ADD_PROMOTION)
    price = _money(price_amount, "price_amount")
    if price <= 0:
        raise InvalidProductData(fields={"price_amount": [_("The price must be above zero.")]})
    if (
        starts_at is None
        or ends_at is None
        or timezone.is_naive(starts_at)
        or timezone.is_naive(ends_at)
    ):
        raise InvalidProductData(
            fields={"starts_at": [_("Give a start and an end with time zone.")]}
        )
    if ends_at <= starts_at:
        raise InvalidProductData(fields={"ends_at": [_("The end must be after the start.")]})
    if ends_at <= timezone.now():
        raise InvalidProductData(fields={"ends_at": [_("The end must be in the future.")]})
    days = get_parameter(params.PROMOTION_LOOKBACK_DAYS)
    try:
        window_start = starts_at - timedelta(days=days)
    except OverflowError:  # a start within the look-back of the year 1
        raise InvalidProductData(
            fields={"starts_at": [_("The start is out of the supported range.")]}
        ) from None
    if is_beyond_horizon(starts_at):
        raise InvalidProductData(
            fields={"starts_at": [_("This time lies more than a year ahead.")]}
        )
    if ends_at - starts_at > SCHEDULE_HORIZON:
        raise InvalidProductData(fields={"ends_at": [_("A promotion lasts at most a year.")]})
    with transaction.atomic():
        sku = Sku.objects.select_for_update().get(pk=sku.pk)
        # A promotion that starts now (or is entered late) is also measured against
        # every price up to this moment.
        lowest = sku_lowest_price(
            actor=actor, sku=sku, start=window_start, end=max(starts_at, timezone.now())
        )
        if lowest is None:
            raise PromotionPriceRefused(
                _("The SKU has no price history in the %(days)d days before the start.")
                % {"days": days},
                extra={"lookback_days": days},
            )
        if price >= lowest:
            raise PromotionPriceRefused(
                _(
                    "A promotion price must be lower than %(lowest)s, the lowest price of "
                    "the %(days)d days before %(start)s."
                )
                % {
                    "lowest": f"{lowest:.2f}",
                    "days": days,
                    "start": timezone.localtime(starts_at).strftime("%Y-%m-%d %H:%M"),
                },
                fields={
                    "price_amount": [_("Must be below %(lowest)s.") % {"lowest": f"{lowest:.2f}"}]
                },
                extra={"lowest_price": f"{lowest:.2f}", "lookback_days": days},
            )
        overlapping = PromotionPrice.objects.filter(
            sku=sku,
            status=PromotionPrice.Status.ACTIVE,
            starts_at__lt=ends_at,
            ends_at__gt=starts_at,
        ).first()
        if overlapping is not None:
            raise PromotionOverlap(extra={"promotion_id": overlapping.pk})
        promotion = PromotionPrice.objects.create(
            sku=sku,
            price_amount=price,
            starts_at=starts_at,
            ends_at=ends_at,
            reference_price_amount=lowest,
            note=_clean_text(note, "note", max_length=200),
            created_by=actor,
        )
        audit(
            actor=actor,
            action="promotion_price.create",
            target=promotion,
            after=snapshot(promotion),
        )
    return promotion


def promotion_price_cancel(*, actor, promotion: PromotionPrice, reason: str = "") -> PromotionPrice:
    """Cancel a promotion price (idempotent); an ended one stays as history."""
    _require(actor, perms.CHANGE_PROMOTION)
    reason = _clean_text(reason, "reason", max_length=500)
    with transaction.atomic():
        promotion = PromotionPrice.objects.select_for_update().get(pk=promotion.pk)
        if promotion.status == PromotionPrice.Status.CANCELLED:
            return promotion
        if promotion.ends_at <= timezone.now():
            raise InvalidTransition(_("The promotion has already ended."))
        transition(
            promotion,
            PromotionPrice.Status.CANCELLED,
            actor=actor,
            action="promotion_price.cancel",
            reason=reason,
        )
    return promotion
