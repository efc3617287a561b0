"""Risk rules (orders); see risk/rules/__init__.py.

* ``flash_hoarding`` (``order.place``, flash orders only) — block when the member or the
  device already holds the parameters' number of unpaid flash-sale orders (any session).
* ``frequent_purchase`` (``order.place``) — review when the member already placed the
  parameter's number of live orders of one of the SKUs in the window.

Each rule is one indexed query; the thresholds come with the switch (base.rule).
"""

from __future__ import annotations

from django.db.models import Count, Q
from django.utils.translation import gettext as _

from orders.models import Order, OrderLine

from ..parameters import (
    FLASH_UNPAID_PER_DEVICE,
    FLASH_UNPAID_PER_MEMBER,
    FREQUENT_ORDERS_PER_SKU,
    FREQUENT_WINDOW_HOURS,
)
from .base import block, review, rule, since

S = Order.Status
EVIDENCE_ORDERS = 10  # order numbers kept in the evidence


@rule(
    "order.place",
    "flash_hoarding",
    params=(FLASH_UNPAID_PER_MEMBER, FLASH_UNPAID_PER_DEVICE),
)
def flash_hoarding(*, settings, member, flash_session=None, device_id=None, **context):
    """Unpaid flash orders already held by the member / the device (one query: the
    member's orders index and the partial index ``orders_order_unpaid_flash_dev``)."""
    if flash_session is None:
        return None
    device_id = (device_id or "")[:128]
    who = Q(member_id=member.pk)
    if device_id:
        who |= Q(device_id=device_id)
    figures = {"by_member": Count("pk", filter=Q(member_id=member.pk))}
    if device_id:
        figures["by_device"] = Count("pk", filter=Q(device_id=device_id))
    counts = Order.objects.filter(
        who, status=S.PENDING_PAYMENT, flash_session__isnull=False
    ).aggregate(**figures)
    by_member = counts["by_member"]
    by_device = counts.get("by_device", 0)
    member_limit = settings[FLASH_UNPAID_PER_MEMBER]
    device_limit = settings[FLASH_UNPAID_PER_DEVICE]
    over_member = by_member >= member_limit
    over_device = bool(device_id) and by_device >= device_limit
    if not (over_member or over_device):
        return None
    evidence = {
        "unpaid_flash_orders_member": by_member,
        "member_limit": member_limit,
        "flash_session": flash_session.pk,
        "members": [member.pk],
    }
    if device_id:
        evidence.update(
            unpaid_flash_orders_device=by_device, device_limit=device_limit, devices=[device_id]
        )
    if over_member:
        reason = _("The member already holds %(count)s unpaid flash-sale orders.") % {
            "count": by_member
        }
    else:
        reason = _("The device already holds %(count)s unpaid flash-sale orders.") % {
            "count": by_device
        }
    return block("flash_hoarding", reason, score=90, **evidence)


@rule(
    "order.place",
    "frequent_purchase",
    params=(FREQUENT_WINDOW_HOURS, FREQUENT_ORDERS_PER_SKU),
)
def frequent_purchase(*, settings, member, lines, **context):
    """Live (not cancelled / closed) orders of the member in the window holding one of
    the placement's SKUs, per SKU (one query over the member's orders index)."""
    wanted = {sku.pk: sku for sku, _quantity in lines}
    if not wanted:
        return None
    hours = settings[FREQUENT_WINDOW_HOURS]
    limit = settings[FREQUENT_ORDERS_PER_SKU]
    rows = (
        OrderLine.objects.filter(
            order__member_id=member.pk,
            order__created_at__gte=since(hours=hours),
            sku_id__in=list(wanted),
        )
        .exclude(order__status__in=(S.CANCELLED, S.CLOSED))
        .order_by()
        .values_list("sku_id", "order__order_no")[:1000]
    )
    orders: dict[int, list[str]] = {}
    for sku_id, order_no in rows:
        orders.setdefault(sku_id, []).append(order_no)
    if not orders:
        return None
    sku_id, numbers = max(orders.items(), key=lambda item: len(item[1]))
    if len(numbers) < limit:
        return None
    sku = wanted[sku_id]
    return review(
        "frequent_purchase",
        _("%(count)s orders of SKU %(sku)s in %(hours)s hours.")
        % {"count": len(numbers), "sku": sku.code, "hours": hours},
        score=50,
        sku=sku.code,
        orders_in_window=len(numbers),
        window_hours=hours,
        threshold=limit,
        orders=sorted(numbers)[-EVIDENCE_ORDERS:],
        members=[member.pk],
    )
