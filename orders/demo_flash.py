"""Demo flash-sale sessions (issue 15), written through the flash services.

* a running session (``演示秒杀 · 进行中``) selling ``DEMO-FLASH-001``'s 10 units at a
  flash price below its lowest price of the look-back window: created by
  ``marketing``, approved by ``ops_lead``, opened (its quota is held out of stock);
* an upcoming session tomorrow (``演示秒杀 · 明日场``) with two other on-shelf SKUs,
  approved and waiting for its window;
* the roles' permissions: ``marketing`` creates and edits sessions, ``ops_lead``
  reads and approves them.

Idempotent: a session is made only when none of its name exists; ``seed_flash`` is
called by ``seed_demo`` after the orders demo (the lead wires it).
"""

from __future__ import annotations

from datetime import timedelta
from decimal import ROUND_DOWN, Decimal

from django.contrib.auth import get_user_model
from django.utils import timezone

from mall.core.actors import system_actor

from . import permissions as perms
from .models import ApprovalStatus, FlashSession

FLASH_SKU = "DEMO-FLASH-001"
FLASH_UNITS = 10
RUNNING_NAME = "演示秒杀 · 进行中"
UPCOMING_NAME = "演示秒杀 · 明日场"
UPCOMING_UNITS = 5  # per SKU of the upcoming session

ROLE_PERMISSIONS = {
    "marketing": [
        perms.VIEW_FLASH_SESSION,
        perms.ADD_FLASH_SESSION,
        perms.CHANGE_FLASH_SESSION,
        "orders.view_flashsessionitem",
    ],
    "ops_lead": [
        perms.VIEW_FLASH_SESSION,
        perms.APPROVE_FLASH_SESSION,
        "orders.view_flashsessionitem",
    ],
}


def _grant_roles() -> None:
    from rbac.demo import grant_role_permissions

    for role, permissions in ROLE_PERMISSIONS.items():
        grant_role_permissions(role, permissions)


def flash_price_below_lowest(sku, *, starts_at) -> Decimal:
    """A demo flash price: about 60 % of the SKU's lowest price of the look-back window.

    Strictly below that lowest price (the flash price rule), never below ¥0.01.
    """
    from catalog.parameters import PROMOTION_LOOKBACK_DAYS
    from catalog.services.pricing import sku_lowest_price
    from ops.parameters import get_parameter

    days = int(get_parameter(PROMOTION_LOOKBACK_DAYS))
    lowest = sku_lowest_price(
        actor=system_actor(), sku=sku, start=starts_at - timedelta(days=days), end=starts_at
    )
    lowest = lowest if lowest is not None else sku.price_amount
    price = (lowest * Decimal("0.6")).quantize(Decimal("1"), rounding=ROUND_DOWN)
    if price >= lowest:
        price = lowest - Decimal("0.01")
    return max(price, Decimal("0.01"))


def _gather_flash_stock(sku, units: int, stdout) -> None:
    """Bring the flash SKU's sellable units into one warehouse (调拨) before the sale.

    A session holds its quota in one warehouse (the one with the most sellable units,
    docs/FLASH_SALE.md); the dispatch demo spreads the 10 units over WH-SH and WH-BJ,
    so the others' units are transferred to the biggest holder and received there.
    """
    from dispatch import services as dispatch_services
    from dispatch.availability import sellable_expression
    from dispatch.models import Stock

    rows = list(
        Stock.objects.filter(sku=sku, warehouse__is_active=True)
        .select_related("warehouse")
        .annotate(units=sellable_expression())
        .order_by("-units", "warehouse__code")
    )
    if not rows or rows[0].units >= units:
        return
    actor = system_actor()
    target = rows[0].warehouse
    for row in rows[1:]:
        if row.units <= 0:
            continue
        document = dispatch_services.transfer_create(
            actor=actor,
            from_warehouse=row.warehouse,
            to_warehouse=target,
            lines=[(sku.code, row.units)],
            note="秒杀备货：集中到一个仓",
        )
        dispatch_services.transfer_receive(actor=actor, document=document)
        stdout.write(
            f"  orders: {row.units} × {sku.code} moved {row.warehouse.code} → {target.code}"
        )


def _upcoming_skus(count: int) -> list:
    """On-shelf physical SKUs with sellable stock, other than the flash SKU."""
    from catalog.availability import sellable_stock
    from catalog.models import Product, Sku

    candidates = list(
        Sku.objects.select_related("product")
        .filter(
            is_available=True,
            product__status=Product.Status.ON_SHELF,
            product__is_virtual=False,
        )
        .exclude(code=FLASH_SKU)
        .exclude(code__startswith="DEMO-P001")  # it has a running promotion price
        .order_by("code")[:40]
    )
    units = sellable_stock(sku.pk for sku in candidates)
    return [sku for sku in candidates if units.get(sku.pk, 0) >= UPCOMING_UNITS][:count]


def _session(*, creator, approver, name, starts_at, ends_at, items):
    from .promotions import flash

    session = flash.flash_session_create(
        actor=creator,
        name=name,
        starts_at=starts_at,
        ends_at=ends_at,
        unpaid_minutes=5,
        items=items,
    )
    session = flash.flash_session_submit(actor=creator, session=session) or session
    session = flash.flash_session_approve(actor=approver, session=session) or session
    return session


def seed_flash(stdout) -> None:
    """The demo's flash-sale sessions (idempotent)."""
    from catalog.models import Sku

    from .promotions import flash

    _grant_roles()
    users = get_user_model().objects.in_bulk(["marketing", "ops_lead"], field_name="username")
    creator, approver = users.get("marketing"), users.get("ops_lead")
    if creator is None or approver is None:
        stdout.write("  orders: demo users marketing / ops_lead missing; flash sessions skipped")
        return
    now = timezone.now()

    sku = Sku.objects.filter(code=FLASH_SKU).first()
    if sku is None:
        stdout.write(f"  orders: {FLASH_SKU} missing; the running flash session skipped")
    elif not FlashSession.objects.filter(name=RUNNING_NAME).exists():
        _gather_flash_stock(sku, FLASH_UNITS, stdout)
        # Started an hour ago, runs a week (the longest a session may run).
        starts_at = now.replace(second=0, microsecond=0) - timedelta(hours=1)
        session = _session(
            creator=creator,
            approver=approver,
            name=RUNNING_NAME,
            starts_at=starts_at,
            ends_at=starts_at + timedelta(days=7),
            items=[
                {
                    "sku": sku,
                    "flash_price": flash_price_below_lowest(sku, starts_at=starts_at),
                    "quota": FLASH_UNITS,
                    "per_member_limit": 1,
                }
            ],
        )
        flash.flash_session_open(actor=system_actor(), session=session, now=now)
        stdout.write(f"  orders: flash session {RUNNING_NAME} running ({FLASH_UNITS} units)")

    if not FlashSession.objects.filter(name=UPCOMING_NAME).exists():
        skus = _upcoming_skus(2)
        if len(skus) < 2:
            stdout.write("  orders: not enough on-shelf SKUs; the upcoming flash session skipped")
            return
        tomorrow = timezone.localtime(now).replace(hour=10, minute=0, second=0, microsecond=0)
        starts_at = tomorrow + timedelta(days=1)
        _session(
            creator=creator,
            approver=approver,
            name=UPCOMING_NAME,
            starts_at=starts_at,
            ends_at=starts_at + timedelta(hours=2),
            items=[
                {
                    "sku": item,
                    "flash_price": flash_price_below_lowest(item, starts_at=starts_at),
                    "quota": UPCOMING_UNITS,
                    "per_member_limit": 1,
                }
                for item in skus
            ],
        )
        stdout.write(f"  orders: flash session {UPCOMING_NAME} approved")


def running_session():
    """The demo's running session (tests and the storefront walk-through read it)."""
    return FlashSession.objects.filter(name=RUNNING_NAME, status=ApprovalStatus.RUNNING).first()
