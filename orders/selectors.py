"""Every read of the orders app served to a person (or a job); always scoped.

Each selector takes ``actor`` first and starts from :func:`_visible`:

* a **member** (storefront) sees only their own orders, after-sales cases and
  reviews (``member_path``); rows without a member path are none of theirs;
* a **staff user** sees the rows in their RBAC data scope (an order belongs to the
  sales region of its delivery province, and to its sales channel for object
  grants); outside the scope is "not found";
* the **system actor** (Celery jobs, commands) sees every row.

``*_get`` selectors raise a ``NotFound`` subclass for a missing row, a row outside
the scope and a malformed key alike (no message tells them apart).
"""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Prefetch, QuerySet, Sum

from mall.core.api import parse_pk
from mall.core.scoping import visible_rows

from .exceptions import AfterSaleNotFound, ChannelNotFound, OrderNotFound, ReviewNotFound
from .models import (
    AfterSale,
    AfterSaleEvent,
    AfterSaleLine,
    ChannelLedgerEntry,
    FreightTemplate,
    ModificationRequest,
    Order,
    OrderEvent,
    OrderLine,
    PromotionPeriod,
    Review,
    SalesChannel,
    VirtualCode,
)

ORDER_NO_MAX = 24


def _visible(actor, queryset: QuerySet, member_path: str | None = "member") -> QuerySet:
    """The rows of ``queryset`` ``actor`` may read (the kernel's one rule)."""
    return visible_rows(actor, queryset, member_path=member_path)


# --- orders ----------------------------------------------------------------------------


def order_list(*, actor) -> QuerySet[Order]:
    """Orders ``actor`` may see (a member: their own), newest first, with channel and region."""
    return _visible(actor, Order.objects.select_related("channel", "region", "province")).order_by(
        "-id"
    )


def order_list_with_lines(*, actor) -> QuerySet[Order]:
    """:func:`order_list` with lines prefetched (a constant number of queries per page)."""
    return order_list(actor=actor).prefetch_related(
        Prefetch("lines", queryset=OrderLine.objects.order_by("id"))
    )


def order_get(*, actor, order_no: str, lock: bool = False) -> Order:
    """One order by number that ``actor`` may see; ``OrderNotFound`` (404) otherwise.

    ``lock=True`` takes the row lock (``SELECT … FOR UPDATE``) for a service that
    checks then writes; call it inside ``transaction.atomic``.
    """
    number = str(order_no or "").strip()
    if not number or len(number) > ORDER_NO_MAX:
        raise OrderNotFound()
    queryset = order_list(actor=actor)
    if lock:
        queryset = queryset.select_for_update(of=("self",))
    order = queryset.filter(order_no=number).first()
    if order is None:
        raise OrderNotFound()
    return order


def order_get_by_pk(*, actor, pk, lock: bool = False) -> Order:
    """One order by database id (admin URLs); ``OrderNotFound`` otherwise."""
    number = parse_pk(pk)
    if number is None:
        raise OrderNotFound()
    queryset = order_list(actor=actor)
    if lock:
        queryset = queryset.select_for_update(of=("self",))
    order = queryset.filter(pk=number).first()
    if order is None:
        raise OrderNotFound()
    return order


def order_events(*, actor, order: Order) -> QuerySet[OrderEvent]:
    """The timeline of an order ``actor`` may see, oldest first."""
    return _visible(
        actor, OrderEvent.objects.filter(order=order), member_path="order__member"
    ).order_by("id")


def order_line_list(*, actor) -> QuerySet[OrderLine]:
    """Order lines ``actor`` may see."""
    return _visible(actor, OrderLine.objects.select_related("order"), member_path="order__member")


def modification_request_list(*, actor) -> QuerySet[ModificationRequest]:
    """Modification requests ``actor`` may see, newest first."""
    return _visible(
        actor, ModificationRequest.objects.select_related("order"), member_path="order__member"
    ).order_by("-id")


def virtual_code_list(*, actor) -> QuerySet[VirtualCode]:
    """Virtual goods codes ``actor`` may see (codes stay encrypted; masking is the caller's)."""
    return _visible(
        actor, VirtualCode.objects.select_related("order", "line"), member_path="order__member"
    ).order_by("-id")


def order_refundable_amount(*, actor, order: Order) -> Decimal:
    """What can still be refunded on ``order``: paid − refunded − refunds requested and open.

    ``actor`` is the caller (the order was loaded through a scoped selector for them).
    """
    open_requests = AfterSale.objects.filter(
        order=order, status=AfterSale.Status.REFUNDING
    ).aggregate(approved=Sum("approved_amount"), refunded=Sum("refunded_amount"))
    pending = (open_requests["approved"] or Decimal("0")) - (
        open_requests["refunded"] or Decimal("0")
    )
    return (order.paid_amount - order.refunded_amount - pending).quantize(Decimal("0.01"))


# --- after-sales -----------------------------------------------------------------------


def after_sale_list(*, actor) -> QuerySet[AfterSale]:
    """After-sales cases ``actor`` may see (a member: their own), newest first."""
    return _visible(actor, AfterSale.objects.select_related("order", "region", "channel")).order_by(
        "-id"
    )


def after_sale_get(*, actor, case_no: str, lock: bool = False) -> AfterSale:
    """One after-sales case by number; ``AfterSaleNotFound`` (404) otherwise."""
    number = str(case_no or "").strip()
    if not number or len(number) > ORDER_NO_MAX:
        raise AfterSaleNotFound()
    queryset = after_sale_list(actor=actor)
    if lock:
        queryset = queryset.select_for_update(of=("self",))
    case = queryset.filter(case_no=number).first()
    if case is None:
        raise AfterSaleNotFound()
    return case


def after_sale_lines(*, actor, after_sale: AfterSale) -> QuerySet[AfterSaleLine]:
    return _visible(
        actor,
        AfterSaleLine.objects.filter(after_sale=after_sale).select_related("order_line"),
        member_path="after_sale__member",
    ).order_by("id")


def after_sale_events(*, actor, after_sale: AfterSale) -> QuerySet[AfterSaleEvent]:
    return _visible(
        actor,
        AfterSaleEvent.objects.filter(after_sale=after_sale),
        member_path="after_sale__member",
    ).order_by("id")


# --- reviews ---------------------------------------------------------------------------


def review_list(*, actor) -> QuerySet[Review]:
    """Reviews ``actor`` may see (a member: their own), newest first."""
    return _visible(actor, Review.objects.select_related("order", "product", "line")).order_by(
        "-id"
    )


def review_get(*, actor, pk, lock: bool = False) -> Review:
    number = parse_pk(pk)
    if number is None:
        raise ReviewNotFound()
    queryset = review_list(actor=actor)
    if lock:
        queryset = queryset.select_for_update(of=("self",))
    review = queryset.filter(pk=number).first()
    if review is None:
        raise ReviewNotFound()
    return review


def product_reviews_public(*, actor, product_id: int) -> QuerySet[Review]:
    """Shown reviews of one product for the storefront (public: ``actor`` may be anyone).

    A product id that is not a database id (too large, not a number) has none.
    """
    number = parse_pk(product_id)
    if number is None:
        return Review.objects.none()
    return (
        Review.objects.filter(product_id=number, status=Review.Status.SHOWN)
        .prefetch_related("images")
        .order_by("-id")
    )


# --- channels, calendar, freight ---------------------------------------------------------


def channel_list(*, actor) -> QuerySet[SalesChannel]:
    """Sales channels ``actor`` may manage or work on."""
    return _visible(actor, SalesChannel.objects.select_related("operator"), member_path=None)


def channel_get(*, actor, pk, lock: bool = False) -> SalesChannel:
    number = parse_pk(pk)
    if number is None:
        raise ChannelNotFound()
    queryset = channel_list(actor=actor)
    if lock:
        queryset = queryset.select_for_update()
    channel = queryset.filter(pk=number).first()
    if channel is None:
        raise ChannelNotFound()
    return channel


def channel_for_storefront(*, actor, code: str) -> SalesChannel | None:
    """The active channel with ``code`` a storefront may order through (public reference)."""
    code = str(code or "").strip()
    if not code or len(code) > 30:
        return None
    return SalesChannel.objects.filter(code=code, status=SalesChannel.Status.ACTIVE).first()


def channel_ledger_list(*, actor) -> QuerySet[ChannelLedgerEntry]:
    return _visible(
        actor, ChannelLedgerEntry.objects.select_related("channel"), member_path=None
    ).order_by("-id")


def promotion_period_list(*, actor) -> QuerySet[PromotionPeriod]:
    return _visible(actor, PromotionPeriod.objects.all(), member_path=None)


def freight_template_list(*, actor) -> QuerySet[FreightTemplate]:
    return _visible(actor, FreightTemplate.objects.prefetch_related("rules"), member_path=None)
