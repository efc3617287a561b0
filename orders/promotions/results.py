"""Campaign and flash-sale session figures (活动效果 / 秒杀效果): the live page, the
review report (Excel) and the workbench tiles read them from here.

Every figure is read in the reader's data scope: the orders come from
``selectors.order_list(actor=…)`` (a regional ops user counts their regions' orders
only) and every other figure is summed over *those* orders, never over a table-wide
counter — nobody learns another region's figures from a total, a count or an error.
The figures are aggregates in SQL (one query per group of figures), never a Python
loop over orders.

**The orders of a promotion** ("counted orders"): orders in the reader's scope,
not brushed (``is_brushed``, found by risk), not ``cancelled`` (a cancelled order gave
its stock, quota and budget share back: it is as if it had not been placed), and

* for a campaign: with a line carrying the campaign (discounted or a gift) or a
  ``CampaignUsage`` row of it;
* for a session: ``Order.flash_session`` is the session.

``closed`` orders (paid, then refunded in full) stay counted: they were sold and
refunded. Unpaid orders still waiting for payment count as orders (not as GMV).

The figures:

* **orders** — counted orders; **paid orders** — those paid (``paid_at`` set, or a
  presale deposit paid);
* **buyers** — distinct members of the counted orders;
* **GMV** — Σ ``paid_amount`` of the paid counted orders: what buyers paid for the
  whole order (shipping included, refunds *not* subtracted — see the refund rate);
* **refunded / refund rate** — Σ ``refunded_amount`` of the paid counted orders, and
  that ÷ GMV (refunds made at any time, also after the promotion ended);
* **discount cost** — campaign: Σ the campaign discount of its lines
  (``OrderLine.promotion_discount_amount`` of lines carrying the campaign) + its gift
  lines at list price (list price × quantity); session: Σ (list price − flash price)
  × units of the session's lines;
* **budget used** (campaigns) — Σ discount + gifts at list price of the counted
  orders' ``CampaignUsage`` rows not returned. A reader who sees every order also
  gets the campaign's own counter (``spent_amount``: brushed orders included);
* **coupon redemption** — counted orders that used a coupon, their share of the
  orders, and Σ their ``coupon_discount_amount`` (the order's whole coupon discount);
* **views** — storefront views (``StoreEventCount``) on the days of the window
  (local dates from start to end): a campaign's ``product_view`` of the products it
  covers (every product, the products of its categories and their sub-categories, or
  the products of its SKUs); a session's ``session_view``. Views are not regional:
  they are the same for every reader;
* **conversion** — counted orders ÷ views (none without views);
* **ROI** — GMV ÷ (discount cost + the campaign's ``other_cost_amount``); a session
  has no other costs: GMV ÷ discount cost. None when the cost is 0. The other costs
  are the campaign's (not split by region): for a regional reader the ROI is the
  return of their regions' orders on the cost of the whole campaign's other costs
  plus their regions' discounts.

Session per-SKU rows: units sold and GMV (Σ the lines' payable amount of paid
orders) of the counted orders; the quota, the database's ``sold`` and the remaining
units only for a reader who sees every order (they are national counters).

Reading needs ``orders.view_promotion_results``; the review report also
``orders.export_promotion_results`` and each download is audited
(``promotion_results.export``).
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from django.db.models import (
    Count,
    DecimalField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from mall.core.actors import is_system_actor
from mall.core.audit import audit
from mall.core.cells import export_cell
from mall.core.scoping import sees_every_row

from .. import permissions as perms
from .. import selectors
from ..exceptions import OrdersPermissionDenied
from ..models import (
    Campaign,
    CampaignUsage,
    FlashSession,
    FlashSessionItem,
    Order,
    OrderLine,
    StoreEventCount,
)
from .campaigns import category_subtree

ZERO = Decimal("0.00")
_MONEY = DecimalField(max_digits=14, decimal_places=2)
EXPORT_ACTION = "promotion_results.export"


@dataclass(frozen=True)
class SkuFigures:
    """One SKU of a session: units sold and GMV of the reader's orders; the quota, the
    units sold in all and the remaining units only for a reader who sees every order."""

    sku_id: int
    sku_code: str
    title: str
    flash_price: Decimal
    sold: int
    gmv: Decimal
    quota: int | None = None
    sold_total: int | None = None
    remaining: int | None = None


@dataclass(frozen=True)
class PromotionFigures:
    """The figures of one campaign or session as one reader may see them."""

    kind: str  # "campaign" or "session"
    promotion_id: int
    name: str
    starts_at: datetime
    ends_at: datetime
    status: str
    status_label: str
    orders: int
    paid_orders: int
    buyers: int
    gmv: Decimal
    refunded: Decimal
    refund_rate: Decimal | None
    discount_cost: Decimal
    other_cost: Decimal
    roi: Decimal | None
    coupon_orders: int
    coupon_rate: Decimal | None
    coupon_discount: Decimal
    views: int
    conversion: Decimal | None
    budget: Decimal | None = None
    budget_used: Decimal | None = None
    budget_used_all: Decimal | None = None  # the campaign's counter, full-scope readers only
    skus: list[SkuFigures] = field(default_factory=list)
    read_at: datetime | None = None


# --- permissions ------------------------------------------------------------------------


def may_view_results(*, actor) -> bool:
    if is_system_actor(actor):
        return True
    return bool(
        getattr(actor, "is_active", False)
        and getattr(actor, "is_staff", False)
        and actor.has_perm(perms.VIEW_PROMOTION_RESULTS)
    )


def may_export_results(*, actor) -> bool:
    if is_system_actor(actor):
        return True
    return may_view_results(actor=actor) and actor.has_perm(perms.EXPORT_PROMOTION_RESULTS)


def _require_view(actor) -> None:
    if not may_view_results(actor=actor):
        raise OrdersPermissionDenied()


# --- the orders of a promotion ------------------------------------------------------------


def _scoped_orders(actor) -> QuerySet[Order]:
    return (
        selectors.order_list(actor=actor)
        .filter(is_brushed=False)
        .exclude(status=Order.Status.CANCELLED)
        .order_by()
    )


def campaign_orders(*, actor, campaign: Campaign) -> QuerySet[Order]:
    """The counted orders of ``campaign`` in ``actor``'s scope (see the module doc)."""
    _require_view(actor)
    carries = OrderLine.objects.filter(order=OuterRef("pk"), campaign_id=campaign.pk)
    used = CampaignUsage.objects.filter(order=OuterRef("pk"), campaign_id=campaign.pk)
    return _scoped_orders(actor).filter(Exists(carries) | Exists(used))


def session_orders(*, actor, session: FlashSession) -> QuerySet[Order]:
    """The counted orders of ``session`` in ``actor``'s scope (see the module doc)."""
    _require_view(actor)
    return _scoped_orders(actor).filter(flash_session_id=session.pk)


_PAID = Q(paid_at__isnull=False) | Q(deposit_paid_at__isnull=False)


def _order_figures(orders: QuerySet[Order]) -> dict:
    """Orders, paid orders, buyers, GMV, refunds and coupon figures: one query."""
    row = orders.aggregate(
        orders=Count("id"),
        paid_orders=Count("id", filter=_PAID),
        buyers=Count("member_id", distinct=True),
        gmv=Coalesce(Sum("paid_amount", filter=_PAID), Value(ZERO), output_field=_MONEY),
        refunded=Coalesce(Sum("refunded_amount", filter=_PAID), Value(ZERO), output_field=_MONEY),
        coupon_orders=Count("id", filter=Q(coupon_id__isnull=False)),
        coupon_discount=Coalesce(
            Sum("coupon_discount_amount", filter=Q(coupon_id__isnull=False)),
            Value(ZERO),
            output_field=_MONEY,
        ),
    )
    return row


def _ratio(numerator, denominator) -> Decimal | None:
    if not denominator:
        return None
    return (Decimal(numerator) / Decimal(denominator)).quantize(Decimal("0.0001"))


def _window_days(starts_at: datetime, ends_at: datetime) -> tuple:
    first = timezone.localdate(starts_at)
    # a window ending exactly at midnight does not reach into that day
    last = timezone.localdate(ends_at - timedelta(microseconds=1))
    return first, max(first, last)


def _views(*, kind: str, object_ids, starts_at, ends_at) -> int:
    first, last = _window_days(starts_at, ends_at)
    rows = StoreEventCount.objects.filter(type=kind, day__gte=first, day__lte=last)
    if object_ids is not None:
        rows = rows.filter(object_id__in=object_ids)
    return rows.aggregate(views=Coalesce(Sum("views"), Value(0)))["views"]


def _campaign_products(campaign: Campaign):
    """The ids of the products ``campaign`` covers (a subquery), or None for every product."""
    from catalog.models import Product, Sku

    if campaign.scope == Campaign.Scope.ALL:
        return None
    if campaign.scope == Campaign.Scope.SKUS:
        return Sku.objects.filter(
            pk__in=campaign.skus.through.objects.filter(campaign_id=campaign.pk).values("sku_id")
        ).values("product_id")
    chosen = campaign.categories.through.objects.filter(campaign_id=campaign.pk).values_list(
        "category_id", flat=True
    )
    # every depth, as the price step reads a campaign's categories
    return Product.objects.filter(category_id__in=sorted(category_subtree(chosen))).values("id")


def _finish(kind, promotion, row, *, discount_cost, other_cost, views, **extra):
    gmv = row["gmv"]
    cost = discount_cost + other_cost
    return PromotionFigures(
        kind=kind,
        promotion_id=promotion.pk,
        name=promotion.name,
        starts_at=promotion.starts_at,
        ends_at=promotion.ends_at,
        status=promotion.status,
        status_label=str(promotion.get_status_display()),
        orders=row["orders"],
        paid_orders=row["paid_orders"],
        buyers=row["buyers"],
        gmv=gmv,
        refunded=row["refunded"],
        refund_rate=_ratio(row["refunded"], gmv),
        discount_cost=discount_cost,
        other_cost=other_cost,
        roi=_ratio(gmv, cost),
        coupon_orders=row["coupon_orders"],
        coupon_rate=_ratio(row["coupon_orders"], row["orders"]),
        coupon_discount=row["coupon_discount"],
        views=views,
        conversion=_ratio(row["orders"], views),
        read_at=timezone.now(),
        **extra,
    )


def campaign_figures(*, actor, campaign: Campaign) -> PromotionFigures:
    """``campaign``'s figures in ``actor``'s scope (403 without the view permission)."""
    orders = campaign_orders(actor=actor, campaign=campaign)
    row = _order_figures(orders)
    counted = orders.values("pk")
    lines = OrderLine.objects.filter(order_id__in=counted, campaign_id=campaign.pk).aggregate(
        discount=Coalesce(
            Sum("promotion_discount_amount", filter=Q(is_gift=False)),
            Value(ZERO),
            output_field=_MONEY,
        ),
        gifts=Coalesce(
            Sum(
                ExpressionWrapper(F("list_price_amount") * F("quantity"), output_field=_MONEY),
                filter=Q(is_gift=True),
            ),
            Value(ZERO),
            output_field=_MONEY,
        ),
    )
    budget_used = CampaignUsage.objects.filter(
        campaign_id=campaign.pk, order_id__in=counted, returned=False
    ).aggregate(
        used=Coalesce(
            Sum(
                ExpressionWrapper(F("discount_amount") + F("gift_cost_amount"), output_field=_MONEY)
            ),
            Value(ZERO),
            output_field=_MONEY,
        )
    )["used"]
    views = _views(
        kind=StoreEventCount.Type.PRODUCT_VIEW,
        object_ids=_campaign_products(campaign),
        starts_at=campaign.starts_at,
        ends_at=campaign.ends_at,
    )
    return _finish(
        "campaign",
        campaign,
        row,
        discount_cost=lines["discount"] + lines["gifts"],
        other_cost=campaign.other_cost_amount,
        views=views,
        budget=campaign.budget_amount,
        budget_used=budget_used,
        budget_used_all=(campaign.spent_amount if sees_every_row(actor, Order) else None),
    )


def session_sku_rows(*, actor, session: FlashSession) -> list[SkuFigures]:
    """Per SKU of ``session``: units sold and GMV of the reader's counted orders (one
    aggregate query); quota / sold in all / remaining for a full-scope reader."""
    _require_view(actor)
    counted = session_orders(actor=actor, session=session).values("pk")
    paid_orders = session_orders(actor=actor, session=session).filter(_PAID).values("pk")
    per_item = {
        row["flash_item_id"]: row
        for row in OrderLine.objects.filter(order_id__in=counted, flash_item__session_id=session.pk)
        .values("flash_item_id")
        .annotate(
            units=Coalesce(Sum("quantity"), Value(0)),
            gmv=Coalesce(
                Sum("payable_amount", filter=Q(order_id__in=paid_orders)),
                Value(ZERO),
                output_field=_MONEY,
            ),
        )
        .order_by()
    }
    national = sees_every_row(actor, Order)
    rows = []
    for item in FlashSessionItem.objects.filter(session_id=session.pk).select_related(
        "sku__product"
    ):
        mine = per_item.get(item.pk, {})
        rows.append(
            SkuFigures(
                sku_id=item.sku_id,
                sku_code=item.sku.code,
                title=item.sku.product.title,
                flash_price=item.flash_price_amount,
                sold=mine.get("units", 0),
                gmv=mine.get("gmv", ZERO),
                quota=item.quota if national else None,
                sold_total=item.sold if national else None,
                remaining=item.remaining if national else None,
            )
        )
    return rows


def session_figures(*, actor, session: FlashSession) -> PromotionFigures:
    """``session``'s figures in ``actor``'s scope (403 without the view permission)."""
    orders = session_orders(actor=actor, session=session)
    row = _order_figures(orders)
    discount = OrderLine.objects.filter(
        order_id__in=orders.values("pk"), flash_item__session_id=session.pk
    ).aggregate(
        cost=Coalesce(
            Sum(
                ExpressionWrapper(
                    (F("list_price_amount") - F("unit_price_amount")) * F("quantity"),
                    output_field=_MONEY,
                )
            ),
            Value(ZERO),
            output_field=_MONEY,
        )
    )["cost"]
    views = _views(
        kind=StoreEventCount.Type.SESSION_VIEW,
        object_ids=[session.pk],
        starts_at=session.starts_at,
        ends_at=session.ends_at,
    )
    return _finish(
        "session",
        session,
        row,
        discount_cost=discount,
        other_cost=ZERO,
        views=views,
        skus=session_sku_rows(actor=actor, session=session),
    )


def promotion_figures(*, actor, promotion: Campaign | FlashSession) -> PromotionFigures:
    if isinstance(promotion, Campaign):
        return campaign_figures(actor=actor, campaign=promotion)
    return session_figures(actor=actor, session=promotion)


# --- running promotions (workbench) ------------------------------------------------------


def running_campaigns(*, actor) -> QuerySet[Campaign]:
    _require_view(actor)
    from ..models import ApprovalStatus

    return Campaign.objects.filter(status=ApprovalStatus.RUNNING).order_by("ends_at", "id")


def running_sessions(*, actor) -> QuerySet[FlashSession]:
    _require_view(actor)
    from ..models import ApprovalStatus

    return FlashSession.objects.filter(status=ApprovalStatus.RUNNING).order_by("ends_at", "id")


# --- the review report ------------------------------------------------------------------


def _percent(value: Decimal | None) -> str:
    return "—" if value is None else f"{value * 100:.2f}%"


def _plain(value):
    """A cell: money and counts as numbers, None as a dash."""
    if value is None:
        return "—"
    return value


def figure_rows(figures: PromotionFigures) -> list[tuple[str, object]]:
    """(label, value) pairs of the figures, as the live page and the report show them;
    money as Decimal, rates as percent text."""
    rows: list[tuple[str, object]] = [
        (_("Number of orders"), figures.orders),
        (_("Paid orders"), figures.paid_orders),
        (_("Buyers"), figures.buyers),
        (_("GMV (paid amount)"), figures.gmv),
        (_("Discount cost"), figures.discount_cost),
    ]
    if figures.kind == "campaign":
        rows += [
            (_("Other costs"), figures.other_cost),
            (_("Budget"), figures.budget),
            (_("Budget used (these orders)"), figures.budget_used),
        ]
        if figures.budget_used_all is not None:
            rows.append((_("Budget used (all orders)"), figures.budget_used_all))
    rows += [
        (_("Orders with a coupon"), figures.coupon_orders),
        (_("Coupon redemption rate"), _percent(figures.coupon_rate)),
        (_("Coupon discount"), figures.coupon_discount),
        (_("Views"), figures.views),
        (_("Conversion (orders ÷ views)"), _percent(figures.conversion)),
        (_("Refunded amount"), figures.refunded),
        (_("Refund rate (refunded ÷ GMV)"), _percent(figures.refund_rate)),
        (_("ROI (GMV ÷ cost)"), "—" if figures.roi is None else f"{figures.roi:.2f}"),
    ]
    return [(label, _plain(value)) for label, value in rows]


def sku_header(figures: PromotionFigures) -> list[str]:
    return [
        _("SKU code"),
        _("Product"),
        _("Flash price"),
        _("Units sold (your orders)"),
        _("GMV (your orders)"),
        _("Quota"),
        _("Units sold (all)"),
        _("Remaining"),
    ]


def sku_row(sku: SkuFigures) -> list:
    return [
        sku.sku_code,
        sku.title,
        sku.flash_price,
        sku.sold,
        sku.gmv,
        _plain(sku.quota),
        _plain(sku.sold_total),
        _plain(sku.remaining),
    ]


def review_report(*, actor, promotion: Campaign | FlashSession) -> tuple[bytes, str]:
    """The review report (复盘报表) of ``promotion`` as ``actor`` may see it, as xlsx:
    answer the file's bytes and its name. 403 without both the view and the export
    permission. Audited ``promotion_results.export``."""
    if not may_export_results(actor=actor):
        raise OrdersPermissionDenied()
    from openpyxl import Workbook

    figures = promotion_figures(actor=actor, promotion=promotion)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=str(_("Summary"))[:31])
    kind_label = _("Campaign") if figures.kind == "campaign" else _("Flash-sale session")
    head = [
        (kind_label, figures.name),
        (_("Status"), figures.status_label),
        (_("Starts at"), timezone.localtime(figures.starts_at).strftime("%Y-%m-%d %H:%M")),
        (_("Ends at"), timezone.localtime(figures.ends_at).strftime("%Y-%m-%d %H:%M")),
        (_("Figures read at"), timezone.localtime(figures.read_at).strftime("%Y-%m-%d %H:%M:%S")),
    ]
    for label, value in head + figure_rows(figures):
        sheet.append([export_cell(str(label)), export_cell(value)])
    if figures.kind == "session":
        sheet = workbook.create_sheet(title=str(_("SKUs"))[:31])
        sheet.append([export_cell(str(text)) for text in sku_header(figures)])
        for sku in figures.skus:
            sheet.append([export_cell(value) for value in sku_row(sku)])
    out = io.BytesIO()
    workbook.save(out)
    audit(
        actor=actor,
        action=EXPORT_ACTION,
        object_type=promotion._meta.concrete_model._meta.label_lower,
        object_id=promotion.pk,
        data={
            "kind": figures.kind,
            "format": "xlsx",
            "orders": figures.orders,
            "gmv": str(figures.gmv),
        },
    )
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    return out.getvalue(), f"{figures.kind}-{promotion.pk}-review-{stamp}.xlsx"
