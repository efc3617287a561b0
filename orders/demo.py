"""Demo data of the orders app (DESIGN.md §7), written through the services.

* sales channels: the own store plus a Tmall, JD, Pinduoduo and Douyin shop;
* the promotion calendar: 双11 (past) and 双12 (coming);
* at least 200 orders of the demo members across every region, channel and status,
  each placed, paid, reviewed, shipped … through the same services the storefront,
  the admin and the jobs use (so every order has its timeline, stock movements, SLA
  clocks and audit entries); their times are spread over the last 30 days;
* after-sales cases in every state, reviews (some negative, one whose reply is
  overdue), virtual goods with issued codes;
* the demo roles get their orders permissions (least privilege, below).

``DEMO-FLASH-001`` is never ordered here: its 10 units stay sellable for the flash
sale test. Idempotent: when the demo orders exist nothing is added.
"""

from __future__ import annotations

import random
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from mall.core.actors import system_actor
from mall.core.hooks import providers

from . import permissions as perms
from .models import AfterSale, Order, OrderEvent, PromotionPeriod, SalesChannel

DEMO_ORDER_COUNT = 210
FLASH_SKU = "DEMO-FLASH-001"
DEMO_NOTE = "演示订单"

_VIEW = [
    perms.VIEW_ORDER,
    "orders.view_orderline",
    "orders.view_orderevent",
    "orders.view_modificationrequest",
    perms.VIEW_AFTER_SALE,
    "orders.view_aftersaleline",
    "orders.view_aftersaleevent",
    perms.VIEW_REVIEW,
    perms.VIEW_CHANNEL,
    perms.VIEW_PROMOTION_PERIOD,
]
_ORDER_OPS = [
    *_VIEW,
    perms.REVIEW_ORDER,
    perms.WAREHOUSE_APPROVE_ORDER,
    perms.SHIP_ORDER,
    perms.CANCEL_ORDER,
    perms.MODIFY_ORDER,
    perms.EXPORT_ORDER,
    "orders.view_virtualcode",
    perms.REPLY_REVIEW,
]
# Least privilege: regional order ops review, ship and cancel in their region;
# customer service handles after-sales, changes and reviews but ships nothing;
# finance executes refunds and reads channel balances; the ops lead is the second
# reviewer of large orders, runs channels and the promotion calendar, and may freeze.
ROLE_PERMISSIONS = {
    "order_ops_east": _ORDER_OPS,
    "order_ops_north": _ORDER_OPS,
    "customer_service": [
        *_VIEW,
        perms.CANCEL_ORDER,
        perms.MODIFY_ORDER,
        perms.REVIEW_AFTER_SALE,
        perms.RECEIVE_AFTER_SALE,
        perms.REPLY_REVIEW,
        perms.HIDE_REVIEW,
        "orders.view_virtualcode",
    ],
    "finance": [
        *_VIEW,
        perms.REFUND_ORDER,
        perms.REFUND_AFTER_SALE,
        perms.EXPORT_ORDER,
        "orders.view_channelledgerentry",
        perms.ADJUST_CHANNEL_BALANCE,
    ],
    "ops_lead": [
        *_ORDER_OPS,
        perms.APPROVE_ORDER,
        perms.FREEZE_ORDER,
        perms.VIEW_ORDER_PII,
        perms.ADD_CHANNEL,
        perms.CHANGE_CHANNEL,
        "orders.view_channelledgerentry",
        "orders.add_promotionperiod",
        perms.CHANGE_PROMOTION_PERIOD,
        "orders.delete_promotionperiod",
        perms.VIEW_FREIGHT,
        perms.CHANGE_FREIGHT,
        perms.REVIEW_AFTER_SALE,
        perms.HIDE_REVIEW,
    ],
    "product_ops": [perms.VIEW_REVIEW, perms.REPLY_REVIEW],
}

CHANNELS = [
    # code, name, kind, storefront user id, redeem domain
    ("tmall", "天猫旗舰店", SalesChannel.Kind.TMALL, "tm-mall-2026", "tmall.demo-mall.cn"),
    ("jd", "京东自营店", SalesChannel.Kind.JD, "jd-mall-2026", "jd.demo-mall.cn"),
    ("pdd", "拼多多官方店", SalesChannel.Kind.PINDUODUO, "pdd-mall-2026", ""),
    ("douyin", "抖音小店", SalesChannel.Kind.DOUYIN, "dy-mall-2026", ""),
]

# target status → how many demo orders end there (at least 200 in all)
PLAN = [
    ("pending_payment", 14),
    ("cancelled_unpaid", 14),
    ("pending_review", 18),
    ("held", 4),
    ("approved", 18),
    ("allocated", 14),
    ("shipped", 30),
    ("delivered", 14),
    ("completed", 62),
    ("closed", 2),
    ("cancelled_paid", 10),
    ("virtual", 10),
]
assert sum(count for _status, count in PLAN) == DEMO_ORDER_COUNT


def _grant_roles(stdout) -> None:
    try:
        from rbac.demo import grant_role_permissions
    except ImportError:  # pragma: no cover - rbac demo not there
        stdout.write("  orders: rbac.demo.grant_role_permissions missing; role grants skipped")
        return
    for role, permissions in ROLE_PERMISSIONS.items():
        grant_role_permissions(role, permissions)


def _channels(actor) -> list[SalesChannel]:
    from .services.channels import channel_create

    channels = [SalesChannel.objects.get(code="own_store")]
    for code, name, kind, user_id, domain in CHANNELS:
        channel = SalesChannel.objects.filter(code=code).first() or channel_create(
            actor=actor,
            code=code,
            name=name,
            kind=kind,
            storefront_user_id=user_id,
            redeem_domain=domain,
        )
        channels.append(channel)
    return channels


def _calendar(actor) -> None:
    from .services.shipping import promotion_period_save

    if PromotionPeriod.objects.exists():
        return
    year = timezone.localdate().year
    tz = timezone.get_current_timezone()
    for name, month, day, days in (("双11", 11, 1, 12), ("双12", 12, 10, 4)):
        starts = timezone.datetime(year, month, day, tzinfo=tz)
        promotion_period_save(
            actor=actor,
            name=f"{year} {name}",
            starts_at=starts,
            ends_at=starts + timedelta(days=days),
        )


VIRTUAL_PRODUCTS = [
    # code, title, leaf, price, spec
    ("DEMO-V01", "爱奇艺 黄金会员月卡 V01", "gift-card", 25, ("时长", ["1个月", "3个月"])),
    ("DEMO-V02", "中国电信 话费充值 V02", "phone-credit", 50, ("面值", ["50元", "100元"])),
]


def _virtual_products(staff, stdout) -> None:
    """Two virtual products on shelf (card codes are issued when their orders ship)."""
    from catalog.demo import demo_product_on_shelf

    author = get_user_model().objects.filter(username="product_ops").first()
    lead = staff.get("ops_lead")
    if author is None or lead is None:
        return
    for code, title, leaf, price, spec in VIRTUAL_PRODUCTS:
        demo_product_on_shelf(
            author=author,
            lead=lead,
            code=code,
            title=title,
            leaf_code=leaf,
            price=price,
            spec=spec,
            virtual=True,
        )
    from dispatch.demo import stock_new_demo_skus

    stock_new_demo_skus(stdout=stdout)  # every demo SKU has stock (a card pool here)


def _skus():
    from catalog.models import Product, Sku

    # the flash SKU keeps its 10 units for the flash session; a presale sells alone
    on_shelf = (
        Sku.objects.filter(product__status=Product.Status.ON_SHELF, is_available=True)
        .exclude(code=FLASH_SKU)
        .exclude(product__is_presale=True)
    )
    physical = list(
        on_shelf.filter(product__is_virtual=False).select_related("product").order_by("id")
    )
    virtual = list(
        on_shelf.filter(product__is_virtual=True).select_related("product").order_by("id")
    )
    return physical, virtual


def _staff():
    users = get_user_model().objects.in_bulk(
        ["admin", "ops_east", "ops_north", "cs_agent", "finance", "ops_lead"], field_name="username"
    )
    return users


def _reviewer(order: Order, staff):
    region = order.region.code
    if region == "east" and "ops_east" in staff:
        return staff["ops_east"]
    if region == "north" and "ops_north" in staff:
        return staff["ops_north"]
    return staff["admin"]


DEMO_PAY_HOOK = "orders.demo_pay"


def _advance(order: Order, target: str, staff, rng: random.Random) -> Order:
    """Walk ``order`` (just placed) through the services to ``target``."""
    from .services.cancellation import order_cancel
    from .services.payment import order_mark_paid
    from .services.review import order_approve, order_reject, order_warehouse_approve
    from .services.shipping import order_confirm_receipt, order_ship

    system = system_actor()
    if target == "pending_payment":
        return order
    if target == "cancelled_unpaid":
        return order_cancel(actor=order.member, order=order, reason="不想要了")
    payers = providers(DEMO_PAY_HOOK)
    if payers:  # the payments app pays through a channel's real path (signed callback)
        payers[0](order=order, rng=rng)
        order.refresh_from_db()
    else:
        order = order_mark_paid(
            actor=system,
            order=order,
            amount=order.total_amount,
            payment_no=f"PT-DEMO-{order.order_no}",
            channel="sandbox",
        )
    if target == "cancelled_paid":
        return order_cancel(actor=order.member, order=order, reason="拍错了，重新下单")
    if target == "pending_review":
        return order
    if target == "held":
        return order_reject(
            actor=_reviewer(order, staff), order=order, reason="收货地址不完整，需联系买家确认"
        )
    reviewer = _reviewer(order, staff)
    order = order_approve(actor=reviewer, order=order)
    if order.status == Order.Status.PENDING_REVIEW:  # a large order: the second reviewer
        order = order_approve(actor=staff.get("ops_lead") or staff["admin"], order=order)
    if target == "approved" or (order.is_virtual and order.status != Order.Status.APPROVED):
        return order
    if not order.is_virtual:
        order = order_warehouse_approve(actor=staff["admin"], order=order)
        if target == "allocated":
            return order
        from dispatch.selectors import shipments_by_order

        shipments = shipments_by_order(actor=staff["admin"], order_nos=[order.order_no]).get(
            order.order_no, []
        )
        order = order_ship(
            actor=staff["admin"],
            order=order,
            waybills={s.pk: (f"SF{rng.randrange(10**11, 10**12)}", None) for s in shipments},
        )
    else:
        order = order_ship(actor=staff["admin"], order=order, waybills={})
    if target in ("shipped", "virtual"):
        return order
    if target == "closed":  # lost in transit: refunded in full before receipt
        return _refund_everything(order, staff)
    if target == "delivered":
        from dispatch.models import Shipment
        from dispatch.services import tracking_event_record

        for shipment in Shipment.objects.filter(order_no=order.order_no, status="shipped"):
            tracking_event_record(
                actor=staff["admin"],
                shipment=shipment,
                occurred_at=timezone.now(),
                description="已签收，签收人：本人",
                location=order.city,
                is_delivered=True,
            )
        order.refresh_from_db()
        return order
    return order_confirm_receipt(actor=order.member, order=order)


def _refund_everything(order: Order, staff) -> Order:
    """A shipped order refunded in full (parcel lost): the refund executed, the order closed."""
    from .services.after_sales import (
        after_sale_approve,
        after_sale_refund_execute,
        after_sale_request,
    )

    case = after_sale_request(
        actor=order.member,
        order=order,
        kind=AfterSale.Kind.REFUND_ONLY,
        lines=[(line, line.quantity) for line in order.lines.all()],
        reason=AfterSale.Reason.NOT_RECEIVED,
        description="物流显示丢件，全额退款",
    )
    case = after_sale_approve(actor=staff.get("cs_agent") or staff["admin"], after_sale=case)
    after_sale_refund_execute(actor=staff.get("finance") or staff["admin"], after_sale=case)
    order.refresh_from_db()
    return order


def _backdate(order: Order, days_ago: float) -> None:
    """Spread the demo over the last 30 days (times only; the services set the statuses)."""
    shift = timedelta(days=days_ago)
    fields = {
        name: getattr(order, name) - shift
        for name in (
            "created_at",
            "expires_at",
            "paid_at",
            "reviewed_at",
            "allocated_at",
            "shipped_at",
            "delivered_at",
            "completed_at",
            "cancelled_at",
            "closed_at",
        )
        if getattr(order, name) is not None
    }
    if order.status != Order.Status.PENDING_PAYMENT:
        Order.objects.filter(pk=order.pk).update(**fields)
    OrderEvent.objects.filter(order=order).update(at=F("at") - shift)


def _after_sales_and_reviews(orders: list[Order], staff, rng: random.Random) -> None:
    from .services.after_sales import (
        after_sale_approve,
        after_sale_dispute,
        after_sale_refund_execute,
        after_sale_reject,
        after_sale_request,
    )
    from .services.reviews import review_create, review_reply

    completed = [o for o in orders if o.status == Order.Status.COMPLETED]
    texts = {
        5: "质量很好，物流也快，推荐！",
        4: "不错，和描述一致。",
        3: "一般，包装有点简陋。",
        2: "做工一般，和图片有差距。",
        1: "收到就坏了，很失望。",
    }
    negative_overdue = None
    for index, order in enumerate(completed[:40]):
        line = order.lines.first()
        rating = [5, 5, 4, 5, 3, 2, 5, 1, 4, 5][index % 10]
        review = review_create(
            actor=order.member, order=order, line=line, rating=rating, text=texts[rating]
        )
        if rating <= 2:
            if negative_overdue is None:
                negative_overdue = review  # left unanswered, its clock overdue (below)
            else:
                review_reply(
                    actor=staff.get("cs_agent") or staff["admin"],
                    review=review,
                    text="非常抱歉给您带来不便，客服已联系您安排退换。",
                )
    if negative_overdue is not None:
        from ops.models import SlaClock

        started = timezone.now() - timedelta(hours=3)
        SlaClock.objects.filter(kind="review.negative_reply", status="running").filter(
            subject_id=str(negative_overdue.pk)
        ).update(started_at=started, due_at=started + timedelta(hours=2))
    cs = staff.get("cs_agent") or staff["admin"]
    finance = staff.get("finance") or staff["admin"]
    plans = [
        "requested",
        "requested",
        "approved",
        "refunded",
        "rejected",
        "disputed",
        "returning",
        "refunded",
    ]
    for order, plan in zip(completed[40:48], plans, strict=False):
        line = order.lines.first()
        case = after_sale_request(
            actor=order.member,
            order=order,
            kind=AfterSale.Kind.RETURN_REFUND
            if plan == "returning"
            else AfterSale.Kind.REFUND_ONLY,
            lines=[(line, 1)],
            reason=AfterSale.Reason.QUALITY,
            description="商品有划痕",
        )
        if plan in ("approved", "refunded", "returning"):
            case = after_sale_approve(actor=cs, after_sale=case)
        if plan == "refunded":
            after_sale_refund_execute(actor=finance, after_sale=case)
        if plan in ("rejected", "disputed"):
            case = after_sale_reject(actor=cs, after_sale=case, reason="图片无法证明质量问题")
        if plan == "disputed":
            after_sale_dispute(actor=order.member, after_sale=case, reason="我有开箱视频")


def seed(*, stdout) -> None:
    """Orders, then promotions (sessions and a campaign; the presale follows payments)."""
    from .demo_campaigns import seed_campaigns
    from .demo_flash import seed_flash

    _seed_orders(stdout=stdout)
    seed_flash(stdout)
    seed_campaigns(stdout)


def _seed_orders(*, stdout) -> None:
    from members.models import Member

    _grant_roles(stdout)
    staff = _staff()
    if "admin" not in staff:
        stdout.write("  orders: the admin user is missing; skipped")
        return
    with transaction.atomic():
        channels = _channels(staff["admin"])
        _calendar(staff["admin"])
        _virtual_products(staff, stdout)
    if Order.objects.filter(buyer_note=DEMO_NOTE).count() >= DEMO_ORDER_COUNT:
        return
    physical, virtual = _skus()
    members = list(Member.objects.filter(phone_hash__isnull=False).order_by("id")[:100])
    if not physical or not members:
        stdout.write("  orders: catalog or members demo missing; orders skipped")
        return
    from .services.placement import order_place

    rng = random.Random(2026)
    made: list[Order] = []
    number = 0
    for target, count in PLAN:
        for _ in range(count):
            member = members[number % len(members)]
            address = member.addresses.filter(is_default=True).first()
            number += 1
            if address is None:
                continue
            pool = virtual if target == "virtual" and virtual else physical
            chosen = rng.sample(
                pool, k=min(len(pool), 1 if target == "virtual" else rng.randint(1, 3))
            )
            with transaction.atomic():
                order = order_place(
                    actor=member,
                    address_id=address.pk,
                    lines=[{"sku": sku.code, "quantity": rng.randint(1, 2)} for sku in chosen],
                    channel=channels[number % len(channels)].code,
                    buyer_note=DEMO_NOTE,
                )
                order = _advance(order, target, staff, rng)
            made.append(order)
    with transaction.atomic():
        _after_sales_and_reviews(made, staff, rng)
    with transaction.atomic():
        for order in Order.objects.filter(pk__in=[o.pk for o in made]).order_by("id"):
            if order.status != Order.Status.PENDING_PAYMENT:
                # a fifth of them today (the workbench's "today" tiles), the rest over 30 days
                today = rng.random() < 0.2
                _backdate(order, days_ago=rng.uniform(0, 0.2) if today else rng.uniform(1, 30))
    stdout.write(
        f"  orders: {len(made)} demo orders, {AfterSale.objects.count()} after-sales cases"
    )
