"""Demo data of the risk app (DESIGN.md §7): the ``risk_officer`` login's permissions and
planted cases of each kind, written through the services.

* a brushing ring found by the real daily scan: six demo members on one phone (device
  ``DEMO-RING-…``) place and pay ten orders in the Pinduoduo shop through the same
  placement and sandbox payment paths as the orders demo; :func:`brushing_scan` opens
  its case and flags the orders;
* an open case of every kind the real-time rules produce (registration burst, SMS
  abuse, coupon farming, flash hoarding, frequent purchase, blacklisted, marked account,
  refund abuse, repeated not-received, payment mismatch — the last about the payments
  demo's amount anomaly, unless the real rule already opened it), with the figures
  and order numbers a rule would record;
* a high-risk mark, blacklist entries (a device, a delivery address), one active fund
  freeze on a ring order not shipped yet and one released.

Idempotent: every planted thing is looked up first (the ring by its orders' note, the
cases by fingerprint, the marks and freezes by reason); a second run adds nothing.

Demo roles' risk permissions (``ROLE_PERMISSIONS``):

* risk officer (风控专员, scope all): every risk screen and step — cases (take, note,
  confirm, dismiss, report), events, marks, the blacklist, fund freezes (freeze,
  release), closing abusive orders; orders read (to follow a case to its order);
* ops lead (运营负责人): reads cases, events and freezes;
* regional order ops: reads their region's cases (the scope matrix).
"""

from __future__ import annotations

import random
from datetime import timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from . import permissions as perms

ROLE_PERMISSIONS = {
    "risk_officer": [
        perms.VIEW_CASE,
        perms.ADD_CASE,
        perms.CHANGE_CASE,
        perms.DECIDE_CASE,
        perms.VIEW_EVENT,
        perms.VIEW_MARK,
        perms.ADD_MARK,
        perms.CHANGE_MARK,
        perms.VIEW_BLACKLIST,
        perms.ADD_BLACKLIST,
        perms.CHANGE_BLACKLIST,
        perms.VIEW_FREEZE,
        perms.ADD_FREEZE,
        perms.RELEASE_FREEZE,
        perms.CLOSE_ORDER,
        "orders.freeze_order",
        "orders.view_order",
        "orders.view_aftersale",
        "members.view_member",
        "payments.view_paymenttransaction",
    ],
    "ops_lead": [perms.VIEW_CASE, perms.VIEW_EVENT, perms.VIEW_FREEZE],
    "order_ops_east": [perms.VIEW_CASE],
    "order_ops_north": [perms.VIEW_CASE],
}


def seed_permissions() -> None:
    from rbac.demo import grant_role_permissions

    for role, permissions in ROLE_PERMISSIONS.items():
        grant_role_permissions(role, permissions)


RING_NOTE = "风控演示：同设备多账号"
RING_DEVICE = "DEMO-RING-7f3a9c21e5b0"
RING_ORDERS = 10
RING_MEMBERS = slice(90, 96)  # demo members 13900000090 … 13900000095
BLACKLIST_DEVICE = "DEMO-FARM-c41d88e02a7f"
BLACKLIST_ADDRESS = "广东|深圳市|宝安区|西乡街道固戍二路 88 号 驿站代收"
MARK_REASON = "退款率 84%，多次以“未收到货”申请仅退款"
FREEZE_REASON = "刷单团伙订单，冻结待核实"
RELEASED_REASON = "同设备下单，核实为家庭共用手机"


def seed(*, stdout) -> None:
    seed_permissions()
    from members.models import Member

    users = get_user_model().objects.in_bulk(["risk_officer", "admin"], field_name="username")
    officer = users.get("risk_officer") or users.get("admin")
    members = list(Member.objects.filter(phone_hash__isnull=False).order_by("id")[:100])
    if officer is None or len(members) < 100:
        stdout.write("  risk: the demo staff or members are missing; cases skipped")
        return
    officer = get_user_model().objects.get(pk=officer.pk)  # fresh permission cache
    with transaction.atomic():
        ring = _ring(members[RING_MEMBERS], stdout)
    with transaction.atomic():
        cases = _rule_cases(members, officer)
    with transaction.atomic():
        _lists_and_freezes(officer, members, ring, cases)
    from .models import BlacklistEntry, FundFreeze, RiskCase, RiskMark

    stdout.write(
        f"  risk: {RiskCase.objects.count()} cases "
        f"({RiskCase.objects.filter(status='open').count()} open), "
        f"{RiskMark.objects.count()} marks, {BlacklistEntry.objects.count()} blacklist "
        f"entries, {FundFreeze.objects.count()} fund freezes"
    )


# --- the brushing ring (found by the real scan) --------------------------------------


def _ring(members, stdout):
    """Ten orders of six members on one device in the Pinduoduo shop, placed and paid
    like every demo order; then the real daily scan finds them. Returns the ring case."""
    from catalog.models import Product, Sku
    from mall.core.actors import system_actor
    from mall.core.hooks import providers
    from orders.models import Order, SalesChannel
    from orders.services.placement import order_place

    from .models import RiskCase
    from .services.scan import brushing_scan

    placed = Order.objects.filter(buyer_note=RING_NOTE).count()
    channel = SalesChannel.objects.filter(code="pdd").first()
    payers = providers("orders.demo_pay")
    skus = list(
        Sku.objects.filter(
            product__status=Product.Status.ON_SHELF, product__is_virtual=False, is_available=True
        )
        .exclude(code="DEMO-FLASH-001")
        .exclude(product__is_presale=True)
        .order_by("id")[:4]
    )
    if placed < RING_ORDERS and channel and payers and skus:
        rng = random.Random(1616)
        for number in range(placed, RING_ORDERS):
            member = members[number % len(members)]
            address = member.addresses.filter(is_default=True).first()
            if address is None:
                continue
            order = order_place(
                actor=member,
                address_id=address.pk,
                lines=[{"sku": skus[number % len(skus)].code, "quantity": 1}],
                channel=channel.code,
                buyer_note=RING_NOTE,
                client_ip=f"117.136.{rng.randint(2, 250)}.{rng.randint(2, 250)}",  # 4G
                device_id=RING_DEVICE,
            )
            payers[0](order=order, rng=rng)
    ring = (
        RiskCase.objects.filter(kind=RiskCase.Kind.BRUSHING_RING, fingerprint__contains=RING_DEVICE)
        .order_by("pk")
        .first()
    )
    if ring is None:
        brushing_scan(actor=system_actor())
        ring = (
            RiskCase.objects.filter(
                kind=RiskCase.Kind.BRUSHING_RING, fingerprint__contains=RING_DEVICE
            )
            .order_by("pk")
            .first()
        )
    if ring is None:
        stdout.write("  risk: the demo brushing ring was not found by the scan")
    return ring


# --- one open case of every kind the rules produce -----------------------------------


def _plant(fingerprint: str, **fields):
    """Open a case through ``case_open`` unless one with ``fingerprint`` exists (any
    status: a case a person decided stays decided)."""
    from mall.core.actors import system_actor

    from .models import RiskCase
    from .services.cases import case_open

    # one planted case per rule: a case of the rule already there (planted by an earlier
    # run, or opened by the real rule) is the one shown
    found = (
        RiskCase.objects.filter(kind=fields["kind"], rule=fields["rule"]).order_by("pk").first()
        or RiskCase.objects.filter(fingerprint=fingerprint).order_by("pk").first()
    )
    if found is not None:
        return found
    case, _created = case_open(actor=system_actor(), fingerprint=fingerprint, **fields)
    return case


def _orders_of(member, *statuses):
    from orders.models import Order

    rows = Order.objects.filter(member=member).order_by("-created_at")
    if statuses:
        rows = rows.filter(status__in=statuses)
    return list(rows)


def _money(value) -> str:
    return f"{Decimal(value or 0):.2f}"


def _rule_cases(members, officer) -> dict:
    from mall.core.masking import mask_phone
    from orders.models import Order

    from .models import Point, RiskCase
    from .services.lists import mark_add

    K = RiskCase.Kind
    S = Order.Status
    cases = {}

    # registration burst: four accounts registered on one phone within the hour
    burst = members[70:74]
    cases["register"] = _plant(
        f"register_burst:member:{burst[-1].pk}",
        kind=K.REGISTRATION_BURST,
        point=Point.REGISTER,
        rule="register_burst",
        score=60,
        summary="同一设备 1 小时内注册 4 个账号（复核阈值 2）",
        member=burst[-1],
        evidence={
            "device_id": "A1B2-7C3D-REG-0091",
            "window_minutes": 60,
            "count": 4,
            "threshold": 2,
            "members": [m.pk for m in burst],
            "devices": ["A1B2-7C3D-REG-0091"],
            "ips": ["223.104.63.17"],
        },
    )
    # SMS abuse: a phone asked for nine codes in an hour
    victim = members[74]
    cases["sms"] = _plant(
        f"sms_velocity:member:{victim.pk}",
        kind=K.SMS_ABUSE,
        point=Point.SMS_CODE,
        rule="sms_velocity",
        score=80,
        summary="同一手机号 1 小时内请求 9 次验证码（上限 5 次），8 个不同 IP",
        member=victim,
        evidence={
            "phone": mask_phone(victim.phone),
            "sent_last_hour": 9,
            "limit": 5,
            "distinct_ips": 8,
            "ips": ["45.113.200.12", "45.113.200.31"],
        },
    )
    # coupon farming: four accounts claimed the same coupon on one device
    farm = members[76:80]
    cases["coupon"] = _plant(
        f"coupon_multi_account:member:{farm[-1].pk}",
        kind=K.COUPON_FARMING,
        point=Point.COUPON_CLAIM,
        rule="coupon_multi_account",
        score=75,
        summary="同一设备 24 小时内 4 个账号领取同一张券（上限 3 个）",
        member=farm[-1],
        evidence={
            "template": "新人满 99 减 20 券",
            "accounts": 4,
            "threshold": 3,
            "members": [m.pk for m in farm],
            "devices": [BLACKLIST_DEVICE],
        },
    )

    def order_case(key, member, rule, kind, point, summary, score, evidence, statuses=()):
        orders = _orders_of(member, *statuses) or _orders_of(member)
        if not orders:
            return
        order = orders[0]
        cases[key] = _plant(
            f"{rule}:order:{order.pk}",
            kind=kind,
            point=point,
            rule=rule,
            score=score,
            summary=summary,
            member=member,
            order=order,
            evidence={
                "order_no": order.order_no,
                "orders": [o.order_no for o in orders[:6]],
                **evidence(order, orders),
            },
        )

    unpaid = (S.PENDING_PAYMENT,)
    order_case(
        "flash",
        members[20],
        "flash_hoarding",
        K.FLASH_HOARDING,
        Point.ORDER_PLACE,
        "会员已有 2 笔秒杀订单未支付（上限 2 笔），同设备另有 3 笔",
        90,
        lambda order, orders: {
            "sku": order.lines.values_list("sku_code", flat=True).first() or "",
            "unpaid_flash_orders": 2,
            "limit": 2,
            "device_unpaid": 3,
            "devices": ["F1A5-H0RD-2231"],
        },
        statuses=unpaid,
    )
    order_case(
        "frequent",
        members[21],
        "frequent_purchase",
        K.FREQUENT_PURCHASE,
        Point.ORDER_PLACE,
        "24 小时内同一 SKU 下单 6 次（复核阈值 5 次）",
        55,
        lambda order, orders: {
            "sku": (order.lines.first().sku_code if order.lines.exists() else ""),
            "orders_in_window": 6,
            "window_hours": 24,
            "threshold": 5,
        },
    )
    order_case(
        "blacklisted",
        members[22],
        "blacklist",
        K.BLACKLISTED,
        Point.ORDER_REVIEW,
        "下单设备在黑名单中（设备 DEMO-F…），订单已挂起",
        100,
        lambda order, orders: {"entry_kind": "device", "devices": [BLACKLIST_DEVICE]},
        statuses=(S.PENDING_REVIEW,),
    )
    marked = members[23]
    if not _has_mark(marked):
        mark_add(actor=officer, member=marked, level="high", reason=MARK_REASON, days=90)
    order_case(
        "marked",
        marked,
        "marked_account",
        K.MARKED_ACCOUNT,
        Point.ORDER_REVIEW,
        "高风险标记账户下单，订单转人工复核",
        70,
        lambda order, orders: {"mark": "high", "mark_reason": MARK_REASON},
    )
    refunder, paid, refunded, paid_orders = _refund_figures(members)
    ratio = (refunded / paid) if paid else Decimal(0)
    order_case(
        "refund",
        refunder,
        "refund_ratio",
        K.REFUND_ABUSE,
        Point.AFTER_SALE,
        f"90 天退款 {_money(refunded)} 元，占已付 {_money(paid)} 元的 {ratio:.0%}"
        f"（复核阈值 60%），{paid_orders} 笔已付订单",
        65,
        lambda order, orders: {
            "days": 90,
            "paid_orders": paid_orders,
            "paid": _money(paid),
            "refunded": _money(refunded),
            "ratio": f"{ratio:.2f}",
            "threshold": "0.60",
        },
        statuses=(S.CANCELLED, S.CLOSED, S.COMPLETED),
    )
    order_case(
        "not_received",
        members[25],
        "not_received_repeat",
        K.NOT_RECEIVED,
        Point.AFTER_SALE,
        "90 天内第 3 次以“未收到货”申请退款（复核阈值：此前 2 次）",
        60,
        lambda order, orders: {"earlier_claims": 2, "threshold": 2, "days": 90},
    )
    # payment mismatch: the payments demo's amount anomaly (when the real rule opened
    # its case already, that case is the one shown)
    from payments.models import PaymentAnomaly

    anomaly = (
        PaymentAnomaly.objects.filter(kind=PaymentAnomaly.Kind.AMOUNT_MISMATCH)
        .select_related("transaction__order")
        .order_by("pk")
        .first()
    )
    order = getattr(getattr(anomaly, "transaction", None), "order", None)
    if order is not None:
        existing = RiskCase.objects.filter(kind=K.PAYMENT_MISMATCH, order=order).first()
        cases["mismatch"] = existing or _plant(
            f"payment_amount_mismatch:order:{order.pk}",
            kind=K.PAYMENT_MISMATCH,
            point=Point.PAYMENT_CALLBACK,
            rule="payment_amount_mismatch",
            score=50,
            summary=(
                f"支付渠道回调金额 {_money(anomaly.reported_amount)} 与订单应付 "
                f"{_money(anomaly.expected_amount)} 不符"
            ),
            member=order.member,
            order=order,
            evidence={
                "order_no": order.order_no,
                "orders": [order.order_no],
                "transaction_no": anomaly.reference_no or anomaly.transaction.transaction_no,
                "reported_amount": _money(anomaly.reported_amount),
                "expected_amount": _money(anomaly.expected_amount),
            },
        )
    return cases


def _refund_figures(members):
    """The demo member (not of the ring) whose paid orders were refunded the most, in
    proportion: ``(member, paid, refunded, paid orders)`` over 90 days."""
    from django.db.models import Count, Sum

    from orders.models import Order

    ring = {m.pk for m in members[RING_MEMBERS]}
    since = timezone.now() - timedelta(days=90)
    rows = (
        Order.objects.filter(member__in=members, paid_at__gte=since)
        .exclude(member__in=ring)
        .values("member_id")
        .annotate(paid=Sum("paid_amount"), refunded=Sum("refunded_amount"), n=Count("id"))
        .filter(refunded__gt=0)
    )
    best = max(rows, key=lambda r: (r["refunded"] / r["paid"], r["member_id"]), default=None)
    by_pk = {m.pk: m for m in members}
    if best is None:
        return members[24], Decimal(0), Decimal(0), 0
    return by_pk[best["member_id"]], best["paid"], best["refunded"], best["n"]


def _has_mark(member) -> bool:
    from .models import RiskMark

    return RiskMark.objects.filter(member=member, reason=MARK_REASON).exists()


# --- blacklist, freezes ----------------------------------------------------------------


def _lists_and_freezes(officer, members, ring, cases) -> None:
    from orders.models import Order

    from .models import BlacklistEntry, FundFreeze
    from .services.freezes import freeze_create, freeze_release
    from .services.lists import _normalise, blacklist_add

    B = BlacklistEntry.Kind
    for kind, value, reason, case in (
        (B.DEVICE, BLACKLIST_DEVICE, "羊毛党设备：多账号领券", cases.get("coupon")),
        (B.ADDRESS, BLACKLIST_ADDRESS, "代收点地址，多账号刷单收货", ring),
    ):
        stored, _label = _normalise(kind, value, None)
        if not BlacklistEntry.objects.filter(kind=kind, value=stored).exists():
            blacklist_add(actor=officer, kind=kind, value=value, reason=reason, days=180, case=case)

    open_states = [Order.Status.PENDING_REVIEW, Order.Status.APPROVED, Order.Status.PAID]
    if not FundFreeze.objects.filter(reason=FREEZE_REASON).exists() and ring is not None:
        order = (
            Order.objects.filter(
                order_no__in=ring.evidence.get("open_orders", []),
                status__in=open_states,
                is_frozen=False,
            )
            .order_by("pk")
            .first()
        )
        if order is not None:
            freeze_create(actor=officer, order=order, reason=FREEZE_REASON, case=ring)
    if not FundFreeze.objects.filter(reason=RELEASED_REASON).exists():
        order = (
            Order.objects.filter(member__in=members[30:40], status__in=open_states, is_frozen=False)
            .order_by("pk")
            .first()
        )
        if order is not None:
            freeze = freeze_create(actor=officer, order=order, reason=RELEASED_REASON)
            freeze_release(
                actor=officer,
                freeze=freeze,
                reason="已电话核实：家庭成员共用手机下单，正常发货",
            )
