# ruff: noqa: F811 - fixtures imported from other conftests are parameters here
"""Fixtures of the orders tests: catalog, warehouses with stock, members, and orders.

``make_order`` builds an order *in a given status* for tests of what happens next
(review, shipping, cancellation, after-sales …): it writes the rows a real
placement writes (order, lines with prices, a live dispatch allocation reserving
stock), then the facts of the later statuses (paid amount, shipped shipments) —
without going through the services under test. Tests of placement itself use the
placement service or the API.
"""

from __future__ import annotations

import itertools
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from tests.dispatch.conftest import (  # noqa: F401 - fixtures re-used here
    actor,
    category,
    clerk,
    make_sku,
    product_owner,
    province,
    put_stock,
    warehouses,
)
from tests.members.conftest import admin_client_for, make_member, member_client  # noqa: F401

PASSWORD = "mall-demo-2026"
_numbers = itertools.count(1)


@pytest.fixture
def stocked_sku(make_sku, put_stock, warehouses):
    """A SKU (99.00) with ``quantity`` units in WH-SH (and optionally elsewhere)."""

    def make(quantity: int = 100, *, code: str | None = None, where=("WH-SH",), price=None):
        sku = make_sku(code)
        if price is not None:
            from catalog.models import Sku

            Sku.objects.filter(pk=sku.pk).update(price_amount=Decimal(price))
            sku.refresh_from_db()
        for warehouse in where:
            put_stock(warehouses[warehouse], sku, quantity)
        return sku

    return make


@pytest.fixture
def own_store(db):
    from orders.models import SalesChannel

    channel, _created = SalesChannel.objects.get_or_create(
        code="own_store", defaults={"name": "自营商城", "kind": SalesChannel.Kind.OWN_STORE}
    )
    return channel


@pytest.fixture
def make_channel(db):
    from orders.models import SalesChannel

    def make(code: str | None = None, *, kind=SalesChannel.Kind.TMALL, operator=None):
        number = next(_numbers)
        return SalesChannel.objects.create(
            code=code or f"ch-{number}",
            name=f"渠道{number}",
            kind=kind,
            operator=operator,
        )

    return make


STATUS_ORDER = [
    "pending_payment",
    "paid",
    "pending_review",
    "approved",
    "allocated",
    "shipped",
    "delivered",
    "completed",
]


@pytest.fixture
def make_order(actor, own_store, province):
    """Build an order in ``status`` (see the module docstring)."""
    from dispatch.models import Allocation
    from dispatch.services import allocate, shipment_ship
    from orders.models import Order, OrderLine
    from orders.numbers import new_number

    def make(
        member,
        lines,
        *,
        status: str = "pending_payment",
        province_name: str = "上海",
        channel=None,
        allocate_stock: bool = True,
        **fields,
    ) -> Order:
        where = province(province_name)
        now = timezone.now()
        reached = STATUS_ORDER.index(status) if status in STATUS_ORDER else 0
        goods = sum((sku.price_amount * quantity for sku, quantity in lines), Decimal("0.00"))
        paid = reached >= STATUS_ORDER.index("paid")
        order = Order(
            order_no=new_number("DD"),
            member=member,
            channel=channel or own_store,
            region=where.region,
            province=where,
            status=status,
            city="上海市",
            district="浦东新区",
            goods_amount=goods,
            total_amount=goods,
            paid_amount=goods if paid else Decimal("0.00"),
            paid_at=now if paid else None,
            expires_at=now + timedelta(minutes=30),
            is_virtual=all(sku.product.is_virtual for sku, _q in lines),
            **fields,
        )
        order.recipient = "张三"
        order.phone = "13912345678"
        order.detail = "幸福路 1 号"
        order.save()
        OrderLine.objects.bulk_create(
            OrderLine(
                order=order,
                sku=sku,
                sku_code=sku.code,
                product_id_snapshot=sku.product_id,
                product_title=sku.product.title,
                category_id_snapshot=sku.product.category_id,
                spec=sku.spec,
                is_virtual=sku.product.is_virtual,
                weight_grams=sku.weight_grams,
                list_price_amount=sku.price_amount,
                unit_price_amount=sku.price_amount,
                quantity=quantity,
                line_amount=sku.price_amount * quantity,
                payable_amount=sku.price_amount * quantity,
            )
            for sku, quantity in lines
        )
        physical = [(sku.code, q) for sku, q in lines if not sku.product.is_virtual]
        if allocate_stock and physical and status not in ("cancelled", "closed"):
            allocation = allocate(
                actor=actor, order_no=order.order_no, province=where, lines=physical
            )
            if reached >= STATUS_ORDER.index("shipped"):
                for shipment in allocation.shipments.all():
                    shipment_ship(
                        actor=actor, shipment=shipment, waybill_no=f"SF{next(_numbers):010d}"
                    )
                Order.objects.filter(pk=order.pk).update(shipped_at=now)
            assert Allocation.objects.filter(order_no=order.order_no).exists()
        order.refresh_from_db()
        return order

    return make
