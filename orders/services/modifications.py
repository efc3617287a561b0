"""Modification requests (修改订单): a buyer's or service agent's request to change
an order's delivery address, decided by staff with ``orders.modify_order``.

* Created by the member (their own order) or staff (``orders.modify_order``). A
  request on an order already shipped (or finished) is refused at once with the
  reason (the record stays, so the buyer sees the answer).
* Applying an address change re-plans dispatch in one transaction: the live
  allocation is released and stock allocated again for the new province (an
  ``OutOfStock``/``NotDeliverable`` rolls everything back); an approved or
  warehouse-approved order goes back to ``pending_review`` (the ship clock is
  cancelled, the review clock restarts) and a review hold is cleared.
* The requested values are stored encrypted (``payload_encrypted``, context
  ``order.modification``).
"""

from __future__ import annotations

import json

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from mall.core.actors import is_system_actor
from mall.core.audit import audit
from mall.core.transitions import transition
from members import crypto
from ops.services.sla import sla_clock_restart, sla_clock_stop

from .. import permissions as perms
from ..exceptions import InvalidOrderInput, OrderNotFound, OrderStateConflict
from ..models import ModificationRequest, Order
from ..selectors import modification_request_list, order_get
from .events import order_event_record, order_transition
from .review import _is_member, _require, _require_not_frozen

S = Order.Status
M = ModificationRequest.Status
PAYLOAD_CONTEXT = "order.modification"
BEFORE_SHIPPING = (S.PENDING_PAYMENT, S.PAID, S.PENDING_REVIEW, S.APPROVED, S.ALLOCATED)
ADDRESS_LIMITS = {"recipient": 50, "phone": 20, "city": 50, "district": 50, "detail": 200}


def _actor_label(actor) -> str:
    if _is_member(actor):
        return actor.audit_label[:80]
    if actor is None or is_system_actor(actor):
        return "system"
    return (actor.get_username() or "")[:80]


def _clean_address(address) -> tuple[dict, object]:
    """Validate a new address (all fields but district required); return it and the province."""
    from rbac.models import Province

    if not isinstance(address, dict):
        raise InvalidOrderInput(fields={"address": [_("Give the new address.")]})
    problems: dict[str, list[str]] = {}
    clean: dict[str, str] = {}
    for name, limit in ADDRESS_LIMITS.items():
        value = str(address.get(name) or "").strip()
        if not value and name != "district":
            problems[name] = [_("This field is required.")]
        elif len(value) > limit:
            problems[name] = [_("At most %(n)s characters.") % {"n": limit}]
        clean[name] = value
    raw = address.get("province")
    province = None
    if isinstance(raw, int) and not isinstance(raw, bool):
        province = Province.objects.filter(pk=raw).first()
    elif isinstance(raw, str):
        province = Province.objects.resolve(raw)
    if province is None:
        problems["province"] = [_("Unknown province.")]
    if problems:
        raise InvalidOrderInput(fields=problems)
    return clean, province


def modification_request_payload(*, actor, request: ModificationRequest) -> dict:
    """The requested values (decrypted); for screens that may show them (mask there)."""
    if not request.payload_encrypted:
        return {}
    return json.loads(crypto.decrypt(request.payload_encrypted, context=PAYLOAD_CONTEXT))


@transaction.atomic
def modification_request_create(
    *, actor, order: Order, kind: str = "address", address: dict | None = None, note: str = ""
) -> ModificationRequest:
    """Ask to change ``order`` (the member's own order, or staff with ``orders.modify_order``).

    ``kind="address"`` takes ``address={province, city, district, detail, recipient,
    phone}``; ``kind="note"`` takes ``note``. A request after shipping is created and
    refused at once with the reason. Audited; on the order's timeline.
    """
    if not _is_member(actor):
        _require(actor, perms.MODIFY_ORDER)
    order = order_get(actor=actor, order_no=order.order_no, lock=True)
    if kind == ModificationRequest.Kind.ADDRESS:
        payload, province = _clean_address(address)
    elif kind == ModificationRequest.Kind.NOTE:
        note = (note or "").strip()
        if not note or len(note) > 200:
            raise InvalidOrderInput(fields={"note": [_("Give a note of at most 200 characters.")]})
        payload, province = {"note": note}, None
    else:
        raise InvalidOrderInput(fields={"kind": [_("Unknown kind of change.")]})
    request = ModificationRequest.objects.create(
        order=order,
        kind=kind,
        payload_encrypted=crypto.encrypt(
            json.dumps(payload, ensure_ascii=False), context=PAYLOAD_CONTEXT
        ),
        province=province,
        requested_by_label=_actor_label(actor),
    )
    order_event_record(
        actor=actor, order=order, type="modification_request", data={"request": request.pk}
    )
    audit(
        actor=actor,
        action="order.modification_request",
        target=order,
        data={"request": request.pk, "kind": kind},
    )
    if order.status not in BEFORE_SHIPPING:
        _refuse(actor, order, request, _("The order has already been shipped."))
    return request


def _refuse(actor, order: Order, request: ModificationRequest, reason: str) -> None:
    transition(
        request,
        M.REFUSED,
        actor=actor,
        action="order.modification_refuse",
        reason=reason,
        data={"order_no": order.order_no},
        decided_by=None if (_is_member(actor) or is_system_actor(actor)) else actor,
        decided_at=timezone.now(),
        decision_reason=str(reason)[:200],
    )
    order_event_record(
        actor=actor,
        order=order,
        type="modification_refuse",
        reason=str(reason),
        data={"request": request.pk},
    )


def _locked_request(actor, request: ModificationRequest) -> tuple[ModificationRequest, Order]:
    found = (
        modification_request_list(actor=actor)
        .select_for_update(of=("self",))
        .filter(pk=getattr(request, "pk", request))
        .first()
    )
    if found is None:
        raise OrderNotFound()
    order = order_get(actor=actor, order_no=found.order.order_no, lock=True)
    if found.status != M.PENDING:
        raise OrderStateConflict(_("The request has already been decided."))
    return found, order


def _replan(actor, order: Order, province) -> None:
    """Release the order's stock and allocate again for ``province`` (same transaction)."""
    from dispatch.services import allocate, allocation_release

    lines = list(order.lines.select_related("flash_item"))
    physical = [(ln.sku_code, ln.quantity) for ln in lines if not ln.is_virtual]
    if not physical:
        return
    allocation_release(actor=actor, order_no=order.order_no, reason="address changed")
    allocate(
        actor=actor,
        order_no=order.order_no,
        province=province,
        lines=physical,
        warehouse_ids=_flash_warehouses(order, lines),
    )


def _flash_warehouses(order: Order, lines) -> set[int] | None:
    """A flash order ships from where its session held the quota (as placement does).

    ``None`` for an ordinary order (any warehouse); for a flash order the hold
    warehouses of its lines' session items.
    """
    if order.flash_session_id is None:
        return None
    return {
        ln.flash_item.warehouse_id
        for ln in lines
        if ln.flash_item_id is not None and ln.flash_item.warehouse_id is not None
    }


@transaction.atomic
def modification_request_apply(
    *, actor, request: ModificationRequest, note: str = ""
) -> ModificationRequest:
    """Apply a pending request (``orders.modify_order``); after shipping it is refused.

    An address change re-plans dispatch for the new province and sends an approved
    order back to review (see the module docstring).
    """
    _require(actor, perms.MODIFY_ORDER)
    request, order = _locked_request(actor, request)
    if order.status not in BEFORE_SHIPPING:
        _refuse(actor, order, request, _("The order has already been shipped."))
        return request
    _require_not_frozen(order)
    payload = modification_request_payload(actor=actor, request=request)
    if request.kind == ModificationRequest.Kind.ADDRESS:
        province = request.province
        _replan(actor, order, province)
        order.recipient = payload["recipient"]
        order.phone = payload["phone"]
        order.detail = payload["detail"]
        order.city = payload["city"]
        order.district = payload.get("district", "")
        order.province = province
        order.region_id = province.region_id
        order.is_review_held = False
        order.review_hold_reason = ""
        order.save(
            update_fields=[
                "recipient_encrypted",
                "phone_encrypted",
                "detail_encrypted",
                "city",
                "district",
                "province",
                "region",
                "is_review_held",
                "review_hold_reason",
                "updated_at",
            ]
        )
        if order.status in (S.APPROVED, S.ALLOCATED):
            order_transition(
                actor=actor,
                order=order,
                to=S.PENDING_REVIEW,
                action="order.submit_review",
                reason=_("Address changed"),
                reviewed_at=None,
                reviewed_by=None,
                first_reviewed_by=None,
                allocated_at=None,
            )
            sla_clock_stop(kind="order.ship", subject=order, actor=actor, outcome="cancelled")
            sla_clock_restart(
                kind="order.review", subject=order, actor=actor, region=order.region_id
            )
    else:
        order.buyer_note = payload["note"]
        order.save(update_fields=["buyer_note", "updated_at"])
    transition(
        request,
        M.APPLIED,
        actor=actor,
        action="order.modification_apply",
        reason=note,
        data={"order_no": order.order_no},
        decided_by=actor if not is_system_actor(actor) else None,
        decided_at=timezone.now(),
        decision_reason=(note or "")[:200],
    )
    order_event_record(
        actor=actor,
        order=order,
        type="modification_apply",
        data={"request": request.pk, "kind": request.kind},
    )
    return request


@transaction.atomic
def modification_request_refuse(
    *, actor, request: ModificationRequest, reason: str
) -> ModificationRequest:
    """Refuse a pending request with ``reason`` (``orders.modify_order``)."""
    _require(actor, perms.MODIFY_ORDER)
    reason = (reason or "").strip()
    if not reason or len(reason) > 200:
        raise InvalidOrderInput(fields={"reason": [_("Give a reason (at most 200 characters).")]})
    request, order = _locked_request(actor, request)
    _refuse(actor, order, request, reason)
    return request
