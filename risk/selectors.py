"""Every read of the risk app served to a person (or a job); always scoped.

* Cases, events and fund freezes are scoped by the sales region of their order (or
  member's order): risk officers (scope "all") see every row, a regional ops user only
  their region's; a row with no region (a registration burst, coupon farming) is seen
  with scope "all" only.
* Marks and blacklist entries are mall-wide security lists: function permission only.

``*_get`` raise a ``NotFound`` subclass for a missing row, a row outside the scope and
a malformed key alike (the same answer: nothing learnt from the difference).
"""

from __future__ import annotations

from django.db.models import QuerySet

from mall.core.api import parse_pk
from mall.core.scoping import visible_rows

from .exceptions import BlacklistEntryNotFound, CaseNotFound, FreezeNotFound, MarkNotFound
from .models import BlacklistEntry, FundFreeze, RiskCase, RiskEvent, RiskMark

NUMBER_MAX = 24


def _visible(actor, queryset: QuerySet) -> QuerySet:
    return visible_rows(actor, queryset, member_path=None)


def _number(value) -> str | None:
    number = str(value or "").strip()
    return number if number and len(number) <= NUMBER_MAX else None


# --- cases ----------------------------------------------------------------------------


def case_list(*, actor) -> QuerySet[RiskCase]:
    """Cases ``actor`` may see, newest first."""
    return _visible(
        actor,
        RiskCase.objects.select_related("member", "order", "region", "handler", "decided_by"),
    ).order_by("-id")


def case_get(*, actor, case_no: str, lock: bool = False) -> RiskCase:
    number = _number(case_no)
    rows = case_list(actor=actor)
    if lock:
        rows = rows.select_for_update(of=("self",))
    row = rows.filter(case_no=number).first() if number else None
    if row is None:
        raise CaseNotFound()
    return row


def case_get_by_pk(*, actor, pk, lock: bool = False) -> RiskCase:
    number = parse_pk(pk)
    rows = case_list(actor=actor)
    if lock:
        rows = rows.select_for_update(of=("self",))
    row = rows.filter(pk=number).first() if number else None
    if row is None:
        raise CaseNotFound()
    return row


def case_order_list(*, actor, case: RiskCase) -> QuerySet:
    """The orders ``case`` is about that ``actor`` may see: its order, or a ring's orders
    (``evidence["orders"]``), oldest first."""
    from orders.selectors import order_list

    numbers = [str(number) for number in (case.evidence or {}).get("orders", [])][:5000]
    if case.order_id:
        numbers.append(case.order.order_no)
    return order_list(actor=actor).filter(order_no__in=numbers).order_by("pk")


# --- events ---------------------------------------------------------------------------


def event_list(*, actor) -> QuerySet[RiskEvent]:
    return _visible(actor, RiskEvent.objects.select_related("member", "region")).order_by("-id")


# --- fund freezes ---------------------------------------------------------------------


def freeze_list(*, actor) -> QuerySet[FundFreeze]:
    return _visible(
        actor,
        FundFreeze.objects.select_related("order", "region", "case", "frozen_by", "released_by"),
    ).order_by("-id")


def freeze_get(*, actor, freeze_no: str, lock: bool = False) -> FundFreeze:
    number = _number(freeze_no)
    rows = freeze_list(actor=actor)
    if lock:
        rows = rows.select_for_update(of=("self",))
    row = rows.filter(freeze_no=number).first() if number else None
    if row is None:
        raise FreezeNotFound()
    return row


# --- marks and blacklist (mall-wide; function permission) -----------------------------


def mark_list(*, actor) -> QuerySet[RiskMark]:
    return _visible(
        actor, RiskMark.objects.select_related("member", "case", "created_by", "revoked_by")
    ).order_by("-id")


def mark_get(*, actor, pk, lock: bool = False) -> RiskMark:
    number = parse_pk(pk)
    rows = mark_list(actor=actor)
    if lock:
        rows = rows.select_for_update(of=("self",))
    row = rows.filter(pk=number).first() if number else None
    if row is None:
        raise MarkNotFound()
    return row


def blacklist_list(*, actor) -> QuerySet[BlacklistEntry]:
    return _visible(
        actor,
        BlacklistEntry.objects.select_related("member", "case", "created_by", "revoked_by"),
    ).order_by("-id")


def blacklist_get(*, actor, pk, lock: bool = False) -> BlacklistEntry:
    number = parse_pk(pk)
    rows = blacklist_list(actor=actor)
    if lock:
        rows = rows.select_for_update(of=("self",))
    row = rows.filter(pk=number).first() if number else None
    if row is None:
        raise BlacklistEntryNotFound()
    return row
