"""Flash-sale sessions (秒杀): life of a session and the placement's part in it.

Owned by the flash work (docs/FLASH_SALE.md). ``order_place`` calls, in this order:

1. ``flash_cart_check`` before pricing: ``None`` for an ordinary order; for a flash
   order the running session's items of the cart (400 / 409 otherwise);
2. ``flash_gate_enter`` after the risk check, before the transaction: the Redis gate
   (409 ``sold_out`` / ``limit_exceeded`` without touching PostgreSQL);
3. ``flash_claim`` inside the placement transaction: the database's conditional
   updates (the authority);
4. ``flash_gate_undo`` when anything after step 2 fails.

Cancellation calls ``flash_release_for_order`` inside its transaction.

Life: ``flash_session_create`` → ``flash_session_submit`` → ``flash_session_approve``
(someone else) → ``flash_session_open`` (job or the first placement / storefront read
after ``starts_at``: holds the quota out of stock, loads the gate) →
``flash_session_close`` (job after ``ends_at``: releases what is still held).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from mall.core.actors import is_system_actor, system_actor
from mall.core.audit import audit
from mall.core.money import to_money
from mall.core.times import is_beyond_horizon
from mall.core.transitions import transition
from ops.parameters import get_parameter

from ..exceptions import (
    InvalidPromotionInput,
    OrdersPermissionDenied,
    PromotionNotFound,
    PromotionSameApprover,
    PromotionStateConflict,
)
from ..models import ApprovalStatus, FlashSession, FlashSessionItem
from ..permissions import (
    ADD_FLASH_SESSION,
    APPROVE_FLASH_SESSION,
    CHANGE_FLASH_SESSION,
)

P = ApprovalStatus
NAME_LENGTH = 80
REASON_LENGTH = 300
MAX_ITEMS = 50
MAX_PER_MEMBER = 32767


@dataclass
class FlashCart:
    """A flash order's session and its items by SKU id (with the flash price)."""

    session: Any
    items: dict[int, Any] = field(default_factory=dict)  # sku_id → FlashSessionItem

    def prices(self) -> dict[int, Decimal]:
        return {sku_id: item.flash_price_amount for sku_id, item in self.items.items()}


# --- helpers ---------------------------------------------------------------------------


def _require(actor, perm: str) -> None:
    if is_system_actor(actor):
        return
    if (
        not getattr(actor, "is_active", False)
        or not getattr(actor, "is_staff", False)
        or not actor.has_perm(perm)
    ):
        raise OrdersPermissionDenied()


def _locked(session: FlashSession | int) -> FlashSession:
    pk = session.pk if isinstance(session, FlashSession) else session
    found = FlashSession.objects.select_for_update().filter(pk=pk).first()
    if found is None:
        raise PromotionNotFound()
    return found


def _reason(reason, *, required: bool) -> str:
    text = (reason or "").strip() if isinstance(reason, str) else ""
    if required and not text:
        raise InvalidPromotionInput(fields={"reason": [_("Give a reason.")]})
    if len(text) > REASON_LENGTH:
        raise InvalidPromotionInput(
            fields={"reason": [_("At most %(n)d characters.") % {"n": REASON_LENGTH}]}
        )
    return text


def _state(session: FlashSession, *allowed: str) -> None:
    if session.status not in allowed:
        raise PromotionStateConflict(extra={"status": session.status})


def _item_view(item: FlashSessionItem) -> dict:
    return {
        "sku": item.sku.code if hasattr(item, "sku") else item.sku_id,
        "flash_price_amount": f"{item.flash_price_amount:.2f}",
        "reference_price_amount": f"{item.reference_price_amount:.2f}",
        "quota": item.quota,
        "per_member_limit": item.per_member_limit,
    }


def _snapshot(session: FlashSession, items=None) -> dict:
    rows = items if items is not None else list(session.items.select_related("sku"))
    return {
        "name": session.name,
        "starts_at": session.starts_at.isoformat(),
        "ends_at": session.ends_at.isoformat(),
        "unpaid_minutes": session.unpaid_minutes,
        "status": session.status,
        "items": [_item_view(item) for item in rows],
    }


def _clean_window(*, name, starts_at, ends_at, unpaid_minutes, now) -> dict:
    problems: dict[str, list[str]] = {}
    text = (name or "").strip() if isinstance(name, str) else ""
    if not text:
        problems["name"] = [_("This field is required.")]
    elif len(text) > NAME_LENGTH:
        problems["name"] = [_("At most %(n)d characters.") % {"n": NAME_LENGTH}]
    for key, value in (("starts_at", starts_at), ("ends_at", ends_at)):
        if not isinstance(value, datetime) or timezone.is_naive(value):
            problems[key] = [_("Give a date and time with time zone.")]
    if "starts_at" not in problems and "ends_at" not in problems:
        if ends_at <= starts_at:
            problems["ends_at"] = [_("The end must be after the start.")]
        elif ends_at <= now:
            problems["ends_at"] = [_("The end must be in the future.")]
        elif is_beyond_horizon(starts_at):
            problems["starts_at"] = [_("This time lies more than a year ahead.")]
        elif ends_at - starts_at > timedelta(days=7):
            problems["ends_at"] = [_("A flash-sale session lasts at most 7 days.")]
    if (
        isinstance(unpaid_minutes, bool)
        or not isinstance(unpaid_minutes, int)
        or not 1 <= unpaid_minutes <= 30
    ):
        problems["unpaid_minutes"] = [_("Enter a whole number of minutes from 1 to 30.")]
    if problems:
        raise InvalidPromotionInput(fields=problems)
    return {
        "name": text,
        "starts_at": starts_at,
        "ends_at": ends_at,
        "unpaid_minutes": unpaid_minutes,
    }


def _positive_int(value, upper: int) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= upper:
        return None
    return value


# Sessions whose window blocks another session of the same SKU: submitted or beyond
# (a draft is work in progress; a cancelled session never sells). An ended session
# blocks only the part of its window it really ran (``ended_at``: a session stopped
# early frees the rest). Submitted ones count so that two overlapping sessions can
# never both be approved, even when approved at the same moment: each sees the other.
_BLOCKING = (P.PENDING_APPROVAL, P.APPROVED, P.RUNNING)
# Sessions whose flash price counts in the look-back lowest-price rule: published ones
# (approved, running, ended, or cancelled after approval) — never a draft, a submitted
# session or one cancelled before approval (those prices were never public).


def _overlapping(
    *,
    sku_ids,
    starts_at: datetime,
    ends_at: datetime,
    exclude_session_id: int | None = None,
    include_submitted: bool = True,
) -> dict[int, FlashSession]:
    """``{sku id: the other session}`` for each SKU already sold by an overlapping session.

    Another session blocks ``[starts_at, ends_at)`` for one of ``sku_ids`` when it holds
    that SKU, its window overlaps, and it is submitted, approved or running, or ended
    after ``starts_at`` (a cancelled or draft session never blocks). The life functions
    call it at create / update (through :func:`_clean_items` with ``ends_at``), at
    submission and at approval (``include_submitted=True``, the default), and at opening
    with ``include_submitted=False`` (an approved session opens even when a later
    overlapping one waits for approval: that one is refused at its own approval).
    The earliest other session is named per SKU.
    """
    from django.db.models import Q

    ids = sorted({int(pk) for pk in sku_ids})
    if not ids:
        return {}
    live = (P.APPROVED, P.RUNNING) if not include_submitted else _BLOCKING
    rows = (
        FlashSessionItem.objects.filter(
            sku_id__in=ids,
            session__starts_at__lt=ends_at,
            session__ends_at__gt=starts_at,
        )
        .filter(
            Q(session__status__in=live)
            | Q(session__status=P.ENDED, session__ended_at__gt=starts_at)
            | Q(session__status=P.ENDED, session__ended_at__isnull=True)
        )
        .select_related("session")
        .order_by("session__starts_at", "session_id")
    )
    if exclude_session_id is not None:
        rows = rows.exclude(session_id=exclude_session_id)
    found: dict[int, FlashSession] = {}
    for item in rows:
        found.setdefault(item.sku_id, item.session)
    return found


def _overlap_message(sku_code: str, other: FlashSession) -> str:
    return _(
        "%(sku)s is already sold in the flash sale “%(name)s” (#%(id)d, %(start)s – "
        "%(end)s), whose time overlaps this one."
    ) % {
        "sku": sku_code,
        "name": other.name,
        "id": other.pk,
        "start": timezone.localtime(other.starts_at).strftime("%Y-%m-%d %H:%M"),
        "end": timezone.localtime(other.ends_at).strftime("%Y-%m-%d %H:%M"),
    }


def _refuse_overlapping(session: FlashSession, *, include_submitted: bool = True) -> None:
    """Raise when one of ``session``'s SKUs is sold by another overlapping session.

    For the life functions (submit, approve, open), with ``session`` locked: 400
    ``invalid`` with ``items.<n>.sku`` naming the SKU and the other session (``extra``
    ``overlapping``: ``{sku code: session id}``). At opening pass
    ``include_submitted=False`` and turn the refusal into a conflict if the job must
    skip the session (see :func:`_overlapping`).
    """
    items = list(session.items.select_related("sku").order_by("pk"))
    others = _overlapping(
        sku_ids=[item.sku_id for item in items],
        starts_at=session.starts_at,
        ends_at=session.ends_at,
        exclude_session_id=session.pk,
        include_submitted=include_submitted,
    )
    if not others:
        return
    raise InvalidPromotionInput(
        fields={
            f"items.{index}.sku": [_overlap_message(item.sku.code, others[item.sku_id])]
            for index, item in enumerate(items)
            if item.sku_id in others
        },
        extra={
            "overlapping": {
                item.sku.code: others[item.sku_id].pk for item in items if item.sku_id in others
            }
        },
    )


def _published_flash_prices(*, sku_id: int, start: datetime, end: datetime) -> list[Decimal]:
    """Provider of ``catalog.lowest_price_candidates`` (``orders/hooks.py``).

    The flash prices of ``sku_id`` in sessions that were made public (approved,
    running, ended, or cancelled after their approval) whose window overlaps
    ``[start, end)``; an ended session counts up to when it really ended. Drafts,
    submitted sessions and sessions cancelled before approval never count.
    """
    from django.db.models import Q

    return list(
        FlashSessionItem.objects.filter(
            sku_id=sku_id,
            session__starts_at__lt=end,
            session__ends_at__gt=start,
        )
        .filter(
            Q(session__status__in=(P.APPROVED, P.RUNNING))
            | Q(session__status=P.ENDED, session__ended_at__gt=start)
            | Q(session__status=P.ENDED, session__ended_at__isnull=True)
            | Q(session__status=P.CANCELLED, session__approved_at__isnull=False)
        )
        .values_list("flash_price_amount", flat=True)
    )


def _clean_items(
    actor,
    items,
    *,
    starts_at: datetime,
    ends_at: datetime | None = None,
    session_id: int | None = None,
) -> list[dict]:
    """Validate the items and apply the look-back lowest-price rule to each flash price.

    With ``ends_at`` (create / update pass the session's window, ``session_id`` the
    session being changed), a SKU already sold by another overlapping session
    (:func:`_overlapping`) is refused: ``items.<n>.sku`` names the other session.
    """
    from catalog.models import Sku
    from catalog.parameters import PROMOTION_LOOKBACK_DAYS
    from catalog.services.pricing import sku_lowest_price

    if not isinstance(items, list | tuple) or not items:
        raise InvalidPromotionInput(fields={"items": [_("Add at least one SKU.")]})
    if len(items) > MAX_ITEMS:
        raise InvalidPromotionInput(
            fields={"items": [_("At most %(n)d SKUs per session.") % {"n": MAX_ITEMS}]}
        )
    days = int(get_parameter(PROMOTION_LOOKBACK_DAYS))
    window_start = starts_at - timedelta(days=days)
    window_end = max(starts_at, timezone.now())
    problems: dict[str, list[str]] = {}
    cleaned: list[dict] = []
    seen: set[int] = set()
    for index, raw in enumerate(items):
        key = f"items.{index}"
        if not isinstance(raw, dict):
            problems[key] = [_("Give a SKU, a flash price, a quota and a limit per member.")]
            continue
        sku = raw.get("sku")
        if not isinstance(sku, Sku):
            problems[f"{key}.sku"] = [_("Choose a SKU.")]
            continue
        if sku.pk in seen:
            problems[f"{key}.sku"] = [_("This SKU is already in the session.")]
            continue
        seen.add(sku.pk)
        try:
            price = to_money(Decimal(str(raw.get("flash_price"))))
        except (InvalidOperation, TypeError, ValueError):
            problems[f"{key}.flash_price"] = [_("Enter an amount.")]
            continue
        quota = _positive_int(raw.get("quota"), 1_000_000)
        limit = _positive_int(raw.get("per_member_limit", 1), MAX_PER_MEMBER)
        if quota is None:
            problems[f"{key}.quota"] = [_("Enter a whole number of units, 1 or more.")]
        if limit is None:
            problems[f"{key}.per_member_limit"] = [_("Enter a whole number, 1 or more.")]
        elif quota is not None and limit > quota:
            problems[f"{key}.per_member_limit"] = [_("The limit per member cannot pass the quota.")]
        if price <= 0:
            problems[f"{key}.flash_price"] = [_("The price must be above zero.")]
            continue
        lowest = sku_lowest_price(actor=actor, sku=sku, start=window_start, end=window_end)
        if lowest is None:
            problems[f"{key}.flash_price"] = [
                _("%(sku)s has no price in the %(days)d days before the start.")
                % {"sku": sku.code, "days": days}
            ]
            continue
        if price >= lowest:
            problems[f"{key}.flash_price"] = [
                _(
                    "The flash price of %(sku)s must be lower than %(lowest)s, its lowest "
                    "price of the %(days)d days before the start."
                )
                % {"sku": sku.code, "lowest": f"{lowest:.2f}", "days": days}
            ]
            continue
        if quota is not None and limit is not None and limit <= quota:
            cleaned.append(
                {
                    "sku": sku,
                    "flash_price_amount": price,
                    "reference_price_amount": lowest,
                    "quota": quota,
                    "per_member_limit": limit,
                }
            )
    if ends_at is not None and cleaned:
        others = _overlapping(
            sku_ids=[row["sku"].pk for row in cleaned],
            starts_at=starts_at,
            ends_at=ends_at,
            exclude_session_id=session_id,
        )
        for index, raw in enumerate(items):
            sku = raw.get("sku") if isinstance(raw, dict) else None
            if isinstance(sku, Sku) and sku.pk in others:
                problems.setdefault(f"items.{index}.sku", []).append(
                    _overlap_message(sku.code, others[sku.pk])
                )
    if problems:
        raise InvalidPromotionInput(fields=problems)
    return cleaned


# --- life of a session -----------------------------------------------------------------


def _refuse_own_work(session: FlashSession, actor) -> None:
    """Four eyes: whoever created, last edited or submitted ``session`` never approves
    or rejects it (403 ``same_approver``)."""
    pk = getattr(actor, "pk", None)
    if pk is not None and pk in (
        session.created_by_id,
        session.last_edited_by_id,
        session.submitted_by_id,
    ):
        raise PromotionSameApprover(
            _("Someone who created, edited or submitted a promotion cannot approve or reject it.")
        )


def flash_session_create(
    *,
    actor,
    name: str,
    starts_at: datetime,
    ends_at: datetime,
    unpaid_minutes: int = 5,
    items: list[dict],
) -> FlashSession:
    """Create a draft session with its items (``[{"sku", "flash_price", "quota",
    "per_member_limit"}]``).

    Each flash price must be above zero and strictly lower than the SKU's lowest
    price of the ``catalog.promotion_lookback_days`` days before ``starts_at`` (up to
    now when the start is past); that price is kept in ``reference_price_amount``.
    Refusals are 400 ``invalid`` with a field error per item naming the price.
    """
    _require(actor, ADD_FLASH_SESSION)
    now = timezone.now()
    window = _clean_window(
        name=name, starts_at=starts_at, ends_at=ends_at, unpaid_minutes=unpaid_minutes, now=now
    )
    cleaned = _clean_items(actor, items, starts_at=starts_at, ends_at=ends_at)
    with transaction.atomic():
        session = FlashSession.objects.create(created_by=actor, last_edited_by=actor, **window)
        rows = FlashSessionItem.objects.bulk_create(
            [FlashSessionItem(session=session, **item) for item in cleaned]
        )
        audit(
            actor=actor,
            action="flash_session.create",
            target=session,
            after=_snapshot(session, rows),
        )
    return session


def flash_session_update(
    *,
    actor,
    session: FlashSession,
    name: str | None = None,
    starts_at: datetime | None = None,
    ends_at: datetime | None = None,
    unpaid_minutes: int | None = None,
    items: list[dict] | None = None,
) -> FlashSession:
    """Change a draft session (``None`` keeps a value; ``items`` replaces all items).

    The price rule is checked again for every item against the (new) start.
    """
    _require(actor, CHANGE_FLASH_SESSION)
    now = timezone.now()
    with transaction.atomic():
        session = _locked(session)
        _state(session, P.DRAFT)
        before = _snapshot(session)
        window = _clean_window(
            name=session.name if name is None else name,
            starts_at=session.starts_at if starts_at is None else starts_at,
            ends_at=session.ends_at if ends_at is None else ends_at,
            unpaid_minutes=session.unpaid_minutes if unpaid_minutes is None else unpaid_minutes,
            now=now,
        )
        if items is None:
            items = [
                {
                    "sku": item.sku,
                    "flash_price": item.flash_price_amount,
                    "quota": item.quota,
                    "per_member_limit": item.per_member_limit,
                }
                for item in session.items.select_related("sku")
            ]
        cleaned = _clean_items(
            actor,
            items,
            starts_at=window["starts_at"],
            ends_at=window["ends_at"],
            session_id=session.pk,
        )
        for key, value in window.items():
            setattr(session, key, value)
        session.last_edited_by = actor
        session.save(update_fields=[*window, "last_edited_by", "updated_at"])
        session.items.all().delete()
        rows = FlashSessionItem.objects.bulk_create(
            [FlashSessionItem(session=session, **item) for item in cleaned]
        )
        audit(
            actor=actor,
            action="flash_session.update",
            target=session,
            before=before,
            after=_snapshot(session, rows),
        )
    return session


def flash_session_submit(*, actor, session: FlashSession) -> FlashSession:
    """Send a draft for approval (its end not passed); only its creator does (403)."""
    _require(actor, CHANGE_FLASH_SESSION)
    now = timezone.now()
    with transaction.atomic():
        session = _locked(session)
        _state(session, P.DRAFT)
        if session.created_by_id != getattr(actor, "pk", None):
            raise OrdersPermissionDenied(_("Only the creator of a session can submit it."))
        if session.ends_at <= now:
            raise InvalidPromotionInput(fields={"ends_at": [_("The end must be in the future.")]})
        _refuse_overlapping(session)
        transition(
            session,
            P.PENDING_APPROVAL,
            actor=actor,
            action="flash_session.submit",
            submitted_at=now,
            submitted_by=actor,
            rejection_reason="",
        )
    return session


def flash_session_approve(*, actor, session: FlashSession) -> FlashSession:
    """Approve a submitted session; never by its creator, last editor or submitter
    (403 ``same_approver``)."""
    _require(actor, APPROVE_FLASH_SESSION)
    now = timezone.now()
    with transaction.atomic():
        session = _locked(session)
        _state(session, P.PENDING_APPROVAL)
        _refuse_own_work(session, actor)
        if session.ends_at <= now:
            raise InvalidPromotionInput(fields={"ends_at": [_("The end must be in the future.")]})
        _refuse_overlapping(session)
        transition(
            session,
            P.APPROVED,
            actor=actor,
            action="flash_session.approve",
            approved_by=actor,
            approved_at=now,
        )
    return session


def flash_session_reject(*, actor, session: FlashSession, reason: str) -> FlashSession:
    """Send a submitted session back to draft with ``reason`` (its creator may edit it).

    Never by its creator, last editor or submitter (403 ``same_approver``).
    """
    _require(actor, APPROVE_FLASH_SESSION)
    text = _reason(reason, required=True)
    with transaction.atomic():
        session = _locked(session)
        _state(session, P.PENDING_APPROVAL)
        _refuse_own_work(session, actor)
        transition(
            session,
            P.DRAFT,
            actor=actor,
            action="flash_session.reject",
            reason=text,
            rejection_reason=text,
        )
    return session


def flash_session_cancel(*, actor, session: FlashSession, reason: str) -> FlashSession:
    """Cancel a session that has not started running (draft, submitted or approved).

    A running session is stopped with ``flash_session_close`` instead.
    """
    _require(actor, CHANGE_FLASH_SESSION)
    text = _reason(reason, required=True)
    with transaction.atomic():
        session = _locked(session)
        _state(session, P.DRAFT, P.PENDING_APPROVAL, P.APPROVED)
        transition(
            session,
            P.CANCELLED,
            actor=actor,
            action="flash_session.cancel",
            reason=text,
            cancel_reason=text,
        )
    return session


def flash_session_open(
    *, actor, session: FlashSession, now: datetime | None = None
) -> FlashSession:
    """Start an approved session whose window has started: hold its quota, load the gate.

    Each item's quota is held (``promotion_hold``) in the active warehouse with the most
    sellable units (safety stock respected as allocation does). When that warehouse
    has fewer sellable units than the quota, what is sellable is held and the quota
    is lowered to it (audited ``flash_session.quota_lowered``); with nothing sellable
    the item holds 0 units and is sold out from the start (its quota stays: a quota is
    never 0). Idempotent: a session already running is returned unchanged.
    """
    from dispatch.services import promotion_hold, promotion_hold_warehouse

    _require(actor, CHANGE_FLASH_SESSION)
    now = now or timezone.now()
    stock_actor = system_actor() if not getattr(actor, "is_staff", False) else actor
    with transaction.atomic():
        session = _locked(session)
        if session.status == P.RUNNING:
            return session
        _state(session, P.APPROVED)
        if session.starts_at > now:
            raise PromotionStateConflict(
                _("This session starts later."), extra={"status": session.status}
            )
        try:
            _refuse_overlapping(session, include_submitted=False)
        except InvalidPromotionInput as overlap:
            # The job and the lazy open skip it (a conflict), never a 400 to a buyer.
            raise PromotionStateConflict(
                overlap.message, extra={"status": session.status, **overlap.extra}
            ) from None
        if session.ends_at <= now:
            # Its window passed without opening (no job ran): it runs for no time.
            transition(session, P.RUNNING, actor=actor, action="flash_session.open", opened_at=now)
            return _close_locked(actor=actor, session=session, now=now)
        lowered = []
        items = list(session.items.select_for_update().order_by("pk"))
        for item in items:
            warehouse, units = promotion_hold_warehouse(actor=stock_actor, sku_id=item.sku_id)
            wanted = item.quota - item.sold
            hold = min(wanted, units)
            if (
                warehouse is not None
                and hold > 0
                and not promotion_hold(
                    actor=stock_actor,
                    warehouse_id=warehouse.pk,
                    sku_id=item.sku_id,
                    quantity=hold,
                    session_id=session.pk,
                    note=session.name,
                )
            ):
                hold = 0  # lost a race with a buyer: nothing held
            item.warehouse = warehouse
            item.held = hold
            fields = ["warehouse", "held"]
            if hold < wanted:
                lowered.append({"sku_id": item.sku_id, "quota": item.quota, "held": hold})
                if hold + item.sold > 0:
                    item.quota = hold + item.sold
                    fields.append("quota")
            item.save(update_fields=fields)
        if lowered:
            audit(
                actor=actor,
                action="flash_session.quota_lowered",
                target=session,
                data={"items": lowered},
            )
        transition(
            session,
            P.RUNNING,
            actor=actor,
            action="flash_session.open",
            opened_at=now,
            data={"held": {str(item.sku_id): item.held for item in items}},
        )
        session_id = session.pk
        transaction.on_commit(lambda: _gate_load_quietly(session_id))
    return session


def _gate_load_quietly(session_id: int) -> None:
    from .gate import gate_reload

    gate_reload(session_id=session_id, force=True)


def flash_sessions_open_due(*, actor, now: datetime | None = None) -> int:
    """Open every approved session whose start has come; return how many opened."""
    now = now or timezone.now()
    opened = 0
    due = FlashSession.objects.filter(status=P.APPROVED, starts_at__lte=now).order_by("starts_at")
    for session_id in due.values_list("pk", flat=True):
        try:
            session = flash_session_open(actor=actor, session=session_id, now=now)
        except PromotionStateConflict:
            continue
        if session.status == P.RUNNING:
            opened += 1
    return opened


def _lock_stock(item: FlashSessionItem) -> None:
    """Lock the stock row holding ``item``'s quota (a read lock of the row, no change)."""
    from dispatch.models import Stock

    list(
        Stock.objects.select_for_update()
        .filter(warehouse_id=item.warehouse_id, sku_id=item.sku_id)
        .values_list("pk", flat=True)
    )


def _close_locked(*, actor, session: FlashSession, now: datetime) -> FlashSession:
    from dispatch.services import promotion_release

    stock_actor = system_actor() if not getattr(actor, "is_staff", False) else actor
    released = {}
    for item_id in session.items.order_by("pk").values_list("pk", flat=True):
        # Stock row, then item (the order placements and cancellations lock them in),
        # and ``held`` read under the item's lock.
        item = FlashSessionItem.objects.get(pk=item_id)
        if item.warehouse_id is not None:
            _lock_stock(item)
        item = FlashSessionItem.objects.select_for_update().get(pk=item_id)
        if item.held and item.warehouse_id:
            promotion_release(
                actor=stock_actor,
                warehouse_id=item.warehouse_id,
                sku_id=item.sku_id,
                quantity=item.held,
                session_id=session.pk,
                note=session.name,
            )
            released[str(item.sku_id)] = item.held
            item.held = 0
            item.save(update_fields=["held"])
    transition(
        session,
        P.ENDED,
        actor=actor,
        action="flash_session.close",
        ended_at=now,
        data={"released": released},
    )
    session_id = session.pk
    transaction.on_commit(lambda: _gate_drop_quietly(session_id))
    return session


def _gate_drop_quietly(session_id: int) -> None:
    from .gate import gate_drop

    gate_drop(session_id=session_id)


def flash_session_close(
    *, actor, session: FlashSession, now: datetime | None = None
) -> FlashSession:
    """End a running session (its end came, or staff stop it early).

    Releases what is still held (``promotion_release``), status ``ended``, the gate's
    keys dropped after commit. Idempotent on an ended session.
    """
    _require(actor, CHANGE_FLASH_SESSION)
    now = now or timezone.now()
    with transaction.atomic():
        session = _locked(session)
        if session.status == P.ENDED:
            return session
        _state(session, P.RUNNING)
        return _close_locked(actor=actor, session=session, now=now)


def flash_sessions_close_due(*, actor, now: datetime | None = None) -> int:
    """End every running session whose end has come; return how many ended."""
    now = now or timezone.now()
    closed = 0
    due = FlashSession.objects.filter(status=P.RUNNING, ends_at__lte=now)
    for session_id in due.values_list("pk", flat=True):
        try:
            flash_session_close(actor=actor, session=session_id, now=now)
        except PromotionStateConflict:
            continue
        closed += 1
    return closed


def _open_if_due(session: FlashSession, now: datetime) -> FlashSession:
    """The lazy open: an approved session whose window started is opened now."""
    if session.status == P.APPROVED and session.starts_at <= now:
        try:
            return flash_session_open(actor=system_actor(), session=session, now=now)
        except PromotionStateConflict:
            return FlashSession.objects.get(pk=session.pk)
    return session
