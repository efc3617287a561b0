"""The orders benchmark's generator writes valid orders (a small run on PostgreSQL).

``bench/orders_generate.py`` fills the database of ``bench/orders_million.py`` with
1,000,000 orders through ``COPY``, past the services; these tests run it small and
prove what the benchmark measures is real data: every constraint (foreign keys
included) holds, statuses and their timestamps agree, money adds up to the cent, and
each order's sales region is its province's.
"""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.db import connection
from django.db.models import Count, F, Max, Min, Q, Sum
from django.utils import timezone

from tests.conftest import requires_postgres


def on_postgres(test):
    """A test of generated rows: PostgreSQL only (the generator uses COPY)."""
    return requires_postgres(pytest.mark.postgres(pytest.mark.django_db(test)))


ORDERS = 1000
MEMBERS = 100
ALL_STATUSES = {
    "pending_payment",
    "pending_review",
    "approved",
    "allocated",
    "shipped",
    "delivered",
    "completed",
    "cancelled",
    "closed",
}
# The stamps each status has gone through (cancelled and closed vary by case).
STAMPS = ["paid_at", "reviewed_at", "allocated_at", "shipped_at", "delivered_at", "completed_at"]
REACHED = {
    "pending_payment": 0,
    "pending_review": 1,
    "approved": 2,
    "allocated": 3,
    "shipped": 4,
    "delivered": 5,
    "completed": 6,
}


@pytest.fixture
def generated():
    """1,000 orders over the last two days (every age band, so every status)."""
    from bench.orders_generate import generate

    figures = generate(
        orders=ORDERS, seed=3, members=MEMBERS, days=2, batch=700, log=lambda _m: None
    )
    # The foreign keys are DEFERRABLE INITIALLY DEFERRED: check them now, inside the
    # test's transaction, instead of at a commit that never comes.
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    return figures


@on_postgres
def test_the_generator_writes_the_orders_lines_and_members_it_reports(generated):
    from members.models import Member
    from orders.models import Order, OrderLine

    assert generated["orders"] == ORDERS == Order.objects.count()
    assert generated["lines"] == OrderLine.objects.count()
    assert (
        generated["members"] == MEMBERS == Member.objects.filter(phone_hash__isnull=False).count()
    )
    per_order = Order.objects.annotate(n=Count("lines")).aggregate(fewest=Min("n"), most=Max("n"))
    assert per_order == {"fewest": 1, "most": 3}
    assert ORDERS < generated["lines"] <= 3 * ORDERS
    assert not Order.objects.filter(status="paid").exists()
    assert set(Order.objects.values_list("status", flat=True).distinct()) == ALL_STATUSES
    # Personal data is real ciphertext that decrypts.
    member = Member.objects.filter(phone_hash__isnull=False).order_by("id").first()
    assert re.fullmatch(r"199\d{8}", member.phone)
    order = Order.objects.order_by("id").first()
    assert order.recipient.startswith("收件人") and re.fullmatch(r"138\d{8}", order.phone)
    assert order.detail.endswith("号")


@on_postgres
def test_every_constraint_holds_and_order_numbers_are_unique_dd_plus_local_date(generated):
    from orders.models import Order

    # The CHECK constraints were enforced by COPY; the foreign keys by the fixture's
    # SET CONSTRAINTS ALL IMMEDIATE. Order numbers: unique, DD + local date + 10 digits.
    tz = ZoneInfo(settings.TIME_ZONE)
    numbers = list(Order.objects.values_list("order_no", "created_at"))
    assert len({number for number, _at in numbers}) == ORDERS
    for number, created in numbers:
        assert re.fullmatch(r"DD\d{18}", number)
        assert number[2:10] == created.astimezone(tz).strftime("%Y%m%d")
    # Ids follow placement time (the list's "newest first" is by id).
    created = list(Order.objects.order_by("id").values_list("created_at", flat=True))
    assert created == sorted(created)


@on_postgres
def test_each_order_is_in_the_sales_region_of_its_province(generated):
    from orders.models import Order
    from rbac.models import SalesRegion

    assert not Order.objects.exclude(region=F("province__region")).exists()
    regions = set(Order.objects.values_list("region__code", flat=True).distinct())
    assert regions == set(SalesRegion.objects.values_list("code", flat=True))
    assert Order.objects.values("channel").distinct().count() == 5


@on_postgres
def test_statuses_and_their_timestamps_agree(generated):
    from orders.models import Order

    now = timezone.now()
    for order in Order.objects.all():
        stamps = [getattr(order, name) for name in STAMPS]
        if order.status in REACHED:
            reached = REACHED[order.status]
            assert all(stamps[:reached]), (order.order_no, order.status, stamps)
            assert not any(stamps[reached:]), (order.order_no, order.status, stamps)
            assert order.cancelled_at is None and order.closed_at is None
        elif order.status == "cancelled":
            assert order.cancelled_at and order.closed_at is None and order.cancel_reason
            assert order.shipped_at is None
        else:  # closed: paid, shipped, then refunded in full
            assert order.closed_at and order.shipped_at and order.cancelled_at is None
        present = [order.created_at, *[stamp for stamp in stamps if stamp]]
        assert present == sorted(present), order.order_no
        assert all(stamp <= now for stamp in present)
        assert order.expires_at == order.created_at + timedelta(minutes=30)
        if order.status == "pending_payment":
            assert order.created_at > now - timedelta(minutes=31)
        if order.completed_at:
            assert order.completed_at <= order.shipped_at + timedelta(days=15)
        if order.is_frozen:
            assert order.status in ("pending_review", "approved")
        assert (order.reviewed_by_id is not None) == (order.reviewed_at is not None)


@on_postgres
def test_money_adds_up_to_the_cent_on_every_order(generated):
    from orders.models import Order, OrderLine

    zero = Decimal("0.00")
    assert not OrderLine.objects.exclude(
        line_amount=F("unit_price_amount") * F("quantity")
    ).exists()
    assert not OrderLine.objects.exclude(
        payable_amount=F("line_amount")
        - F("level_discount_amount")
        - F("promotion_discount_amount")
        - F("coupon_discount_amount")
        - F("points_deduction_amount")
    ).exists()
    sums = Order.objects.annotate(
        lines_goods=Sum("lines__line_amount"),
        lines_level=Sum("lines__level_discount_amount"),
        lines_promotion=Sum("lines__promotion_discount_amount"),
        lines_points=Sum("lines__points_deduction_amount"),
        lines_payable=Sum("lines__payable_amount"),
        lines_refunded=Sum("lines__refunded_amount"),
    )
    for order in sums:
        assert order.goods_amount == order.lines_goods
        assert order.level_discount_amount == order.lines_level
        assert order.promotion_discount_amount == order.lines_promotion
        assert order.points_deduction_amount == order.lines_points
        assert order.total_amount == (
            order.goods_amount
            - order.level_discount_amount
            - order.promotion_discount_amount
            - order.coupon_discount_amount
            - order.points_deduction_amount
            + order.shipping_amount
            - order.shipping_discount_amount
        )
        assert order.lines_payable == order.total_amount - order.shipping_amount
        assert order.shipping_amount == (Decimal("10.00") if order.goods_amount < 99 else zero)
        assert order.points_used == int(order.points_deduction_amount * 100)
        paid = order.paid_at is not None
        assert order.paid_amount == (order.total_amount if paid else zero)
        assert bool(order.payment_no) == paid
        refunded = order.status == "closed" or (order.status == "cancelled" and paid)
        assert order.refunded_amount == (order.paid_amount if refunded else zero)
        assert order.lines_refunded == (order.lines_payable if refunded else zero)
    # A few orders carry each kind of discount (the split is exercised).
    assert Order.objects.filter(level_discount_amount__gt=0).exists()
    assert Order.objects.filter(promotion_discount_amount__gt=0).exists()
    assert Order.objects.filter(points_deduction_amount__gt=0).exists()
    assert Order.objects.filter(Q(shipping_amount=0) & Q(goods_amount__gte=99)).exists()


@on_postgres
def test_every_order_the_warehouse_approved_has_its_allocation_and_shipment(generated):
    from dispatch.models import Allocation, Shipment, ShipmentLine
    from orders.models import Order

    approved = Order.objects.filter(allocated_at__isnull=False).exclude(status="cancelled")
    assert generated["shipments"] == approved.count() == Shipment.objects.count() > 0
    assert Allocation.objects.count() == approved.count()
    assert not Order.objects.filter(allocated_at__isnull=True, status__in=["shipped"]).exists()
    shipments = {s.order_no: s for s in Shipment.objects.select_related("allocation")}
    for order in approved.prefetch_related("lines"):
        shipment = shipments[order.order_no]
        assert shipment.allocation.order_no == order.order_no
        assert shipment.allocation.status == ("shipped" if order.shipped_at else "allocated")
        assert shipment.shipped_at == order.shipped_at
        assert shipment.delivered_at == order.delivered_at
        assert bool(shipment.waybill_no) == (order.shipped_at is not None)
        expected = {
            "pending": order.shipped_at is None,
            "shipped": order.shipped_at is not None and order.delivered_at is None,
            "delivered": order.delivered_at is not None,
        }
        assert expected[shipment.status]
        lines = ShipmentLine.objects.filter(shipment=shipment)
        assert sorted(lines.values_list("sku_id", "quantity")) == sorted(
            (line.sku_id, line.quantity) for line in order.lines.all()
        )


def test_a_discount_is_split_over_lines_like_the_projects_split_amount():
    # The project's rule (mall.core.money.split_amount): floors, then the cents left
    # over to the largest remainders, ties to the earlier line.
    from bench.orders_generate import _split
    from mall.core.money import split_amount

    for total, weights in [(100, [1, 1, 1]), (1999, [990, 4990, 29900]), (7, [3, 3]), (0, [5])]:
        expected = [int(part * 100) for part in split_amount(Decimal(total) / 100, weights)]
        assert _split(total, weights) == expected


def test_the_same_seed_gives_the_same_rows():
    import random
    from datetime import UTC, datetime

    from bench.orders_generate import _write_batch

    context = {
        "tz": ZoneInfo(settings.TIME_ZONE),
        "skus": [
            {"id": n, "code": f"S{n}", "price": 990 * (n + 1), "static": f"{n}\tS{n}"}
            for n in range(6)
        ],
        "provinces": [(1, 1, "上海市"), (2, 2, "北京市")],
        "members": [10, 11, 12],
        "channels": ([1, 2], [60, 40]),
        "pool": ["r\tp\t{city}\t城区\td"],
        "reviewer": 1,
        "base_id": 1,
    }
    now = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)

    def run(seed):
        orders, lines, count = _write_batch(
            random.Random(seed),
            first_id=1,
            count=300,
            start=now - timedelta(days=3),
            step=3 * 86400 / 300,
            now=now,
            context=context,
            numbers=set(),
        )
        return orders.getvalue(), lines.getvalue(), count

    first, again, other = run(7), run(7), run(8)
    assert first == again
    assert first[0] != other[0]
    assert first[2] == first[1].count("\n")
