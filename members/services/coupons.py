"""Coupons (优惠券): templates, claims without over-issue, wallet lock/use/release, expiry.

Stock is taken with one conditional UPDATE (``issued_count < total_stock``), so
concurrent claims can never issue more coupons than the template holds (and a
database CHECK backs it up). The member row is locked for the per-member limit, so
one member's parallel claims are counted one after the other.

Coupon states (table in ``services/transitions.py``): ``available → locked`` (an
order holds it) ``→ used`` (the order was paid), ``locked → available`` (the order
was cancelled: :func:`coupon_release`), ``available → expired`` (the daily job).
Each move is one conditional UPDATE (``transition_update``) from the
expected state, so a coupon can never be locked by two orders.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mall.core.audit import audit, snapshot
from mall.core.context import current_client_ip, current_device_id
from mall.core.guard import guard_or_raise, review_opened
from mall.core.money import ZERO
from mall.core.transitions import transition, transition_update

from ..exceptions import (
    CouponLimitReached,
    CouponNotClaimable,
    CouponNotUsable,
    CouponSoldOut,
    InvalidCouponTemplate,
)
from ..models import Coupon, CouponTemplate, Member
from ..signals import coupon_claimed, send_on_commit
from ..validators import TEMPLATE_FIELDS, coupon_template_errors


def _category_ids(template: CouponTemplate) -> list[int]:
    return sorted(template.categories.values_list("pk", flat=True))


def coupon_template_create(
    *, actor, categories: Iterable | None = None, **fields
) -> CouponTemplate:
    """Create a coupon template after checking its rules (kind, validity, stock).

    ``categories`` (catalog categories) restricts it to goods of those categories;
    empty means the whole store. Raises ``InvalidCouponTemplate``.
    """
    unknown = set(fields) - set(TEMPLATE_FIELDS)
    if unknown:
        raise InvalidCouponTemplate(fields={f: [str(_("Unknown field."))] for f in unknown})
    values = {
        "threshold_amount": ZERO,
        "validity": CouponTemplate.Validity.WINDOW,
        "per_member_limit": 1,
        **fields,
    }
    errors = coupon_template_errors(values)
    if errors:
        raise InvalidCouponTemplate(fields=errors)
    with transaction.atomic():
        template = CouponTemplate.objects.create(**values)
        if categories is not None:
            template.categories.set(categories)
        audit(
            actor=actor,
            action="coupon_template.create",
            target=template,
            after=snapshot(template),
            data={"categories": _category_ids(template)},
        )
    return template


def coupon_template_update(
    *, actor, template: CouponTemplate, categories: Iterable | None = None, **changes
) -> CouponTemplate:
    """Change a template; stock never below what was issued, kind fixed once issued."""
    unknown = set(changes) - set(TEMPLATE_FIELDS)
    if unknown:
        raise InvalidCouponTemplate(fields={f: [str(_("Unknown field."))] for f in unknown})
    with transaction.atomic():
        template = CouponTemplate.objects.select_for_update().get(pk=template.pk)
        before = snapshot(template)
        categories_before = _category_ids(template)
        if "kind" in changes and changes["kind"] != template.kind and template.issued_count:
            message = str(_("Cannot change the kind once coupons were issued."))
            raise InvalidCouponTemplate(message, fields={"kind": [message]})
        values = {field: getattr(template, field) for field in TEMPLATE_FIELDS} | changes
        errors = coupon_template_errors(values, issued_count=template.issued_count)
        if errors:
            raise InvalidCouponTemplate(fields=errors)
        for field, value in changes.items():
            setattr(template, field, value)
        template.save(update_fields=[*changes, "updated_at"])
        if categories is not None:
            template.categories.set(categories)
        audit(
            actor=actor,
            action="coupon_template.update",
            target=template,
            before=before,
            after=snapshot(template),
            data={"categories_before": categories_before, "categories": _category_ids(template)},
        )
    return template


def _validity_for(template: CouponTemplate, now: datetime) -> tuple[datetime, datetime]:
    if template.validity == CouponTemplate.Validity.DAYS:
        return now, now + timedelta(days=template.valid_days)
    return template.valid_from or now, template.valid_until


def coupon_issue(
    *,
    actor,
    member: Member,
    template: CouponTemplate,
    source: str = Coupon.Source.CLAIM,
    now: datetime | None = None,
) -> Coupon:
    """Put one coupon of ``template`` into ``member``'s wallet.

    Claims (``source=claim``) need an active, storefront-claimable template whose
    window has not ended, and respect the per-member limit (``CouponLimitReached``);
    system grants (birthday, compensation) skip the claimable flag and the limit.
    Stock is taken with a conditional UPDATE: ``CouponSoldOut`` when none is left,
    even under concurrent claims. Audited as ``coupon.claim`` / ``coupon.grant``
    (by ``actor``: the member claiming, the staff user or the system granting).
    """
    now = now or timezone.now()
    with transaction.atomic():
        locked_member = Member.objects.select_for_update().get(pk=member.pk)
        template = CouponTemplate.objects.get(pk=template.pk)
        if not template.is_active or (
            template.validity == CouponTemplate.Validity.WINDOW and template.valid_until <= now
        ):
            raise CouponNotClaimable()
        if source == Coupon.Source.CLAIM:
            if not template.is_claimable:
                raise CouponNotClaimable()
            if not locked_member.is_active:
                raise CouponNotClaimable(_("This member account cannot claim coupons."))
            held = Coupon.objects.filter(member=locked_member, template=template).count()
            if held >= template.per_member_limit:
                raise CouponLimitReached(extra={"limit": template.per_member_limit})
        taken = CouponTemplate.objects.filter(
            pk=template.pk, is_active=True, issued_count__lt=F("total_stock")
        ).update(issued_count=F("issued_count") + 1)
        if not taken:
            raise CouponSoldOut()
        valid_from, valid_until = _validity_for(template, now)
        coupon = Coupon.objects.create(
            template=template,
            member=locked_member,
            source=source,
            valid_from=valid_from,
            valid_until=valid_until,
        )
        if source == Coupon.Source.CLAIM:
            send_on_commit(
                coupon_claimed,
                Coupon,
                coupon=coupon,
                member=locked_member,
                client_ip=current_client_ip(),
                device_id=current_device_id(),
            )
        audit(
            actor=actor or locked_member,
            action="coupon.claim" if source == Coupon.Source.CLAIM else "coupon.grant",
            target=coupon,
            data={"template": template.pk, "member": locked_member.pk, "source": source},
        )
    return coupon


def coupon_claim(
    *, actor, member: Member, template: CouponTemplate, now: datetime | None = None
) -> Coupon:
    """A member claims a coupon in the storefront (see :func:`coupon_issue`);
    ``actor`` is the member. Risk control is asked first (``coupon.claim``): a block
    raises ``RiskBlocked`` (403) / ``RiskRateLimited`` (429) and nothing is written; a
    review lets the claim through and hands the verdict to risk's case opener after
    commit."""
    verdict = guard_or_raise("coupon.claim", member=member, template=template)
    coupon = coupon_issue(
        actor=actor, member=member, template=template, source=Coupon.Source.CLAIM, now=now
    )
    if verdict.needs_review:
        context = {"client_ip": current_client_ip(), "device_id": current_device_id()}
        transaction.on_commit(
            lambda: review_opened(
                point="coupon.claim", verdict=verdict, subject=coupon, context=context
            ),
            robust=True,
        )
    return coupon


def _move(
    *, coupon: Coupon, member: Member, held_by: str, source: str, target: str, now, **updates
) -> int:
    """Move the coupon from ``source`` to ``target`` in one conditional UPDATE.

    ``transition_update`` only moves rows in a status the table allows to reach
    ``target``; the ``status=source`` filter narrows that to the one expected state,
    so two orders can never both lock (or use) one coupon.
    """
    query = Coupon.objects.filter(pk=coupon.pk, member=member, status=source)
    if source == Coupon.Status.AVAILABLE:
        query = query.filter(valid_from__lte=now, valid_until__gt=now)
    else:
        query = query.filter(order_no=held_by)
    return transition_update(query, target, **updates)


def coupon_lock(
    *, actor, member: Member, coupon: Coupon, order_no: str, now: datetime | None = None
) -> Coupon:
    """Hold an available, currently valid coupon of ``member`` for order ``order_no``.

    ``actor`` is whoever places the order (the member). Idempotent for the same
    order. Raises ``CouponNotUsable`` when the coupon is not the member's, not
    valid now, or held by another order.
    """
    now = now or timezone.now()
    with transaction.atomic():
        moved = _move(
            coupon=coupon,
            member=member,
            held_by=order_no,
            source=Coupon.Status.AVAILABLE,
            target=Coupon.Status.LOCKED,
            now=now,
            order_no=order_no,
            locked_at=now,
        )
        coupon = Coupon.objects.get(pk=coupon.pk)
        if not moved:
            if coupon.status == Coupon.Status.LOCKED and coupon.order_no == order_no:
                return coupon
            raise CouponNotUsable()
        audit(
            actor=actor or member, action="coupon.lock", target=coupon, data={"order_no": order_no}
        )
    return coupon


def coupon_use(*, actor, member: Member, coupon: Coupon, order_no: str) -> Coupon:
    """Mark a coupon locked by ``order_no`` as used (the order was paid). Idempotent."""
    now = timezone.now()
    with transaction.atomic():
        moved = _move(
            coupon=coupon,
            member=member,
            held_by=order_no,
            source=Coupon.Status.LOCKED,
            target=Coupon.Status.USED,
            now=now,
            used_at=now,
        )
        coupon = Coupon.objects.get(pk=coupon.pk)
        if not moved:
            if coupon.status == Coupon.Status.USED and coupon.order_no == order_no:
                return coupon
            raise CouponNotUsable()
        audit(
            actor=actor or member, action="coupon.use", target=coupon, data={"order_no": order_no}
        )
    return coupon


def coupon_release(
    *, actor, member: Member, coupon: Coupon, order_no: str, now: datetime | None = None
) -> Coupon:
    """Give a coupon held by ``order_no`` back (the order was cancelled before use).

    It returns to ``available`` or, if its validity ended meanwhile, ``expired``.
    A coupon not held by this order is left alone (idempotent: a second release is a
    no-op).
    """
    now = now or timezone.now()
    with transaction.atomic():
        current = Coupon.objects.select_for_update().get(pk=coupon.pk)
        if (
            current.member_id != member.pk
            or current.status != Coupon.Status.LOCKED
            or (current.order_no != order_no)
        ):
            return current
        target = Coupon.Status.AVAILABLE if current.valid_until > now else Coupon.Status.EXPIRED
        transition(
            current,
            target,
            actor=actor or member,
            action="coupon.release",
            data={"order_no": order_no},
            order_no="",
            locked_at=None,
        )
    return current


def coupons_expire_due(*, actor, now: datetime | None = None, batch_size: int = 1000) -> int:
    """Expire available coupons whose validity ended; return how many."""
    now = now or timezone.now()
    total = 0
    while True:
        with transaction.atomic():
            ids = list(
                Coupon.objects.filter(status=Coupon.Status.AVAILABLE, valid_until__lte=now)
                .order_by("pk")
                .values_list("pk", flat=True)[:batch_size]
            )
            if not ids:
                return total
            count = transition_update(
                Coupon.objects.filter(
                    pk__in=ids, status=Coupon.Status.AVAILABLE, valid_until__lte=now
                ),
                Coupon.Status.EXPIRED,
            )
            total += count
            audit(
                actor=actor,
                action="coupon.expire",
                object_type="members.coupon",
                data={"count": count, "first": ids[0], "last": ids[-1]},
            )
