"""After-sales cases (售后): request, review, dispute, return receipt, refund, cancel.

Life of a case (``orders.services.transitions.AFTER_SALE_TRANSITIONS``)::

    requested ─approve→ approved ─→ refunding ─refund→ completed        (refund only)
                                 └→ returning ─receive→ received ─→ refunding → completed
                                                                 └→ reshipping → completed
              ─reject→ rejected ─dispute→ disputed ─plan→ approved… | rejected
              ─cancel→ cancelled (by the member, before the goods are received)

Every move goes through :func:`orders.services.events.after_sale_transition` (table
check, audit, timeline). The SLA clocks of DESIGN.md §4: ``after_sale.review`` (1 h,
customer service decides), ``refund.execute`` (24 h, finance executes),
``after_sale.dispute_plan`` (48 h). The refund requests opened by cancellation and
lost parcels (``services/refunds.py``) are executed by :func:`after_sale_refund_execute`
as well: one queue for finance.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from datetime import timedelta
from decimal import ROUND_DOWN, Decimal

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from mall.core.actors import is_system_actor, system_actor
from mall.core.audit import audit
from mall.core.guard import guard_or_raise, review_opened
from mall.core.money import split_amount, to_money
from ops.parameters import get_parameter
from ops.services.notifications import notifications_resolve, staff_notify_holders
from ops.services.sla import sla_clock_start, sla_clock_stop

from .. import permissions as perms
from ..exceptions import (
    AfterSaleNotAllowed,
    AfterSaleNotFound,
    InvalidOrderInput,
    OrderFrozen,
    OrdersPermissionDenied,
    OrderStateConflict,
)
from ..models import (
    AfterSale,
    AfterSaleImage,
    AfterSaleLine,
    Order,
    OrderLine,
)
from ..numbers import unique_number
from ..parameters import AFTER_SALE_WINDOW_DAYS, NO_REASON_RETURN_DAYS
from ..selectors import order_refundable_amount
from .events import after_sale_event_record, after_sale_transition

logger = logging.getLogger(__name__)

A = AfterSale.Status
K = AfterSale.Kind
S = Order.Status

WAITING_KIND = "orders.after_sale_waiting"
REVIEW_CLOCK = "after_sale.review"
REFUND_CLOCK = "refund.execute"
DISPUTE_CLOCK = "after_sale.dispute_plan"

# Order statuses in which each kind of request is accepted.
REFUND_ONLY_STATUSES = frozenset(
    {S.PAID, S.PENDING_REVIEW, S.APPROVED, S.ALLOCATED, S.SHIPPED, S.DELIVERED, S.COMPLETED}
)
RETURN_STATUSES = frozenset({S.SHIPPED, S.DELIVERED, S.COMPLETED})
# Before shipping a refund-only request may return part of the money (a price
# difference); returning all of it is a cancellation.
NOT_SHIPPED = frozenset({S.PAID, S.PENDING_REVIEW, S.APPROVED, S.ALLOCATED})
# Cases whose lines no longer hold units of the order line (cancelled, or refused for good).
INACTIVE = (A.CANCELLED, A.REJECTED)
MEMBER_REASONS = tuple(r for r in AfterSale.Reason.values if r != AfterSale.Reason.CANCELLED_ORDER)
MAX_IMAGES = 9
MAX_IMAGE_BYTES = 5 * 1024 * 1024
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".webp", ".gif")


# --- helpers --------------------------------------------------------------------------


def _is_member(actor) -> bool:
    from members.models import Member

    return isinstance(actor, Member)


def _require(actor, perm: str) -> None:
    """Raise ``OrdersPermissionDenied`` unless ``actor`` is active staff holding ``perm``."""
    if is_system_actor(actor):
        return
    if _is_member(actor) or not getattr(actor, "is_active", False) or not actor.has_perm(perm):
        raise OrdersPermissionDenied()


def _locked_case(actor, after_sale: AfterSale) -> AfterSale:
    """Re-read ``after_sale`` under its row lock, through the actor's scope (404 outside)."""
    from ..selectors import after_sale_get

    if _is_member(actor) and after_sale.member_id != actor.pk:
        raise AfterSaleNotFound()
    return after_sale_get(actor=actor, case_no=after_sale.case_no, lock=True)


def _text(value, *, field: str, limit: int, required: bool = False) -> str:
    text = str(value or "").strip()
    if required and not text:
        raise InvalidOrderInput(fields={field: [_("This field is required.")]})
    if len(text) > limit:
        raise InvalidOrderInput(
            fields={field: [_("At most %(limit)s characters.") % {"limit": limit}]}
        )
    return text


def _received_at(order: Order):
    """When the member had the goods: delivery, else completion (None before)."""
    return order.delivered_at or order.completed_at


def _committed(line_ids: Sequence[int], *, exclude_case: int | None = None) -> dict[int, dict]:
    """Units and amounts of each order line already held by active or finished cases."""
    rows = (
        AfterSaleLine.objects.filter(order_line_id__in=line_ids)
        .exclude(after_sale__status__in=INACTIVE)
        .exclude(after_sale_id=exclude_case)
        .values("order_line_id")
        .annotate(quantity=Sum("quantity"), amount=Sum("amount"))
    )
    return {row["order_line_id"]: row for row in rows}


def _unit_share(line: OrderLine, units: int) -> Decimal:
    """What the first ``units`` units of ``line`` are worth (rounded down to the cent)."""
    if units >= line.quantity:
        return line.payable_amount
    return (line.payable_amount * units / line.quantity).quantize(
        Decimal("0.01"), rounding=ROUND_DOWN
    )


def _parse_lines(order: Order, lines, *, exclude_case: int | None = None):
    """Check ``lines`` ([(OrderLine, quantity)]) against the order; return
    ``[(line, quantity, refundable_share)]``."""
    chosen: list[tuple[OrderLine, int]] = []
    seen: set[int] = set()
    for entry in lines or ():
        try:
            line, quantity = entry
        except (TypeError, ValueError):
            raise InvalidOrderInput(
                fields={"lines": [_("Give each line with its quantity.")]}
            ) from None
        if not isinstance(line, OrderLine) or line.order_id != order.pk:
            raise InvalidOrderInput(fields={"lines": [_("A line is not part of this order.")]})
        if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 1:
            raise InvalidOrderInput(fields={"quantity": [_("Enter a whole number of at least 1.")]})
        if line.pk in seen:
            raise InvalidOrderInput(fields={"lines": [_("Each line may appear only once.")]})
        seen.add(line.pk)
        chosen.append((line, quantity))
    if not chosen:
        raise InvalidOrderInput(fields={"lines": [_("Choose at least one line.")]})
    held = _committed([line.pk for line, _q in chosen], exclude_case=exclude_case)
    result = []
    for line, quantity in chosen:
        row = held.get(line.pk, {})
        free_units = line.quantity - (row.get("quantity") or 0)
        if quantity > free_units:
            raise AfterSaleNotAllowed(
                _("Only %(free)s unit(s) of %(sku)s can still be requested.")
                % {"free": max(free_units, 0), "sku": line.sku_code},
                fields={"quantity": [str(max(free_units, 0))]},
            )
        held_units = row.get("quantity") or 0
        free_amount = line.payable_amount - (row.get("amount") or Decimal("0"))
        # Cumulative shares rounded down: units 1..k of a line are worth
        # floor(payable × k / quantity), so the shares of all units add up to the
        # line's payable amount exactly (the last units take the cents left over).
        share = _unit_share(line, held_units + quantity) - _unit_share(line, held_units)
        result.append((line, quantity, max(min(share, free_amount), Decimal("0.00"))))
    return result


def _check_images(images) -> list:
    images = list(images or ())
    if len(images) > MAX_IMAGES:
        raise InvalidOrderInput(
            fields={"images": [_("At most %(count)s images.") % {"count": MAX_IMAGES}]}
        )
    for image in images:
        name = str(getattr(image, "name", "") or "").lower()
        if not name.endswith(IMAGE_EXTENSIONS):
            raise InvalidOrderInput(fields={"images": [_("Only JPEG, PNG, WebP or GIF images.")]})
        if (getattr(image, "size", 0) or 0) > MAX_IMAGE_BYTES:
            raise InvalidOrderInput(fields={"images": [_("An image may be at most 5 MB.")]})
    return images


def _notify_on_commit(*, actor, perm: str, kind: str, subject, title: str, body: str, link: str):
    def send() -> None:
        staff_notify_holders(
            actor=actor,
            permission=perm,
            kind=kind,
            title=title,
            body=body,
            link=link,
            dedupe_key=f"{kind}:{subject.pk}",
            subject=subject,
        )

    transaction.on_commit(send, robust=True)


def _case_link(case: AfterSale) -> str:
    return f"/admin/orders/aftersale/{case.pk}/change/"


def _resolve(actor, case: AfterSale) -> None:
    notifications_resolve(actor=actor, subject=case, kinds=[WAITING_KIND])


# --- request --------------------------------------------------------------------------


def _request_checked(
    *, actor, order: Order, kind, lines, reason, description, amount, images, lock: bool
):
    """The request's checks; returns (order, chosen, amount, line_amounts, description,
    images). ``lock``: reload the order under its row lock (inside the transaction)."""
    from ..exceptions import OrderNotFound

    if not _is_member(actor) or order.member_id != actor.pk:
        raise OrderNotFound()
    if kind not in K.values:
        raise InvalidOrderInput(fields={"type": [_("Choose refund only, return or exchange.")]})
    if reason not in MEMBER_REASONS:
        raise InvalidOrderInput(fields={"reason": [_("Choose a reason from the list.")]})
    description = _text(description, field="description", limit=500)
    images = _check_images(images)
    order = (Order.objects.select_for_update() if lock else Order.objects).get(pk=order.pk)
    if order.is_frozen:
        raise OrderFrozen()
    now = timezone.now()
    allowed = REFUND_ONLY_STATUSES if kind == K.REFUND_ONLY else RETURN_STATUSES
    if order.status not in allowed:
        raise AfterSaleNotAllowed(
            _("This kind of after-sales request is not possible in the order's status.")
        )
    if order.status == S.COMPLETED and order.completed_at is not None:
        window = timedelta(days=get_parameter(AFTER_SALE_WINDOW_DAYS))
        if now > order.completed_at + window:
            raise AfterSaleNotAllowed(_("The after-sales period of this order has ended."))
    chosen = _parse_lines(order, lines)
    if kind != K.REFUND_ONLY and any(line.is_virtual for line, _q, _s in chosen):
        raise AfterSaleNotAllowed(_("Virtual goods cannot be returned or exchanged."))
    if reason == AfterSale.Reason.NO_REASON:
        if not all(line.allows_no_reason_return for line, _q, _s in chosen):
            raise AfterSaleNotAllowed(
                _("A product in this request is not eligible for 7-day no-reason returns.")
            )
        received = _received_at(order)
        days = get_parameter(NO_REASON_RETURN_DAYS)
        if received is not None and now > received + timedelta(days=days):
            raise AfterSaleNotAllowed(
                _("No-reason returns are accepted for %(days)s days after receipt.")
                % {"days": days}
            )
    shares = [share for _line, _q, share in chosen]
    if kind == K.EXCHANGE:
        if amount not in (None, "", 0, "0", "0.00") and to_money(amount) != 0:
            raise InvalidOrderInput(fields={"amount": [_("An exchange refunds no money.")]})
        amount = Decimal("0.00")
        line_amounts = [Decimal("0.00")] * len(chosen)
    else:
        ceiling = min(
            sum(shares, Decimal("0.00")), order_refundable_amount(actor=actor, order=order)
        )
        try:
            amount = ceiling if amount in (None, "") else to_money(amount)
        except (ArithmeticError, TypeError, ValueError):
            raise InvalidOrderInput(fields={"amount": [_("Enter an amount in yuan.")]}) from None
        if amount <= 0 or amount > ceiling:
            raise InvalidOrderInput(
                _("The amount must be positive and at most %(max)s.") % {"max": f"{ceiling:.2f}"},
                fields={"amount": [f"{max(ceiling, Decimal('0')):.2f}"]},
            )
        line_amounts = split_amount(amount, shares if any(shares) else [1] * len(chosen))
        if order.status in NOT_SHIPPED and amount >= order_refundable_amount(
            actor=actor, order=order
        ):
            # Everything back before anything left the warehouse is a cancellation: it
            # also gives the stock, coupon and points back (services/cancellation.py).
            raise AfterSaleNotAllowed(
                _("The order has not shipped yet: cancel it instead to get the full refund.")
            )
    return order, chosen, amount, line_amounts, description, images


def after_sale_request(
    *,
    actor,
    order: Order,
    kind: str,
    lines: Iterable[tuple[OrderLine, int]],
    reason: str,
    description: str = "",
    amount=None,
    images: Iterable = (),
    client_ip: str | None = None,
    device_id: str | None = None,
) -> AfterSale:
    """Open an after-sales case on some units of the member's own order.

    Rules: the order is the member's (else ``OrderNotFound``-like 404) and not frozen;
    ``refund_only`` from payment to completion, ``return_refund`` / ``exchange`` once
    shipped (never for virtual lines); after completion only within
    ``orders.after_sale_window_days``; ``no_reason`` only when every chosen line
    allows a no-reason return and within ``orders.no_reason_return_days`` of receipt;
    quantities at most what no other case holds; ``amount`` (default: the lines'
    payable share) positive and at most what can still be refunded (exchange: none).
    Risk control is asked (``after_sale.request``) before the transaction, on the same
    checks run without the row lock, so a block is refused before anything is written
    and risk's record of it is not rolled back; the checks run again under the lock.
    Starts the ``after_sale.review`` clock and tells customer service.
    """
    checked = {
        "actor": actor,
        "order": order,
        "kind": kind,
        "lines": list(lines),
        "reason": reason,
        "description": description,
        "amount": amount,
        "images": list(images),
    }
    order, _chosen, amount, _line_amounts, _description, _images = _request_checked(
        **checked, lock=False
    )
    verdict = guard_or_raise(
        "after_sale.request",
        member=actor,
        order=order,
        kind=kind,
        reason=reason,
        amount=amount,
        client_ip=client_ip,
        device_id=device_id,
    )
    return _after_sale_create(checked=checked, verdict=verdict)


@transaction.atomic
def _after_sale_create(*, checked: dict, verdict) -> AfterSale:
    actor, kind, reason = checked["actor"], checked["kind"], checked["reason"]
    order, chosen, amount, line_amounts, description, images = _request_checked(
        **checked, lock=True
    )

    def create(number: str) -> AfterSale:
        return AfterSale.objects.create(
            case_no=number,
            order=order,
            member=order.member,
            region=order.region,
            channel=order.channel,
            kind=kind,
            status=A.REQUESTED,
            reason=reason,
            description=description,
            requested_amount=amount,
        )

    case = unique_number("SH", create)
    AfterSaleLine.objects.bulk_create(
        AfterSaleLine(after_sale=case, order_line=line, quantity=quantity, amount=line_amount)
        for (line, quantity, _share), line_amount in zip(chosen, line_amounts, strict=True)
    )
    for image in images:
        AfterSaleImage.objects.create(after_sale=case, image=image)
    after_sale_event_record(
        actor=actor,
        after_sale=case,
        type="request",
        reason=description,
        data={
            "kind": kind,
            "amount": f"{amount:.2f}",
            "lines": [[line.sku_code, quantity] for line, quantity, _s in chosen],
        },
    )
    audit(
        actor=actor,
        action="after_sale.request",
        target=case,
        after={
            "order_no": order.order_no,
            "kind": kind,
            "reason": reason,
            "amount": f"{amount:.2f}",
            "lines": [[line.sku_code, quantity] for line, quantity, _s in chosen],
            "images": len(images),
        },
    )
    sla_clock_start(kind=REVIEW_CLOCK, subject=case, actor=actor, region=order.region_id)
    _notify_on_commit(
        actor=actor,
        perm=perms.REVIEW_AFTER_SALE,
        kind=WAITING_KIND,
        subject=case,
        title=_("After-sales request %(no)s is waiting for review") % {"no": case.case_no},
        body=_("%(kind)s on order %(order)s, %(amount)s yuan.")
        % {"kind": case.get_kind_display(), "order": order.order_no, "amount": f"{amount:.2f}"},
        link=_case_link(case),
    )
    if verdict.needs_review:
        transaction.on_commit(
            lambda: review_opened(
                point="after_sale.request",
                verdict=verdict,
                subject=case,
                context={"order_no": order.order_no},
            ),
            robust=True,
        )
    return case


# --- customer service: approve, reject, plan -----------------------------------------


def _advance_approved(actor, case: AfterSale, *, reason: str = "") -> None:
    """From ``approved``: refund only → ``refunding`` (clock), else → ``returning``."""
    if case.kind == K.REFUND_ONLY:
        after_sale_transition(
            actor=actor, after_sale=case, to=A.REFUNDING, action="after_sale.refund_wait"
        )
        sla_clock_start(kind=REFUND_CLOCK, subject=case, actor=actor, region=case.region_id)
    else:
        after_sale_transition(
            actor=actor, after_sale=case, to=A.RETURNING, action="after_sale.return_wait"
        )


@transaction.atomic
def after_sale_approve(*, actor, after_sale: AfterSale, amount=None, note: str = "") -> AfterSale:
    """Approve a request (customer service, ``orders.review_aftersale``, in scope).

    ``amount`` (default: the requested amount) may lower what will be refunded, never
    raise it. Refund only → ``refunding`` (``refund.execute`` clock, 24 h); return or
    exchange → ``returning`` (the goods come back). Stops the review clock; resolves
    the waiting notices. Raises ``OrderStateConflict`` outside ``requested``.
    """
    _require(actor, perms.REVIEW_AFTER_SALE)
    note = _text(note, field="note", limit=300)
    case = _locked_case(actor, after_sale)
    if case.status != A.REQUESTED:
        raise OrderStateConflict(_("Only a request waiting for review can be approved."))
    approved = case.requested_amount
    if amount not in (None, ""):
        try:
            approved = to_money(amount)
        except (ArithmeticError, TypeError, ValueError):
            raise InvalidOrderInput(fields={"amount": [_("Enter an amount in yuan.")]}) from None
        if approved < 0 or approved > case.requested_amount:
            raise InvalidOrderInput(
                fields={
                    "amount": [
                        _("At most the requested %(amount)s.")
                        % {"amount": f"{case.requested_amount:.2f}"}
                    ]
                }
            )
        if case.kind != K.EXCHANGE and approved == 0:
            raise InvalidOrderInput(fields={"amount": [_("Reject the request instead.")]})
    if approved != case.requested_amount:
        _rescale_lines(case, approved)
    now = timezone.now()
    after_sale_transition(
        actor=actor,
        after_sale=case,
        to=A.APPROVED,
        action="after_sale.approve",
        reason=note,
        data={"amount": f"{approved:.2f}"},
        approved_amount=approved,
        handler=actor,
        reviewed_at=now,
        decision_reason=note,
    )
    sla_clock_stop(kind=REVIEW_CLOCK, subject=case, actor=actor, outcome="met")
    _resolve(actor, case)
    _advance_approved(actor, case)
    return case


def _rescale_lines(case: AfterSale, amount: Decimal) -> None:
    """Spread a changed amount over the case's lines (to the cent)."""
    rows = list(case.lines.order_by("id"))
    weights = [row.amount for row in rows]
    if not any(weights):
        weights = [row.quantity for row in rows]
    for row, share in zip(rows, split_amount(amount, weights), strict=True):
        AfterSaleLine.objects.filter(pk=row.pk).update(amount=share)


@transaction.atomic
def after_sale_reject(*, actor, after_sale: AfterSale, reason: str) -> AfterSale:
    """Reject a request with a reason (customer service); the member may dispute once.

    Stops the review clock; resolves the waiting notices.
    """
    _require(actor, perms.REVIEW_AFTER_SALE)
    reason = _text(reason, field="reason", limit=300, required=True)
    case = _locked_case(actor, after_sale)
    if case.status != A.REQUESTED:
        raise OrderStateConflict(_("Only a request waiting for review can be rejected."))
    after_sale_transition(
        actor=actor,
        after_sale=case,
        to=A.REJECTED,
        action="after_sale.reject",
        reason=reason,
        handler=actor,
        reviewed_at=timezone.now(),
        decision_reason=reason,
    )
    sla_clock_stop(kind=REVIEW_CLOCK, subject=case, actor=actor, outcome="met")
    _resolve(actor, case)
    return case


@transaction.atomic
def after_sale_dispute(*, actor, after_sale: AfterSale, reason: str) -> AfterSale:
    """The member disagrees with a rejection: ``disputed``, a plan due within 48 h.

    Once per case (a case that already got a plan cannot be disputed again).
    """
    if not _is_member(actor):
        raise OrdersPermissionDenied()
    reason = _text(reason, field="reason", limit=300, required=True)
    case = _locked_case(actor, after_sale)
    if case.status != A.REJECTED:
        raise OrderStateConflict(_("Only a rejected request can be disputed."))
    if case.dispute_plan:
        raise AfterSaleNotAllowed(_("This case was disputed already and has its plan."))
    after_sale_transition(
        actor=actor, after_sale=case, to=A.DISPUTED, action="after_sale.dispute", reason=reason
    )
    sla_clock_start(kind=DISPUTE_CLOCK, subject=case, actor=actor, region=case.region_id)
    _notify_on_commit(
        actor=actor,
        perm=perms.REVIEW_AFTER_SALE,
        kind=WAITING_KIND,
        subject=case,
        title=_("After-sales case %(no)s is disputed: a plan is due") % {"no": case.case_no},
        body=reason,
        link=_case_link(case),
    )
    return case


@transaction.atomic
def after_sale_plan(*, actor, after_sale: AfterSale, plan: str, approve: bool) -> AfterSale:
    """Give a disputed case its plan (customer service): approve it after all, or
    confirm the rejection. Stops the ``after_sale.dispute_plan`` clock."""
    _require(actor, perms.REVIEW_AFTER_SALE)
    plan = _text(plan, field="plan", limit=500, required=True)
    case = _locked_case(actor, after_sale)
    if case.status != A.DISPUTED:
        raise OrderStateConflict(_("Only a disputed case gets a plan."))
    if approve:
        after_sale_transition(
            actor=actor,
            after_sale=case,
            to=A.APPROVED,
            action="after_sale.plan_approve",
            reason=plan,
            approved_amount=case.requested_amount,
            dispute_plan=plan,
            handler=actor,
            reviewed_at=timezone.now(),
        )
    else:
        after_sale_transition(
            actor=actor,
            after_sale=case,
            to=A.REJECTED,
            action="after_sale.plan_reject",
            reason=plan,
            dispute_plan=plan,
            handler=actor,
        )
    sla_clock_stop(kind=DISPUTE_CLOCK, subject=case, actor=actor, outcome="met")
    _resolve(actor, case)
    if approve:
        if case.kind != K.EXCHANGE:
            # the units may have been requested again meanwhile: check they are still free
            _parse_lines(
                case.order,
                [(row.order_line, row.quantity) for row in case.lines.select_related("order_line")],
                exclude_case=case.pk,
            )
        _advance_approved(actor, case)
    return case


# --- goods back, exchange -------------------------------------------------------------


@transaction.atomic
def after_sale_receive(*, actor, after_sale: AfterSale, warehouse, lines=None, note: str = ""):
    """Confirm the returned goods arrived (``orders.receive_aftersale``).

    Books them back into ``warehouse`` through dispatch's return receipt (as the
    actor when they are a warehouse clerk of it, else as the system on the
    warehouse's behalf), then: return and refund → ``refunding`` (clock); exchange
    → ``reshipping`` with a new allocation of the same SKUs (numbered by the case).
    ``lines`` ([(sku_code, quantity)]) default to every unit of the case.
    """
    from dispatch.services import allocate, return_receipt_record

    _require(actor, perms.RECEIVE_AFTER_SALE)
    note = _text(note, field="note", limit=200)
    case = _locked_case(actor, after_sale)
    if case.status != A.RETURNING:
        raise OrderStateConflict(_("Only goods on their way back can be received."))
    expected = {
        row.order_line.sku_code: row.quantity for row in case.lines.select_related("order_line")
    }
    received = list(lines) if lines is not None else list(expected.items())
    counted: dict[str, int] = {}
    for code, quantity in received:
        if code not in expected or not isinstance(quantity, int) or quantity < 1:
            raise InvalidOrderInput(fields={"lines": [_("A line is not part of this case.")]})
        counted[code] = counted.get(code, 0) + quantity
        if counted[code] > expected[code]:
            raise InvalidOrderInput(
                fields={"lines": [_("More units than the case covers: %(sku)s") % {"sku": code}]}
            )
    books_as = actor
    if is_system_actor(actor) or not actor.has_perm("dispatch.add_returnreceipt"):
        books_as = system_actor()
    receipt = return_receipt_record(
        actor=books_as,
        warehouse=warehouse,
        order_no=case.order.order_no,
        lines=sorted(counted.items()),
        note=note or case.case_no,
    )
    after_sale_transition(
        actor=actor,
        after_sale=case,
        to=A.RECEIVED,
        action="after_sale.receive",
        data={"receipt": receipt.document_no, "warehouse": warehouse.code},
        received_at=timezone.now(),
    )
    if case.kind == K.EXCHANGE:
        allocation = allocate(
            actor=system_actor(),
            order_no=case.case_no,
            province=case.order.province,
            lines=sorted(counted.items()),
        )
        after_sale_transition(
            actor=actor,
            after_sale=case,
            to=A.RESHIPPING,
            action="after_sale.reship",
            data={"allocation": allocation.pk},
        )
    else:
        after_sale_transition(
            actor=actor, after_sale=case, to=A.REFUNDING, action="after_sale.refund_wait"
        )
        sla_clock_start(kind=REFUND_CLOCK, subject=case, actor=actor, region=case.region_id)
    return case


@transaction.atomic
def after_sale_reship_done(*, actor, after_sale: AfterSale) -> AfterSale:
    """Close an exchange whose replacement has been shipped (``orders.receive_aftersale``)."""
    _require(actor, perms.RECEIVE_AFTER_SALE)
    case = _locked_case(actor, after_sale)
    if case.status != A.RESHIPPING:
        raise OrderStateConflict(_("Only an exchange being reshipped can be completed."))
    now = timezone.now()
    after_sale_transition(
        actor=actor,
        after_sale=case,
        to=A.COMPLETED,
        action="after_sale.complete",
        completed_at=now,
    )
    return case


# --- member cancels -------------------------------------------------------------------


@transaction.atomic
def after_sale_cancel(*, actor, after_sale: AfterSale) -> AfterSale:
    """The member withdraws their case before anything was received or refunded.

    Stops its running clocks (cancelled) and resolves the notices.
    """
    if not _is_member(actor):
        raise OrdersPermissionDenied()
    case = _locked_case(actor, after_sale)
    if case.status not in (A.REQUESTED, A.APPROVED, A.RETURNING):
        raise OrderStateConflict(_("This case can no longer be cancelled."))
    after_sale_transition(actor=actor, after_sale=case, to=A.CANCELLED, action="after_sale.cancel")
    for kind in (REVIEW_CLOCK, DISPUTE_CLOCK, REFUND_CLOCK):
        sla_clock_stop(kind=kind, subject=case, actor=actor, outcome="cancelled")
    _resolve(actor, case)
    return case


# The refund section lives in its own module (this one stays readable); its services are
# re-exported here, where callers have always found them.
from .after_sale_refunds import (  # noqa: E402 - after the helpers it imports
    REFUND_SUBMIT_HOOK,
    after_sale_refund_execute,
    after_sale_refund_settle,
)

__all__ = ["REFUND_SUBMIT_HOOK", "after_sale_refund_execute", "after_sale_refund_settle"]
