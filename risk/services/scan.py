"""The daily brushing scan (刷单) and what deciding a ring case does to its orders.

A ring case's evidence lists its orders (``evidence["orders"]``: order numbers). The
scan flags them ``is_brushed`` when it opens the case, so reports, results and
recommendations leave them out at once; dismissing the case gives them back
(:func:`ring_dismissed`), confirming keeps them out (:func:`ring_confirmed`).
"""

from __future__ import annotations

from mall.core.audit import audit

from ..models import RiskCase


def _ring_order_numbers(case: RiskCase) -> list[str]:
    return [str(number) for number in (case.evidence or {}).get("orders", [])][:5000]


def ring_confirmed(*, actor, case: RiskCase) -> int:
    """Keep the ring's orders flagged (flag any the scan had not flagged yet)."""
    from orders.models import Order

    numbers = _ring_order_numbers(case)
    flagged = Order.objects.filter(order_no__in=numbers, is_brushed=False).update(is_brushed=True)
    if flagged:
        audit(
            actor=actor,
            action="risk.orders_brushed",
            target=case,
            data={"orders": flagged},
        )
    return flagged


def ring_dismissed(*, actor, case: RiskCase) -> int:
    """Give the ring's orders back to the reports, except orders another open or
    confirmed ring still names."""
    from orders.models import Order

    numbers = set(_ring_order_numbers(case))
    others = RiskCase.objects.filter(
        kind=RiskCase.Kind.BRUSHING_RING,
        status__in=[RiskCase.Status.OPEN, RiskCase.Status.CONFIRMED],
    ).exclude(pk=case.pk)
    for other in others.only("evidence").iterator():
        numbers -= set(_ring_order_numbers(other))
    cleared = Order.objects.filter(order_no__in=numbers, is_brushed=True).update(is_brushed=False)
    if cleared:
        audit(
            actor=actor,
            action="risk.orders_unbrushed",
            target=case,
            data={"orders": cleared},
        )
    return cleared
