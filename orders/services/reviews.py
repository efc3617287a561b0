"""Reviews (评价) of received order lines, and the slow-movers report.

A review is shown at once. Two stars or fewer open the ``review.negative_reply``
clock (2 h) and tell the staff who may reply; a reply stops it. Violating reviews
are hidden with a reason (audited) and can be shown again. Growth and points follow
members' rules (``growth_record_review``: items of at least 20 yuan, not virtual;
the first 10 photo reviews of a product earn the photo bonus) and are taken back
when the review is deleted.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from mall.core.actors import is_system_actor
from mall.core.audit import audit
from mall.core.transitions import transition
from ops.parameters import get_parameter
from ops.services.notifications import notifications_resolve, staff_notify
from ops.services.sla import sla_clock_start, sla_clock_stop

from .. import permissions as perms
from ..exceptions import (
    InvalidOrderInput,
    OrderNotFound,
    OrdersPermissionDenied,
    OrderStateConflict,
    ReviewNotAllowed,
    ReviewNotFound,
)
from ..models import Order, OrderLine, Review, ReviewImage
from ..parameters import REVIEW_WINDOW_DAYS, SLOW_MOVER_DAYS
from .after_sales import _check_images, _is_member, _notify_on_commit, _require, _text

R = Review.Status
NEGATIVE_KIND = "orders.negative_review"
SLOW_MOVERS_KIND = "orders.slow_movers"
NEGATIVE_CLOCK = "review.negative_reply"
NEGATIVE_MAX_RATING = 2
SLOW_MOVERS_LISTED = 30  # titles named in one notice; the rest are counted


def _locked_review(actor, review: Review) -> Review:
    from ..selectors import review_get

    if _is_member(actor) and review.member_id != actor.pk:
        raise ReviewNotFound()
    return review_get(actor=actor, pk=review.pk, lock=True)


def _review_transition(*, actor, review: Review, to: str, action: str, reason: str = "", **changes):
    """Move a review (table-checked, saved with ``update_fields``, audited)."""
    transition(review, to, actor=actor, action=action, reason=reason, **changes)


def _review_link(review: Review) -> str:
    return f"/admin/orders/review/{review.pk}/change/"


def _points_reference(review: Review) -> str:
    """The points ledger's reference of a review: its order number and SKU (readable on
    the member's points page, unique per reviewed line)."""
    return f"{review.order.order_no}/{review.line.sku_code}"


@transaction.atomic
def review_create(
    *, actor, order: Order, line: OrderLine, rating: int, text: str = "", images=()
) -> Review:
    """Post the member's review of one received line of their own order (shown at once).

    Rules: the order is delivered or completed, the line is the order's and has no
    review yet, within ``orders.review_window_days`` of receipt; ``rating`` 1–5;
    text up to 1,000 characters; up to 9 images. ``rating ≤ 2`` starts the
    ``review.negative_reply`` clock and tells the staff who may reply. Grants review
    growth and points per members' rules (photo rank among the product's photo
    reviews). Raises ``ReviewNotAllowed`` (409) / ``InvalidOrderInput`` (400).
    """
    from members.models import PointsReason
    from members.services.growth import growth_record_review
    from members.services.points import points_earn_for_activity

    if not _is_member(actor) or order.member_id != actor.pk:
        raise OrderNotFound()
    if isinstance(rating, bool) or not isinstance(rating, int) or not 1 <= rating <= 5:
        raise InvalidOrderInput(fields={"rating": [_("Give 1 to 5 stars.")]})
    text = _text(text, field="text", limit=1000)
    images = _check_images(images)
    order = Order.objects.select_for_update().get(pk=order.pk)
    if not isinstance(line, OrderLine) or line.order_id != order.pk:
        raise InvalidOrderInput(fields={"line": [_("The line is not part of this order.")]})
    if order.status not in (Order.Status.DELIVERED, Order.Status.COMPLETED):
        raise ReviewNotAllowed(_("Lines can be reviewed once the goods are received."))
    received = order.delivered_at or order.completed_at
    days = get_parameter(REVIEW_WINDOW_DAYS)
    if received is not None and timezone.now() > received + timedelta(days=days):
        raise ReviewNotAllowed(
            _("Reviews are accepted for %(days)s days after receipt.") % {"days": days}
        )
    if Review.objects.filter(line=line).exists():
        raise ReviewNotAllowed(_("This line has been reviewed already."))
    try:
        with transaction.atomic():
            review = Review.objects.create(
                order=order,
                line=line,
                member=actor,
                product_id=line.product_id_snapshot,
                region=order.region,
                rating=rating,
                text=text,
                has_photos=bool(images),
            )
    except IntegrityError:
        raise ReviewNotAllowed(_("This line has been reviewed already.")) from None
    for image in images:
        ReviewImage.objects.create(review=review, image=image)
    audit(
        actor=actor,
        action="review.create",
        target=review,
        after={"order_no": order.order_no, "sku": line.sku_code, "rating": rating},
    )
    photo_rank = None
    if images:
        photo_rank = Review.objects.filter(
            product_id=review.product_id, has_photos=True, pk__lte=review.pk
        ).count()
    granted = growth_record_review(
        actor=actor,
        member=actor,
        review_id=review.pk,
        item_price=line.unit_price_amount,
        photo_rank=photo_rank,
        is_virtual=line.is_virtual,
    )
    if granted:  # the same eligibility for review points (items ≥ 20 yuan, not virtual)
        points_earn_for_activity(
            actor=actor,
            member=actor,
            reason=PointsReason.REVIEW,
            reference=_points_reference(review),
        )
    if rating <= NEGATIVE_MAX_RATING:
        sla_clock_start(kind=NEGATIVE_CLOCK, subject=review, actor=actor, region=order.region_id)
        _notify_on_commit(
            actor=actor,
            perm=perms.REPLY_REVIEW,
            kind=NEGATIVE_KIND,
            subject=review,
            title=_("%(stars)s-star review of %(product)s waits for a reply")
            % {"stars": rating, "product": line.product_title},
            body=text[:200],
            link=_review_link(review),
        )
    return review


@transaction.atomic
def review_reply(*, actor, review: Review, text: str) -> Review:
    """Answer a review (``orders.reply_review``); stops the negative-review clock.

    Replying again replaces the reply (both audited). Refused on a deleted review.
    """
    _require(actor, perms.REPLY_REVIEW)
    text = _text(text, field="text", limit=1000, required=True)
    review = _locked_review(actor, review)
    if review.status == R.DELETED:
        raise OrderStateConflict(_("A deleted review cannot be answered."))
    before = {"reply_text": review.reply_text}
    review.reply_text = text
    review.replied_by = actor
    review.replied_at = timezone.now()
    review.save(update_fields=["reply_text", "replied_by", "replied_at", "updated_at"])
    audit(
        actor=actor,
        action="review.reply",
        target=review,
        before=before,
        after={"reply_text": text},
    )
    sla_clock_stop(kind=NEGATIVE_CLOCK, subject=review, actor=actor, outcome="met")
    notifications_resolve(actor=actor, subject=review, kinds=[NEGATIVE_KIND])
    return review


@transaction.atomic
def review_hide(*, actor, review: Review, reason: str) -> Review:
    """Hide a violating review with a reason (``orders.hide_review``; audited)."""
    _require(actor, perms.HIDE_REVIEW)
    reason = _text(reason, field="reason", limit=200, required=True)
    review = _locked_review(actor, review)
    if review.status != R.SHOWN:
        raise OrderStateConflict(_("Only a shown review can be hidden."))
    _review_transition(
        actor=actor,
        review=review,
        to=R.HIDDEN,
        action="review.hide",
        reason=reason,
        hidden_reason=reason,
    )
    return review


@transaction.atomic
def review_show(*, actor, review: Review, reason: str = "") -> Review:
    """Show a hidden review again (``orders.hide_review``; audited)."""
    _require(actor, perms.HIDE_REVIEW)
    reason = _text(reason, field="reason", limit=200)
    review = _locked_review(actor, review)
    if review.status != R.HIDDEN:
        raise OrderStateConflict(_("Only a hidden review can be shown again."))
    _review_transition(
        actor=actor,
        review=review,
        to=R.SHOWN,
        action="review.show",
        reason=reason,
        hidden_reason="",
    )
    return review


@transaction.atomic
def review_delete(*, actor, review: Review, reason: str = "") -> Review:
    """Delete a review (its author, or staff with ``orders.hide_review``).

    The row stays (status ``deleted``, not shown anywhere); the growth and points it
    earned are taken back; a running reply clock is cancelled.
    """
    from members.models import PointsEntry, PointsLot, PointsReason
    from members.services.growth import growth_rollback_review
    from members.services.points import points_spend

    if not _is_member(actor):
        _require(actor, perms.HIDE_REVIEW)
    reason = _text(reason, field="reason", limit=200)
    review = _locked_review(actor, review)
    if review.status == R.DELETED:
        raise OrderStateConflict(_("The review is deleted already."))
    _review_transition(
        actor=actor, review=review, to=R.DELETED, action="review.delete", reason=reason
    )
    member = review.member
    growth_rollback_review(actor=actor, member=member, review_id=review.pk)
    earned = PointsEntry.objects.filter(
        member=member, reason=PointsReason.REVIEW, reference=_points_reference(review)
    ).first()
    if earned is not None and earned.points > 0:
        spendable = sum(
            PointsLot.objects.filter(
                member=member, remaining__gt=0, expires_at__gt=timezone.now()
            ).values_list("remaining", flat=True)
        )
        points = min(earned.points, spendable)
        if points > 0:
            points_spend(
                actor=actor,
                member=member,
                reason=PointsReason.ADJUSTMENT,
                reference=f"{_points_reference(review)}/DEL",
                points=points,
                note=str(_("Review deleted")),
            )
    sla_clock_stop(kind=NEGATIVE_CLOCK, subject=review, actor=actor, outcome="cancelled")
    notifications_resolve(actor=actor, subject=review, kinds=[NEGATIVE_KIND])
    return review


# --- slow movers ----------------------------------------------------------------------


def slow_movers_report(*, actor, now=None) -> int:
    """Tell each product owner which of their on-shelf products sold nothing lately.

    A slow mover is on shelf for at least ``orders.slow_mover_days`` and appears on no
    line of an order paid within those days. One set-based query finds them all; each
    owner gets one notice a day (deduplicated per day, kind ``orders.slow_movers``).
    Returns how many notices were created. For the system actor (the 03:00 job).
    """
    from catalog.models import Product

    if not is_system_actor(actor):
        raise OrdersPermissionDenied()
    now = now or timezone.now()
    days = get_parameter(SLOW_MOVER_DAYS)
    cutoff = now - timedelta(days=days)
    sold = OrderLine.objects.filter(product_id_snapshot=OuterRef("pk"), order__paid_at__gte=cutoff)
    rows = (
        Product.objects.filter(status=Product.Status.ON_SHELF, owner__isnull=False)
        .filter(Q(listed_at__isnull=True) | Q(listed_at__lte=cutoff))
        .filter(~Exists(sold))
        .order_by("owner_id", "code")
        .values_list("owner_id", "code", "title")
    )
    by_owner: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for owner_id, code, title in rows:
        by_owner[owner_id].append((code, title))
    day = timezone.localdate(now).isoformat()
    created = 0
    for owner_id, products in by_owner.items():
        named = "、".join(f"{title}（{code}）" for code, title in products[:SLOW_MOVERS_LISTED])
        more = len(products) - SLOW_MOVERS_LISTED
        body = named + (_("… and %(count)s more") % {"count": more} if more > 0 else "")
        created += staff_notify(
            actor=actor,
            recipients=[owner_id],
            kind=SLOW_MOVERS_KIND,
            title=_("%(count)s product(s) sold nothing in %(days)s days")
            % {"count": len(products), "days": days},
            body=body,
            link="/admin/catalog/product/?status__exact=on_shelf",
            dedupe_key=f"{SLOW_MOVERS_KIND}:{day}",
        )
    return created
