"""The order and after-sales timelines: every status move and notable step is an event.

Services move an order with ``order_transition(actor=…, order=…, to=…, action=…)``
(the kernel's ``transition()`` — table check, ``update_fields``, audit entry —
plus an ``OrderEvent`` naming the
real actor: a staff member, the member, or the system job) and record steps that
change no status (a note, a freeze, a waybill) with :func:`order_event_record`.
"""

from __future__ import annotations

from typing import Any

from mall.core.actors import is_system_actor
from mall.core.transitions import transition

from ..models import AfterSale, AfterSaleEvent, Order, OrderEvent


def _actor_fields(actor) -> dict[str, Any]:
    """Describe ``actor`` for a timeline row: kind, staff user, a label with no PII."""
    from members.models import Member

    if isinstance(actor, Member):
        return {
            "actor_kind": OrderEvent.ActorKind.MEMBER,
            "actor_user": None,
            "actor_label": actor.audit_label,
        }
    if actor is None or is_system_actor(actor):
        return {
            "actor_kind": OrderEvent.ActorKind.SYSTEM,
            "actor_user": None,
            "actor_label": "system",
        }
    return {
        "actor_kind": OrderEvent.ActorKind.STAFF,
        "actor_user": actor,
        "actor_label": (actor.get_username() or "")[:80],
    }


def order_event_record(
    *, actor, order: Order, type: str, reason: str = "", data: dict | None = None
) -> OrderEvent:
    """Append a step that changes no status to ``order``'s timeline."""
    return OrderEvent.objects.create(
        order=order,
        type=type,
        from_status=order.status,
        to_status=order.status,
        reason=(reason or "")[:300],
        data=data or {},
        **_actor_fields(actor),
    )


def order_transition(
    *,
    actor,
    order: Order,
    to: str,
    action: str,
    reason: str = "",
    data: dict | None = None,
    **changes: Any,
) -> OrderEvent:
    """Move ``order`` to ``to`` (table-checked, saved, audited) and append its event.

    ``action`` is the audit action (``order.cancel``); the event's ``type`` is the
    action without the ``order.`` prefix. Raises ``InvalidTransition`` (409).
    """
    before = order.status
    transition(order, to, actor=actor, action=action, reason=reason, data=data, **changes)
    return OrderEvent.objects.create(
        order=order,
        type=action.removeprefix("order."),
        from_status=before,
        to_status=to,
        reason=(reason or "")[:300],
        data=data or {},
        **_actor_fields(actor),
    )


def after_sale_event_record(
    *, actor, after_sale: AfterSale, type: str, reason: str = "", data: dict | None = None
) -> AfterSaleEvent:
    """Append a step that changes no status to an after-sales case's timeline."""
    return AfterSaleEvent.objects.create(
        after_sale=after_sale,
        type=type,
        from_status=after_sale.status,
        to_status=after_sale.status,
        reason=(reason or "")[:300],
        data=data or {},
        **_actor_fields(actor),
    )


def after_sale_transition(
    *,
    actor,
    after_sale: AfterSale,
    to: str,
    action: str,
    reason: str = "",
    data: dict | None = None,
    **changes: Any,
) -> AfterSaleEvent:
    """Move an after-sales case (table-checked, saved, audited) and append its event."""
    before = after_sale.status
    transition(after_sale, to, actor=actor, action=action, reason=reason, data=data, **changes)
    return AfterSaleEvent.objects.create(
        after_sale=after_sale,
        type=action.removeprefix("after_sale."),
        from_status=before,
        to_status=to,
        reason=(reason or "")[:300],
        data=data or {},
        **_actor_fields(actor),
    )
