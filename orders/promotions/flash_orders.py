"""Flash-sale orders: the placement hooks (cart check, gate, claim, cancellation
returns) and the storefront read. The sessions' life is in ``flash.py``;
design in docs/FLASH_SALE.md."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from mall.core.actors import system_actor
from mall.core.audit import audit

from ..exceptions import (
    FlashSessionNotRunning,
    InvalidOrderInput,
    LimitExceeded,
    SoldOut,
)
from ..models import FlashPurchase, FlashSession, FlashSessionItem
from .flash import (
    FlashCart,
    P,
    _lock_stock,
    _open_if_due,
)

# --- placement hooks ---------------------------------------------------------------------


def _never_public(session: FlashSession) -> bool:
    """A draft, a submitted session, or one cancelled before its approval."""
    if session.status in (P.DRAFT, P.PENDING_APPROVAL):
        return True
    return session.status == P.CANCELLED and session.approved_at is None


def flash_cart_check(*, member, session_id, lines, now: datetime) -> FlashCart | None:
    """``None`` when ``session_id`` is ``None``; else the running session's items of ``lines``.

    400 ``invalid`` for an unknown session — a session never published (draft,
    submitted, cancelled before approval) answers exactly the same, so its existence
    does not leak — a SKU outside the session or a line over the per-member limit;
    409 ``session_not_running`` for a published session outside its window (approved
    and not started, ended, cancelled after approval). Opens an
    approved session whose start has come (the lazy open).
    """
    if session_id is None:
        return None
    if isinstance(session_id, bool) or not isinstance(session_id, int):
        raise InvalidOrderInput(fields={"flash_session": [_("Choose a flash sale.")]})
    session = FlashSession.objects.filter(pk=session_id).first()
    if session is None or _never_public(session):
        # A session that was never published answers exactly like an unknown id.
        raise InvalidOrderInput(fields={"flash_session": [_("No such flash sale.")]})
    session = _open_if_due(session, now)
    if session.status == P.RUNNING and session.ends_at <= now:
        raise FlashSessionNotRunning()
    if session.status != P.RUNNING:
        raise FlashSessionNotRunning()
    items = {item.sku_id: item for item in session.items.all()}
    problems: dict[str, list[str]] = {}
    chosen: dict[int, FlashSessionItem] = {}
    for index, (sku, quantity) in enumerate(lines):
        item = items.get(sku.pk)
        if item is None:
            problems[f"lines.{index}.sku"] = [_("This SKU is not in this flash sale.")]
            continue
        if quantity > item.per_member_limit:
            problems[f"lines.{index}.quantity"] = [
                _("At most %(n)d per member in this flash sale.") % {"n": item.per_member_limit}
            ]
            continue
        chosen[sku.pk] = item
    if problems:
        raise InvalidOrderInput(fields=problems)
    return FlashCart(session=session, items=chosen)


def _quantities(cart: FlashCart, lines) -> dict[int, int]:
    """``{item id: quantity}`` of a flash order's lines."""
    return {cart.items[sku.pk].pk: quantity for sku, quantity in lines if sku.pk in cart.items}


def flash_gate_enter(*, member, cart: FlashCart | None, lines) -> Any:
    """Take the units at the Redis gate; ``None`` when there is no gate to pass.

    Raises ``SoldOut`` / ``LimitExceeded`` (409) for a loser, without a database write.
    """
    if cart is None:
        return None
    from .gate import gate_enter

    return gate_enter(
        session=cart.session,
        member_id=member.pk,
        items={
            cart.items[sku.pk].pk: (quantity, cart.items[sku.pk].per_member_limit)
            for sku, quantity in lines
            if sku.pk in cart.items
        },
    )


def flash_gate_undo(*, gate_pass: Any) -> None:
    """Give back what ``flash_gate_enter`` took (the order was not placed)."""
    if gate_pass is None:
        return
    from .gate import gate_give_back

    gate_give_back(gate_pass=gate_pass)


def flash_claim(*, actor, member, cart: FlashCart | None, order, lines) -> None:
    """Inside the placement transaction: the database's conditional updates.

    Per line: ``q`` units of the hold go back to dispatch (``promotion_release``) so
    the allocation that follows locks them for the order; the member's purchase
    (``quantity + q <= per_member_limit``, an upsert safe against the same member in
    many threads) → else ``LimitExceeded``; the item (``sold + q <= quota AND held >=
    q``) → else ``SoldOut``. Any refusal rolls the whole placement back. Rows are
    locked stock → purchase → item, the order a cancellation uses.
    """
    if cart is None:
        return
    from dispatch.services import promotion_release

    session = cart.session
    for item_id, quantity in sorted(_quantities(cart, lines).items()):
        item = next(i for i in cart.items.values() if i.pk == item_id)
        # Lock order stock → purchase → item, as a cancellation does (its reservation
        # release has locked the stock row first): no deadlock between the two.
        if item.warehouse_id is None:
            raise SoldOut(extra={"sku": item.sku_id})
        promotion_release(
            actor=system_actor(),
            warehouse_id=item.warehouse_id,
            sku_id=item.sku_id,
            quantity=quantity,
            session_id=session.pk,
            note=order.order_no,
        )
        FlashPurchase.objects.bulk_create(
            [FlashPurchase(item_id=item_id, member_id=member.pk, quantity=0)],
            ignore_conflicts=True,
        )
        took = FlashPurchase.objects.filter(
            item_id=item_id,
            member_id=member.pk,
            quantity__lte=item.per_member_limit - quantity,
        ).update(quantity=F("quantity") + quantity, updated_at=timezone.now())
        if took != 1:
            raise LimitExceeded(extra={"sku": item.sku_id})
        sold = FlashSessionItem.objects.filter(
            pk=item_id,
            sold__lte=F("quota") - quantity,
            held__gte=quantity,
        ).update(sold=F("sold") + quantity, held=F("held") - quantity)
        if sold != 1:
            raise SoldOut(extra={"sku": item.sku_id})


def flash_release_for_order(*, actor, order) -> None:
    """Inside a cancellation: return the order's units to its session (and the gate).

    For each flash line: ``sold −= q`` and the member's purchase ``−= q`` (the limit
    counts live orders only). While the session runs, the units are held again in the
    item's warehouse (``promotion_hold``, conditional: the cancellation has just
    released the order's reservation; when those units are no longer sellable there,
    e.g. the order was allocated elsewhere and that warehouse sold out, nothing is
    held and the session simply sells fewer — ``held`` says what is really there). The
    gate gets the re-held units back after commit. An ended session only counts.
    """
    from dispatch.services import promotion_hold

    from ..models import OrderLine

    lines = list(
        OrderLine.objects.filter(order=order, flash_item__isnull=False).values_list(
            "flash_item_id", "quantity"
        )
    )
    if not lines:
        return
    session = FlashSession.objects.filter(pk=order.flash_session_id).first()
    if session is None:
        return
    returned: dict[int, int] = {}
    items = FlashSessionItem.objects.in_bulk([item_id for item_id, _q in lines])
    for item_id, quantity in sorted(lines):
        item = items[item_id]
        # Stock → purchase → item, as the placement and the close lock them. The
        # session's status is read once the stock row is ours: a close that ends it
        # meanwhile waits for this row and then releases whatever is held.
        if item.warehouse_id is not None:
            _lock_stock(item)
        running = FlashSession.objects.filter(
            pk=session.pk, status=P.RUNNING, ends_at__gt=timezone.now()
        ).exists()
        held = (
            running
            and item.warehouse_id is not None
            and promotion_hold(
                actor=system_actor(),
                warehouse_id=item.warehouse_id,
                sku_id=item.sku_id,
                quantity=quantity,
                session_id=session.pk,
                note=order.order_no,
            )
        )
        FlashPurchase.objects.filter(
            item_id=item_id, member_id=order.member_id, quantity__gte=quantity
        ).update(quantity=F("quantity") - quantity, updated_at=timezone.now())
        FlashSessionItem.objects.filter(pk=item_id, sold__gte=quantity).update(
            sold=F("sold") - quantity, held=F("held") + (quantity if held else 0)
        )
        if held:
            returned[item_id] = quantity
    audit(
        actor=actor,
        action="flash_session.units_returned",
        target=session,
        data={
            "order_no": order.order_no,
            "lines": {str(item_id): q for item_id, q in lines},
            "held_again": {str(k): v for k, v in returned.items()},
        },
    )
    from .gate import gate_compensate

    session_id, epoch, member_id = session.pk, session.gate_epoch, order.member_id
    units = dict(lines)
    transaction.on_commit(
        lambda: gate_compensate(
            session_id=session_id,
            epoch=epoch,
            member_id=member_id,
            remaining=returned,
            member_units=units,
        )
    )


# --- storefront read --------------------------------------------------------------------


def flash_sessions_for_store(*, now: datetime | None = None) -> list[dict]:
    """Running and upcoming (approved) sessions with their items, for the storefront.

    ``{"id", "name", "starts_at", "ends_at", "status": "running" | "upcoming",
    "items": [{"sku", "title", "flash_price", "price", "remaining",
    "per_member_limit"}]}`` (API.md). ``remaining`` is what is held while it runs
    (the quota before). A session whose start has come is opened first (lazy open).
    """
    now = now or timezone.now()
    sessions = list(
        FlashSession.objects.filter(status__in=[P.APPROVED, P.RUNNING], ends_at__gt=now).order_by(
            "starts_at", "pk"
        )
    )
    sessions = [_open_if_due(session, now) for session in sessions]
    answer = []
    for session in sessions:
        if session.status not in (P.APPROVED, P.RUNNING):
            continue
        items = session.items.select_related("sku", "sku__product").order_by("pk")
        answer.append(
            {
                "id": session.pk,
                "name": session.name,
                "status": "running" if session.status == P.RUNNING else "upcoming",
                "starts_at": session.starts_at.isoformat(),
                "ends_at": session.ends_at.isoformat(),
                "items": [
                    {
                        "sku": item.sku.code,
                        "title": item.sku.product.title,
                        "flash_price": f"{item.flash_price_amount:.2f}",
                        "price": f"{item.sku.price_amount:.2f}",
                        "remaining": item.held if session.status == P.RUNNING else item.quota,
                        "per_member_limit": item.per_member_limit,
                    }
                    for item in items
                ],
            }
        )
    return answer
