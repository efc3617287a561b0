"""After-sales cases and reviews in the RBAC scope matrix (tests/rbac/test_scope_matrix.py).

Both belong to the sales region of their order (its delivery province) and are
granted by the order's sales channel (object grant ``orders.work_channel``). Each
matrix row is a completed order in a province of the row's region through the
row's channel, with one after-sales request (waiting for review) or one review on it.
Rows are written directly (the order as the test factory writes it) and the case or
review through its service by the member.
"""

from __future__ import annotations

import itertools
from decimal import Decimal

from django.utils import timezone

from tests.rbac.matrix_cases import ScopeCase

_numbers = itertools.count(1)


def _sku():
    from catalog import services
    from catalog.models import Category, Sku
    from mall.core.actors import system_actor

    sku = Sku.objects.filter(code="AS-MATRIX-SKU").first()
    if sku is not None:
        return sku
    system = system_actor()
    leaf = Category.objects.filter(code="as-matrix-leaf").first()
    if leaf is None:
        root = services.category_seed(actor=system, code="as-matrix-root", name="售后矩阵一级")
        middle = services.category_seed(
            actor=system, code="as-matrix-mid", name="售后矩阵二级", parent=root
        )
        leaf = services.category_seed(
            actor=system, code="as-matrix-leaf", name="售后矩阵三级", parent=middle
        )
    from django.contrib.auth import get_user_model

    owner, _created = get_user_model().objects.get_or_create(
        username="as_matrix_owner", defaults={"is_staff": True}
    )
    product = services.product_create(
        actor=system,
        owner=owner,
        code="AS-MATRIX",
        title="售后矩阵商品",
        category=leaf,
        skus=[{"code": "AS-MATRIX-SKU", "price_amount": "99.00"}],
    )
    return product.skus.get()


def _channel():
    from orders.models import SalesChannel

    channel, _created = SalesChannel.objects.get_or_create(
        code="own_store", defaults={"name": "自营商城", "kind": SalesChannel.Kind.OWN_STORE}
    )
    return channel


def _make_channel():
    from orders.models import SalesChannel

    number = next(_numbers)
    return SalesChannel.objects.create(
        code=f"as-ch-{number}", name=f"售后渠道{number}", kind=SalesChannel.Kind.TMALL
    )


def _order(region, channel):
    from members.services import member_register
    from orders.models import Order, OrderLine
    from orders.numbers import new_number
    from rbac.models import Province

    sku = _sku()
    member = member_register(
        actor=None, phone=str(13600000000 + next(_numbers)), password="mall-demo-2026"
    )
    now = timezone.now()
    order = Order(
        order_no=new_number("DD"),
        member=member,
        channel=channel or _channel(),
        region=region,
        province=Province.objects.filter(region=region).order_by("code").first(),
        status=Order.Status.COMPLETED,
        city="市区",
        goods_amount=Decimal("99.00"),
        total_amount=Decimal("99.00"),
        paid_amount=Decimal("99.00"),
        paid_at=now,
        delivered_at=now,
        completed_at=now,
    )
    order.recipient = "张三"
    order.phone = "13912345678"
    order.detail = "人民路 1 号"
    order.save(force_insert=True)
    line = OrderLine.objects.create(
        order=order,
        sku=sku,
        sku_code=sku.code,
        product_id_snapshot=sku.product_id,
        product_title=sku.product.title,
        category_id_snapshot=sku.product.category_id,
        list_price_amount=Decimal("99.00"),
        unit_price_amount=Decimal("99.00"),
        quantity=1,
        line_amount=Decimal("99.00"),
        payable_amount=Decimal("99.00"),
    )
    return order, line


def _make_case(*, region, department, owner, grant_target):
    from orders.services.after_sales import after_sale_request

    order, line = _order(region, grant_target)
    return after_sale_request(
        actor=order.member,
        order=order,
        kind="refund_only",
        lines=[(line, 1)],
        reason="quality",
    )


def _make_review(*, region, department, owner, grant_target):
    from orders.services.reviews import review_create

    order, line = _order(region, grant_target)
    return review_create(actor=order.member, order=order, line=line, rating=2, text="一般")


def _approved(row) -> bool:
    row.refresh_from_db()
    return row.status != "requested"


def _answered(row) -> bool:
    row.refresh_from_db()
    return bool(row.reply_text)


CASES = [
    ScopeCase(
        id="orders.after_sale",
        model="orders.AfterSale",
        make_row=_make_case,
        make_grant_target=_make_channel,
        permissions=(
            "orders.view_aftersale",
            "orders.review_aftersale",
        ),
        admin_changelist="admin:orders_aftersale_changelist",
        admin_change="admin:orders_aftersale_change",
        admin_action="approve_selected",
        was_touched=_approved,
        api_list="after-sale-list",
        api_detail="after-sale-detail",
        api_action="after-sale-approve",
        api_action_body={},
    ),
    ScopeCase(
        id="orders.review",
        model="orders.Review",
        make_row=_make_review,
        make_grant_target=_make_channel,
        permissions=("orders.view_review", "orders.reply_review"),
        admin_changelist="admin:orders_review_changelist",
        admin_change="admin:orders_review_change",
        api_list="review-list",
        api_detail="review-detail",
        api_action="review-reply",
        api_action_body={"text": "您好"},
        was_touched=_answered,
    ),
]
