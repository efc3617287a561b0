"""Demo data of the presale (预售, docs/PRESALE.md), written through the services.

* ``DEMO-PRESALE-01``: a presale rice cooker on shelf — 699.00, deposit 100.00 a unit,
  the final payment from three days on for two days, shipped a week on;
* one demo member's order of it with the deposit paid (``deposit_paid``): the final
  payment opens in three days.

Idempotent: an existing product or order is left as it is.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from mall.core.actors import system_actor

from .models import Order

PRESALE_CODE = "DEMO-PRESALE-01"
PRESALE_NOTE = "预售演示订单"
DEPOSIT = Decimal("100.00")


def _product(stdout):
    from catalog import demo as catalog_demo
    from catalog.models import Category, Product

    existing = Product.objects.filter(code=PRESALE_CODE).first()
    if existing is not None:
        return existing
    users = get_user_model().objects.in_bulk(["product_ops", "ops_lead"], field_name="username")
    leaf = Category.objects.filter(code="rice-cooker").first()
    if len(users) < 2 or leaf is None:
        stdout.write("  presale: catalog or rbac demo missing; skipped")
        return None
    product = catalog_demo._product(
        users["product_ops"],
        code=PRESALE_CODE,
        title="美的 IH 电饭煲 新品预售 P01",
        leaf=leaf,
        price=699,
        spec=("容量", ["4L", "5L"]),
        virtual=False,
    )
    now = timezone.now()
    starts = now + timedelta(days=3)
    Product.objects.filter(pk=product.pk).update(
        is_presale=True,
        presale_deposit_amount=DEPOSIT,
        presale_final_payment_starts_at=starts,
        presale_final_payment_ends_at=starts + timedelta(days=2),
        presale_ship_date=timezone.localdate(starts + timedelta(days=4)),
    )
    product.refresh_from_db()
    product = catalog_demo._walk(
        product, author=users["product_ops"], lead=users["ops_lead"], to=Product.Status.ON_SHELF
    )
    from dispatch.demo import stock_new_demo_skus

    stock_new_demo_skus(stdout=stdout)
    return product


def _pay_deposit(order: Order) -> None:
    """Pay the deposit through the sandbox channel when it is on (else recorded)."""
    from payments import demo as payments_demo

    from .services.payment import order_amount_due, order_mark_paid

    due = order_amount_due(order=order)
    if payments_demo._sandbox_on():
        from payments.services.transactions import payment_start

        answer = payment_start(actor=order.member, order=order, channel="sandbox", scene="app")
        payments_demo._notify(answer["transaction_no"], due)
        return
    order_mark_paid(
        actor=system_actor(),
        order=order,
        amount=due,
        payment_no=f"PT-DEMO-{order.order_no}",
        channel="sandbox",
    )


def seed_presale(stdout) -> None:
    from members.models import Member

    from .services.placement import order_place

    with transaction.atomic():
        product = _product(stdout)
    if product is None:
        return
    if Order.objects.filter(buyer_note=PRESALE_NOTE).exists():
        return
    sku = product.skus.order_by("id").first()
    for member in Member.objects.filter(phone_hash__isnull=False).order_by("id")[:20]:
        address = member.addresses.filter(is_default=True).first()
        if address is not None:
            break
    else:
        stdout.write("  presale: no demo member with an address; order skipped")
        return
    with transaction.atomic():
        order = order_place(
            actor=member,
            address_id=address.pk,
            lines=[{"sku": sku.code, "quantity": 1}],
            buyer_note=PRESALE_NOTE,
        )
        _pay_deposit(order)
    order.refresh_from_db()
    stdout.write(
        f"  presale: {PRESALE_CODE} on shelf; order {order.order_no} {order.status} "
        f"(deposit {order.deposit_amount:.2f} of {order.total_amount:.2f})"
    )
