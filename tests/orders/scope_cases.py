"""Orders models in the RBAC scope matrix (tests/rbac/test_scope_matrix.py).

An order belongs to the sales region of its delivery province and is granted by its
sales channel (``orders.work_channel``): the matrix's subject holds the grant on one
channel (``make_grant_target``); each row is an order in a province of the row's
region, sold through the channel it is given. Modification requests and virtual
codes follow their order. The API entry points are filled here; the admin ones are
added with the orders admin.
"""

from __future__ import annotations

import itertools
from decimal import Decimal

from tests.rbac.matrix_cases import ScopeCase

_numbers = itertools.count(1)
_phones = itertools.count(13600000000)


def _system():
    from mall.core.actors import system_actor

    return system_actor()


def _make_channel():
    from orders.models import SalesChannel

    number = next(_numbers)
    return SalesChannel.objects.create(
        code=f"m-ch-{number}", name=f"矩阵渠道{number}", kind=SalesChannel.Kind.TMALL
    )


def _sku(*, virtual: bool = False):
    from django.contrib.auth import get_user_model

    from catalog import services as catalog_services
    from catalog.models import Category, Product

    system = _system()
    owner, _created = get_user_model().objects.get_or_create(
        username="orders_matrix_owner", defaults={"is_staff": True}
    )
    leaf = Category.objects.filter(code="om-leaf").first()
    if leaf is None:
        root = catalog_services.category_seed(actor=system, code="om-root", name="订单矩阵")
        middle = catalog_services.category_seed(
            actor=system, code="om-mid", name="订单矩阵二", parent=root
        )
        leaf = catalog_services.category_seed(
            actor=system, code="om-leaf", name="订单矩阵三", parent=middle
        )
    number = next(_numbers)
    product = catalog_services.product_create(
        actor=system,
        code=f"OMP{number:05d}",
        title=f"订单矩阵商品 {number}",
        category=leaf,
        owner=owner,
        skus=[{"code": f"OM-SKU-{number:05d}", "price_amount": "9.00"}],
    )
    if virtual:
        Product.objects.filter(pk=product.pk).update(is_virtual=True)
    return product.skus.get()


def _order(region, channel, *, status="pending_review", virtual=False):
    from django.utils import timezone

    from members.services import member_register
    from orders.models import Order, OrderLine
    from orders.numbers import new_number
    from rbac.models import Province

    member = member_register(actor=None, phone=str(next(_phones)), password="mall-demo-2026")
    province = Province.objects.filter(region=region).order_by("code").first()
    sku = _sku(virtual=virtual)
    order = Order(
        order_no=new_number("DD"),
        member=member,
        channel=channel,
        region=region,
        province=province,
        status=status,
        city="市",
        goods_amount=Decimal("9.00"),
        total_amount=Decimal("9.00"),
        paid_amount=Decimal("9.00"),
        paid_at=timezone.now(),
        is_virtual=virtual,
    )
    order.recipient = "矩阵"
    order.phone = "13900000000"
    order.detail = "矩阵路 1 号"
    order.save()
    line = OrderLine.objects.create(
        order=order,
        sku=sku,
        sku_code=sku.code,
        product_id_snapshot=sku.product_id,
        product_title=sku.product.title,
        category_id_snapshot=sku.product.category_id,
        is_virtual=virtual,
        list_price_amount=Decimal("9.00"),
        unit_price_amount=Decimal("9.00"),
        quantity=1,
        line_amount=Decimal("9.00"),
        payable_amount=Decimal("9.00"),
    )
    return order, line


def _make_order(*, region, department, owner, grant_target):
    return _order(region, grant_target)[0]


def _make_line(*, region, department, owner, grant_target):
    return _order(region, grant_target)[1]


def _make_modification(*, region, department, owner, grant_target):
    from orders.models import ModificationRequest

    order, _line = _order(region, grant_target)
    return ModificationRequest.objects.create(
        order=order, kind=ModificationRequest.Kind.NOTE, requested_by_label="matrix"
    )


def _make_virtual_code(*, region, department, owner, grant_target):
    from orders.models import VirtualCode
    from orders.services.virtual_goods import virtual_codes_issue

    order, _line = _order(region, grant_target, status="approved", virtual=True)
    virtual_codes_issue(actor=_system(), order=order)
    return VirtualCode.objects.get(order=order)


def _frozen(row) -> bool:
    row.refresh_from_db()
    return row.is_frozen


CASES: list[ScopeCase] = [
    ScopeCase(
        id="orders.order",
        model="orders.Order",
        make_row=_make_order,
        make_grant_target=_make_channel,
        permissions=(
            "orders.view_order",
            "orders.freeze_order",
            "orders.export_order",
        ),
        admin_changelist="admin:orders_order_changelist",  # adminui
        admin_change="admin:orders_order_change",  # adminui
        api_list="orders-order-list",
        api_detail="orders-order-detail",
        api_lookup=lambda row: {"order_no": row.order_no},
        api_key=lambda item: item["order_no"],
        row_key=lambda row: row.order_no,
        api_action="orders-order-freeze",
        api_action_body={"reason": "矩阵"},
        was_touched=_frozen,
        export="orders-order-export",
        export_key_column="order_no",
    ),
    ScopeCase(
        id="orders.order_line",
        model="orders.OrderLine",
        make_row=_make_line,
        make_grant_target=_make_channel,
        permissions=("orders.view_order", "orders.export_order"),
        api_list="orders-line-list",
        export="orders-line-export",
        export_key_column="order_no",
        api_key=lambda item: item["order_no"],
        row_key=lambda row: row.order.order_no,
    ),
    ScopeCase(
        id="orders.modification_request",
        model="orders.ModificationRequest",
        make_row=_make_modification,
        make_grant_target=_make_channel,
        permissions=("orders.view_modificationrequest", "orders.modify_order"),
    ),
    ScopeCase(
        id="orders.virtual_code",
        model="orders.VirtualCode",
        make_row=_make_virtual_code,
        make_grant_target=_make_channel,
        permissions=("orders.view_virtualcode", "orders.reveal_virtual_code"),
    ),
]
