"""Risk rules (after_sales); see risk/rules/__init__.py.

* ``refund_ratio`` — review when the member's refunded amount (this request's amount
  counted in) over the paid amount of their orders paid in ``risk.refund_ratio_days``
  reaches ``risk.refund_ratio_review``, once they have ``risk.refund_ratio_min_orders``
  paid orders there (fewer: too little history to judge).
* ``not_received_repeat`` — review when a request with reason ``not_received`` follows
  ``risk.not_received_review`` earlier ones of the member in 90 days.

The ``after_sale.request`` context carries ``kind`` (AfterSale.Kind: refund_only /
return_refund / exchange) and ``reason`` (AfterSale.Reason: … ``not_received`` …); the
member is the order's (the service checked that the actor is that member).
"""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Count, Q, Sum
from django.utils.translation import gettext as _

from orders.models import AfterSale, Order

from ..parameters import (
    NOT_RECEIVED_REVIEW,
    REFUND_RATIO_DAYS,
    REFUND_RATIO_MIN_ORDERS,
    REFUND_RATIO_REVIEW,
)
from .base import review, rule, since

S = Order.Status
NOT_RECEIVED_DAYS = 90
EVIDENCE_CASES = 10


def _member_id(member, order) -> int | None:
    return getattr(order, "member_id", None) or getattr(member, "pk", None)


@rule(
    "after_sale.request",
    "refund_ratio",
    params=(REFUND_RATIO_DAYS, REFUND_RATIO_MIN_ORDERS, REFUND_RATIO_REVIEW),
)
def refund_ratio(*, settings, member, order=None, kind=None, amount=None, **context):
    """Refunded / paid over the member's orders paid in the window (one aggregate over the
    member's orders index); cancelled and closed orders are left out of both sides (a
    cancellation refunds in full by design, a closing is staff's decision)."""
    if kind == AfterSale.Kind.EXCHANGE:
        return None  # an exchange refunds nothing
    member_id = _member_id(member, order)
    if member_id is None:
        return None
    days = settings[REFUND_RATIO_DAYS]
    figures = (
        Order.objects.filter(member_id=member_id, paid_at__gte=since(days=days), paid_amount__gt=0)
        .exclude(status__in=(S.CANCELLED, S.CLOSED))
        .aggregate(
            paid=Sum("paid_amount"),
            refunded=Sum("refunded_amount"),
            orders=Count("pk"),
            refunded_orders=Count("pk", filter=Q(refunded_amount__gt=0)),
        )
    )
    paid_orders = figures["orders"] or 0
    if paid_orders < settings[REFUND_RATIO_MIN_ORDERS]:
        return None
    paid = figures["paid"] or Decimal("0")
    if paid <= 0:
        return None
    requested = Decimal(str(amount or 0))
    refunded = (figures["refunded"] or Decimal("0")) + requested
    ratio = (refunded / paid).quantize(Decimal("0.0001"))
    threshold = Decimal(str(settings[REFUND_RATIO_REVIEW]))
    if ratio < threshold:
        return None
    return review(
        "refund_ratio",
        _("Refunds reach %(ratio)s%% of the paid amount in %(days)s days.")
        % {"ratio": f"{ratio * 100:.0f}", "days": days},
        score=60,
        ratio=f"{ratio:.4f}",
        threshold=f"{threshold:.2f}",
        paid_amount=f"{paid:.2f}",
        refunded_amount=f"{refunded - requested:.2f}",
        requested_amount=f"{requested:.2f}",
        paid_orders=paid_orders,
        refunded_orders=figures["refunded_orders"] or 0,
        window_days=days,
        orders=[order.order_no] if order is not None else [],
        members=[member_id],
    )


@rule("after_sale.request", "not_received_repeat", params=(NOT_RECEIVED_REVIEW,))
def not_received_repeat(*, settings, member, order=None, reason=None, **context):
    """Earlier "not received" requests of the member in 90 days (one query over the
    after-sales member index), whatever became of them."""
    if reason != AfterSale.Reason.NOT_RECEIVED:
        return None
    member_id = _member_id(member, order)
    if member_id is None:
        return None
    limit = settings[NOT_RECEIVED_REVIEW]
    earlier = list(
        AfterSale.objects.filter(
            member_id=member_id,
            reason=AfterSale.Reason.NOT_RECEIVED,
            created_at__gte=since(days=NOT_RECEIVED_DAYS),
        )
        .order_by("-id")
        .values_list("case_no", "order__order_no")[:200]
    )
    if len(earlier) < limit:
        return None
    return review(
        "not_received_repeat",
        _('%(count)s earlier "not received" claims in %(days)s days.')
        % {"count": len(earlier), "days": NOT_RECEIVED_DAYS},
        score=60,
        earlier_claims=len(earlier),
        threshold=limit,
        window_days=NOT_RECEIVED_DAYS,
        cases=[case_no for case_no, _o in earlier[:EVIDENCE_CASES]],
        orders=sorted(
            {order_no for _c, order_no in earlier[:EVIDENCE_CASES]}
            | ({order.order_no} if order is not None else set())
        ),
        members=[member_id],
    )
