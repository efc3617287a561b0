"""Refund requests: the record a refund waits in until it is executed.

A paid order's cancellation, a lost parcel refunded and an approved after-sales
case all end in money going back. Orders records the request as an
``AfterSale`` case in ``refunding`` (with the ``refund.execute`` SLA clock, 24 h);
finance executes it (``orders.services.after_sales.after_sale_refund_execute``;
through the payments app's refund interface once issue 13 lands).
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from mall.core.audit import audit
from mall.core.money import split_amount, to_money
from ops.services.sla import sla_clock_start

from ..exceptions import InvalidOrderInput
from ..models import AfterSale, AfterSaleLine, Order, OrderLine
from ..numbers import unique_number
from ..selectors import order_refundable_amount
from .events import after_sale_event_record


@transaction.atomic
def refund_request_open(
    *,
    actor,
    order: Order,
    amount,
    reason: str = AfterSale.Reason.CANCELLED_ORDER,
    description: str = "",
    lines: Iterable[tuple[OrderLine, int]] | None = None,
) -> AfterSale:
    """Open a refund request of ``amount`` on ``order`` (status ``refunding``).

    ``lines`` (default: every line, all units) say what the refund covers; the
    amount is split over them in proportion to their payable amounts (to the cent).
    Raises ``InvalidOrderInput`` when the amount is not positive or exceeds what can
    still be refunded. Starts the ``refund.execute`` clock; audited.
    """
    amount = to_money(amount)
    if amount <= 0 or amount > order_refundable_amount(actor=actor, order=order):
        raise InvalidOrderInput(
            _("The refund amount must be positive and at most what can still be refunded."),
            fields={"amount": [f"{amount:.2f}"]},
        )
    chosen = (
        list(lines) if lines is not None else [(line, line.quantity) for line in order.lines.all()]
    )
    # The lines carry the goods only: the part of ``amount`` above what the lines can
    # still give back (the shipping fee) is refunded on the order, not on a line.
    weights = [line.payable_amount - line.refunded_amount for line, _quantity in chosen]
    on_lines = min(amount, sum(weights, Decimal("0.00")))
    shares = [Decimal("0.00")] * len(chosen)
    if chosen and on_lines > 0:
        shares = split_amount(on_lines, weights)

    def create(number: str) -> AfterSale:
        return AfterSale.objects.create(
            case_no=number,
            order=order,
            member=order.member,
            region=order.region,
            channel=order.channel,
            kind=AfterSale.Kind.REFUND_ONLY,
            status=AfterSale.Status.REFUNDING,
            reason=reason,
            description=description[:500],
            requested_amount=amount,
            approved_amount=amount,
        )

    case = unique_number("SH", create)
    AfterSaleLine.objects.bulk_create(
        AfterSaleLine(after_sale=case, order_line=line, quantity=quantity, amount=share)
        for (line, quantity), share in zip(chosen, shares, strict=True)
    )
    after_sale_event_record(
        actor=actor, after_sale=case, type="refund_request", data={"amount": f"{amount:.2f}"}
    )
    sla_clock_start(kind="refund.execute", subject=case, actor=actor, region=order.region)
    audit(
        actor=actor,
        action="after_sale.refund_request",
        target=case,
        after={"order_no": order.order_no, "amount": f"{amount:.2f}", "reason": reason},
    )
    return case
