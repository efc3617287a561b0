"""Generator of orders at scale: members, a small catalog, channels, orders with lines.

Used by ``bench/orders_million.py`` (1,000,000 orders) and by
``tests/orders/test_bench_generator.py`` (a small run whose rows are checked). Needs
PostgreSQL (``COPY``) and a configured Django; call :func:`generate` inside no
transaction for a big run (it commits batch by batch, so the deferred foreign-key
checks run per batch), or inside a test's transaction for a small one.

What it writes, all from one ``random.Random(seed)`` (the same seed gives the same
rows, except the AES-GCM nonces of the encrypted columns):

* ``members`` members through ``COPY`` (real AES-GCM phone ciphertexts and lookup
  hashes, a pool of encrypted names; phones ``199`` + 8 digits), spread over the
  seven sales regions;
* a small catalog through the catalog services (one category path, 10 products of
  5 SKUs, prices 9.90–899.00) stocked in one 华东 warehouse through dispatch's
  services, and five sales channels (own store, Tmall, JD,
  Pinduoduo, Douyin);
* ``orders`` orders through ``COPY``, placed one after another over the last
  ``days`` days (ids follow ``created_at``), each in a province of one of the 7
  regions (``region`` = the province's region), from a random member through a
  random channel. The status follows the order's age (the last 30 minutes hold
  the unpaid orders, the last day the review/warehouse queue, the last 15 days
  the parcels on their way, older ones are completed, cancelled or closed), and
  every timestamp of the stages it went through is set in order (``paid_at`` ≤
  ``reviewed_at`` ≤ ``allocated_at`` ≤ ``shipped_at`` ≤ ``delivered_at`` ≤
  ``completed_at``), none of the others;
* 1–3 lines per order (distinct SKUs, 1–3 units) snapshotting the SKU; money in
  cents: goods = Σ line amounts, the member level and campaign discounts and the
  points deduction are split over the lines to the cent (largest remainder, as
  ``mall.core.money.split_amount``), shipping 10.00 under the free-shipping
  threshold (99.00), total = goods − discounts − points + shipping, Σ line payable
  = total − shipping; paid = total once paid; cancelled-after-payment and closed
  orders are refunded in full (order and lines);
* dispatch's rows of every order the warehouse approved (and that was not
  cancelled): one allocation, one shipment from the bench warehouse (waybill and
  times once shipped), a shipment line per order line — in SQL from the orders, so
  the staff list's ``shipments`` are real rows. The stock rows are not adjusted.

Order numbers: ``DD`` + the local date of ``created_at`` + 10 digits, unique.
"""

from __future__ import annotations

import base64
import io
import itertools
import json
import os
import random
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

REGION_CODES = ["east", "north", "south", "central", "southwest", "northwest", "northeast"]
CHANNELS = [
    ("own_store", "自营商城", "own_store", 40),
    ("bench-tmall", "天猫旗舰店", "tmall", 25),
    ("bench-jd", "京东自营店", "jd", 15),
    ("bench-pdd", "拼多多店", "pinduoduo", 12),
    ("bench-douyin", "抖音小店", "douyin", 8),
]
PRODUCTS = 10
SKUS_PER_PRODUCT = 5
PRICES_CENTS = [990, 1990, 2990, 4990, 5990, 8990, 12900, 19900, 29900, 49900, 89900]
FREE_SHIPPING_CENTS = 9900
SHIPPING_CENTS = 1000
LEVEL_RATES = [0, 0, 0, 2, 3, 5]  # percent
PROMO_CENTS = [0, 0, 0, 0, 500, 1000]
SECOND_REVIEW_CENTS = 500_000  # orders.second_review_amount (5000.00)
ENCRYPTED_POOL = 200
BIG_TABLES = ("members_member", "orders_order", "orders_orderline")
SHIPMENT_TABLES = ("dispatch_allocation", "dispatch_shipment", "dispatch_shipmentline")
LOAD_TABLES = ("orders_order", "orders_orderline", *SHIPMENT_TABLES)

ORDER_COLUMNS = (
    "id",
    "order_no",
    "status",
    "is_virtual",
    "is_frozen",
    "frozen_reason",
    "is_review_held",
    "review_hold_reason",
    "needs_second_review",
    "recipient_encrypted",
    "phone_encrypted",
    "city",
    "district",
    "detail_encrypted",
    "goods_amount",
    "level_discount_amount",
    "promotion_discount_amount",
    "coupon_discount_amount",
    "points_deduction_amount",
    "shipping_amount",
    "shipping_discount_amount",
    "total_amount",
    "paid_amount",
    "refunded_amount",
    "points_used",
    "pricing",
    "payment_channel",
    "payment_no",
    "promised_delivery_date",
    "buyer_note",
    "created_at",
    "updated_at",
    "expires_at",
    "paid_at",
    "reviewed_at",
    "allocated_at",
    "shipped_at",
    "delivered_at",
    "completed_at",
    "cancelled_at",
    "closed_at",
    "cancel_reason",
    "is_brushed",
    "member_id",
    "province_id",
    "region_id",
    "reviewed_by_id",
    "channel_id",
)
LINE_COLUMNS = (
    "order_id",
    "sku_id",
    "sku_code",
    "product_id_snapshot",
    "product_title",
    "category_id_snapshot",
    "spec",
    "is_virtual",
    "allows_no_reason_return",
    "weight_grams",
    "list_price_amount",
    "unit_price_amount",
    "quantity",
    "line_amount",
    "level_discount_amount",
    "promotion_discount_amount",
    "coupon_discount_amount",
    "points_deduction_amount",
    "payable_amount",
    "refunded_quantity",
    "refunded_amount",
)

# Status by age of the order: (age limit in seconds, [(status, weight), …]).
AGE_BANDS = [
    (30 * 60, [("pending_payment", 55), ("pending_review", 30), ("cancelled", 15)]),
    (
        24 * 3600,
        [
            ("pending_review", 8),
            ("approved", 20),
            ("allocated", 30),
            ("shipped", 27),
            ("cancelled", 15),
        ],
    ),
    (
        15 * 86400,
        [("shipped", 35), ("delivered", 35), ("completed", 15), ("cancelled", 10), ("closed", 5)],
    ),
    (None, [("completed", 83), ("cancelled", 11), ("closed", 6)]),
]
REACHED = ["paid", "reviewed", "allocated", "shipped", "delivered", "completed"]
STAGES_OF = {
    "pending_payment": 0,
    "pending_review": 1,
    "approved": 2,
    "allocated": 3,
    "shipped": 4,
    "delivered": 5,
    "completed": 6,
}
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
NULL = "\\N"  # COPY text format
CITY_OF = {
    "北京": "北京市",
    "上海": "上海市",
    "天津": "天津市",
    "重庆": "重庆市",
}


def _money(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


def _split(total: int, weights: list[int]) -> list[int]:
    """``total`` cents over ``weights``: floors, then the rest to the largest remainders."""
    weight_sum = sum(weights)
    if not total or not weight_sum:
        return [0] * len(weights)
    parts = [total * w // weight_sum for w in weights]
    remainders = sorted(range(len(weights)), key=lambda i: (-(total * weights[i] % weight_sum), i))
    for index in remainders[: total - sum(parts)]:
        parts[index] += 1
    return parts


def _copy_text(value: str) -> str:
    """Escape a value for ``COPY … FROM STDIN`` text format."""
    return value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")


# --- reference rows -------------------------------------------------------------------


def bench_superuser():
    from django.contrib.auth import get_user_model

    user_model = get_user_model()
    root = user_model.objects.filter(username="bench_root").first()
    if root is None:
        root = user_model.objects.create_superuser("bench_root", password=None)
    return root


def _catalog(actor) -> list[dict]:
    """50 SKUs (10 products × 5) with their snapshot values, created once."""
    from catalog import services as catalog_services
    from catalog.models import Sku

    existing = Sku.objects.filter(code__startswith="BENCH-ORD-").select_related("product")
    if not existing.exists():
        root = catalog_services.category_seed(actor=actor, code="bench-ord-root", name="订单压测")
        middle = catalog_services.category_seed(
            actor=actor, code="bench-ord-mid", name="订单压测二级", parent=root
        )
        leaf = catalog_services.category_seed(
            actor=actor, code="bench-ord-leaf", name="订单压测三级", parent=middle
        )
        for p in range(PRODUCTS):
            catalog_services.product_create(
                actor=actor,
                code=f"BENCH-ORD-P{p:02d}",
                title=f"订单压测商品 {p:02d}",
                category=leaf,
                skus=[
                    {
                        "code": f"BENCH-ORD-{p:02d}-{s}",
                        "price_amount": _money(PRICES_CENTS[(p + s * 3) % len(PRICES_CENTS)]),
                    }
                    for s in range(SKUS_PER_PRODUCT)
                ],
            )
    skus = []
    for sku in existing.order_by("code"):
        price = int(sku.price_amount * 100)
        skus.append(
            {
                "id": sku.pk,
                "code": sku.code,
                "price": price,
                "static": "\t".join(
                    [
                        str(sku.pk),
                        _copy_text(sku.code),
                        str(sku.product_id),
                        _copy_text(sku.product.title),
                        str(sku.product.category_id),
                        _copy_text(json.dumps(sku.spec or {}, ensure_ascii=False)),
                        "t" if sku.product.is_virtual else "f",
                        "t",
                        str(sku.weight_grams or 0),
                        _money(price),
                        _money(price),
                    ]
                ),
            }
        )
    return skus


def _channels() -> list[tuple[int, int]]:
    """(channel id, weight) of the five bench channels, created once."""
    from orders.models import SalesChannel

    found = []
    for code, name, kind, weight in CHANNELS:
        channel, _created = SalesChannel.objects.get_or_create(
            code=code, defaults={"name": name, "kind": kind}
        )
        found.append((channel.pk, weight))
    return found


def _copy_members(cursor, rng: random.Random, count: int) -> None:
    """``count`` members in one ``COPY`` (phones ``199`` + 8 digits, regions at random)."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    from members import crypto
    from members.models import Level
    from rbac.models import SalesRegion

    levels = list(Level.objects.order_by("rank").values_list("pk", flat=True))
    regions = list(SalesRegion.objects.filter(code__in=REGION_CODES).values_list("pk", flat=True))
    names = [crypto.encrypt(f"压测会员{n}", context="member.name") for n in range(ENCRYPTED_POOL)]
    ring = crypto.key_ring()
    aes = AESGCM(ring.keys[ring.current_id])
    nonce_base = os.urandom(8)
    registered = datetime.now(UTC) - timedelta(days=400)
    buffer = io.StringIO()
    for n in range(count):
        phone = f"199{n:08d}"
        nonce = nonce_base + n.to_bytes(4, "big")
        token = base64.b64encode(nonce + aes.encrypt(nonce, phone.encode(), b"member.phone"))
        at = (registered + timedelta(seconds=n * 60)).isoformat()
        buffer.write(
            f"{ring.current_id}:{token.decode()}\t{crypto.lookup_hash(phone)}\t"
            f"{names[n % ENCRYPTED_POOL]}\t\t!bench\tunknown\tphone\tf\t"
            f"{levels[rng.randrange(len(levels))]}\t0\t0\t0\tactive\tnone\t"
            f"{regions[rng.randrange(len(regions))]}\t{at}\t{at}\n"
        )
    buffer.seek(0)
    cursor.copy_expert(
        "COPY members_member (phone_encrypted, phone_hash, name_encrypted, id_number_encrypted,"
        " password, gender, channel, is_real_name_verified, level_id, growth, points_balance,"
        " balance_amount, status, risk_mark, region_id, created_at, updated_at) FROM STDIN",
        buffer,
    )


def _address_pool() -> list[str]:
    """Encrypted (recipient, phone, detail) triples, COPY-ready, reused across orders."""
    from members import crypto

    pool = []
    for n in range(ENCRYPTED_POOL):
        pool.append(
            "\t".join(
                [
                    crypto.encrypt(f"收件人{n}", context="order.recipient"),
                    crypto.encrypt(f"138{n:08d}", context="order.phone"),
                    "{city}",
                    "城区",
                    crypto.encrypt(f"幸福路 {n + 1} 号", context="order.detail"),
                ]
            )
        )
    return pool


def _warehouse(actor, skus: list[dict]) -> tuple[int, int]:
    """One 华东 warehouse stocking every bench SKU (via dispatch's services), created once.

    Returns (warehouse id, carrier id or 0).
    """
    from dispatch import services
    from dispatch.models import Carrier, Warehouse
    from rbac.models import SalesRegion

    warehouse = Warehouse.objects.filter(code="WH-ORD-EAST").first()
    if warehouse is None:
        warehouse = services.warehouse_save(
            actor=actor,
            code="WH-ORD-EAST",
            name="订单压测仓",
            type=Warehouse.Type.CENTRAL,
            region=SalesRegion.objects.get(code="east"),
            address="压测",
            contact_name="压测",
            contact_phone="000",
        )
        document = services.purchase_inbound_create(
            actor=actor, warehouse=warehouse, lines=[(sku["code"], 100_000) for sku in skus]
        )
        services.purchase_inbound_arrive(actor=actor, document=document)
    carrier = Carrier.objects.order_by("id").values_list("pk", flat=True).first()
    return warehouse.pk, carrier or 0


def _insert_shipments(cursor, *, first_id: int, last_id: int, warehouse_id: int, carrier_id: int):
    """Dispatch's rows for orders ``first_id``–``last_id`` the warehouse approved.

    One allocation and one shipment per order from ``allocated`` on (not for
    cancelled ones, whose allocation would be released), with a line per order line;
    shipped orders' shipments carry the waybill and the times. Written in SQL from
    the orders (``INSERT … SELECT``). The stock rows are not adjusted (the benchmark
    reads orders; it does not verify the stock ledger).
    """
    where = "o.id BETWEEN %(first)s AND %(last)s AND o.allocated_at IS NOT NULL"
    where += " AND o.status <> 'cancelled'"
    params = {
        "first": first_id,
        "last": last_id,
        "warehouse": warehouse_id,
        "carrier": carrier_id or None,
    }
    cursor.execute(
        f"""
        INSERT INTO dispatch_allocation (order_no, province_id, status, promised_delivery_date,
            created_by_id, released_reason, created_at, updated_at)
        SELECT o.order_no, o.province_id,
               CASE WHEN o.shipped_at IS NULL THEN 'allocated' ELSE 'shipped' END,
               o.promised_delivery_date, o.reviewed_by_id, '', o.allocated_at,
               COALESCE(o.shipped_at, o.allocated_at)
        FROM orders_order o WHERE {where} ORDER BY o.id
        """,
        params,
    )
    cursor.execute(
        f"""
        INSERT INTO dispatch_shipment (shipment_no, allocation_id, order_no, warehouse_id,
            carrier_id, is_supplier_order, status, promised_days, shipping_fee_amount,
            waybill_no, shipped_at, delivered_at, last_event_at, is_stale, created_at,
            updated_at)
        SELECT 'FH' || substr(o.order_no, 3), a.id, o.order_no, %(warehouse)s,
               CASE WHEN o.shipped_at IS NULL THEN NULL ELSE %(carrier)s::bigint END, false,
               CASE WHEN o.delivered_at IS NOT NULL THEN 'delivered'
                    WHEN o.shipped_at IS NOT NULL THEN 'shipped' ELSE 'pending' END,
               3, o.shipping_amount,
               CASE WHEN o.shipped_at IS NULL THEN '' ELSE 'SF' || lpad(o.id::text, 12, '0') END,
               o.shipped_at, o.delivered_at, COALESCE(o.delivered_at, o.shipped_at), false,
               o.allocated_at, COALESCE(o.delivered_at, o.shipped_at, o.allocated_at)
        FROM orders_order o
        JOIN dispatch_allocation a ON a.order_no = o.order_no AND a.status <> 'released'
        WHERE {where} ORDER BY o.id
        """,
        params,
    )
    cursor.execute(
        f"""
        INSERT INTO dispatch_shipmentline (shipment_id, stock_id, sku_id, quantity)
        SELECT s.id, st.id, l.sku_id, l.quantity
        FROM orders_order o
        JOIN dispatch_shipment s ON s.order_no = o.order_no
        JOIN orders_orderline l ON l.order_id = o.id
        JOIN dispatch_stock st ON st.sku_id = l.sku_id AND st.warehouse_id = %(warehouse)s
        WHERE {where} ORDER BY s.id, l.id
        """,
        params,
    )
    return cursor.rowcount


def _drop_secondary_indexes(cursor, tables: tuple[str, ...]) -> list[str]:
    """Drop the indexes of ``tables`` no constraint needs; return their definitions.

    A bulk load into empty tables is several times faster when the indexes are built
    once afterwards (``CREATE INDEX`` sorts) instead of maintained row by row.
    """
    cursor.execute(
        """
        SELECT i.indexname, i.indexdef FROM pg_indexes i
        WHERE i.schemaname = current_schema() AND i.tablename = ANY(%s)
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c
                          WHERE c.conindid = (quote_ident(i.indexname))::regclass)
        ORDER BY i.indexname
        """,
        [list(tables)],
    )
    found = cursor.fetchall()
    for name, _definition in found:
        cursor.execute(f'DROP INDEX "{name}"')
    return [definition for _name, definition in found]


# --- orders -------------------------------------------------------------------------------


US = 1_000_000  # timestamps are integer microseconds since the epoch (UTC) below
DAY_US = 86_400 * US
GAPS_US = (  # (shortest, longest) wait before each stage of REACHED
    (60 * US, 600 * US),  # paid after placement
    (30 * US, 600 * US),  # reviewed (10-minute clock)
    (300 * US, 3 * 3600 * US),  # warehouse approved
    (3600 * US, 20 * 3600 * US),  # shipped
    (DAY_US, 4 * DAY_US),  # delivered
    (0, 10 * DAY_US),  # completed (auto-confirm 15 days after shipping)
)
BANDS_US = [
    (
        None if limit is None else limit * US,
        [status for status, _w in choices],
        list(itertools.accumulate(weight for _s, weight in choices)),
    )
    for limit, choices in AGE_BANDS
]
LINE_COUNTS = ((1, 2, 3), list(itertools.accumulate((60, 30, 10))))
QUANTITIES = ((1, 2, 3), list(itertools.accumulate((75, 18, 7))))


def _epoch_us(moment: datetime) -> int:
    delta = moment - EPOCH
    return (delta.days * 86_400 + delta.seconds) * US + delta.microseconds


class _Clock:
    """Formats epoch microseconds as COPY timestamps and local dates, cached per day."""

    def __init__(self, tz):
        self.tz = tz
        self.days: dict[int, str] = {}
        self.local: dict[int, tuple[str, str]] = {}

    def stamp(self, us: int) -> str:
        day, rest = divmod(us, DAY_US)
        prefix = self.days.get(day)
        if prefix is None:
            prefix = self.days[day] = (EPOCH + timedelta(days=day)).strftime("%Y-%m-%d ")
        hours, rest = divmod(rest, 3600 * US)
        minutes, rest = divmod(rest, 60 * US)
        seconds, micro = divmod(rest, US)
        return f"{prefix}{hours:02d}:{minutes:02d}:{seconds:02d}.{micro:06d}+00"

    def local_day(self, us: int) -> tuple[str, str]:
        """(YYYYMMDD, the ISO date three days later) of ``us`` in the local time zone."""
        hour = us // (3600 * US)
        found = self.local.get(hour)
        if found is None:
            moment = (EPOCH + timedelta(hours=hour)).astimezone(self.tz)
            found = self.local[hour] = (
                moment.strftime("%Y%m%d"),
                (moment.date() + timedelta(days=3)).isoformat(),
            )
        return found


def _write_batch(
    rng: random.Random,
    *,
    first_id: int,
    count: int,
    start: datetime,
    step: float,
    now: datetime,
    context: dict,
    numbers: set,
) -> tuple[io.StringIO, io.StringIO, int]:
    """``count`` orders from id ``first_id`` and their lines, as COPY text buffers."""
    orders_buffer = io.StringIO()
    lines_buffer = io.StringIO()
    write_order = orders_buffer.write
    write_line = lines_buffer.write
    n_lines = 0
    clock = context.setdefault("clock", _Clock(context["tz"]))
    stamp = clock.stamp
    skus = context["skus"]
    provinces = context["provinces"]
    members = context["members"]
    channel_ids, channel_weights = context["channels"]
    channel_cum = list(itertools.accumulate(channel_weights))
    pool = context["pool"]
    reviewer = str(context["reviewer"])
    random_ = rng.random
    randrange = rng.randrange
    choices = rng.choices
    uniform_us = rng.randint
    start_us = _epoch_us(start)
    now_us = _epoch_us(now)
    step_us = step * US
    half_hour = 1800 * US
    base_id = context["base_id"]
    for index in range(count):
        order_id = first_id + index
        created = start_us + int(step_us * (order_id - base_id) + random_() * step_us * 0.9)
        age = now_us - created
        for limit, statuses, cum in BANDS_US:
            if limit is None or age < limit:
                status = choices(statuses, cum_weights=cum)[0]
                break
        local_day, promised = clock.local_day(created)
        while True:
            number = f"DD{local_day}{randrange(10**10):010d}"
            if number not in numbers:
                numbers.add(number)
                break
        province_id, region_id, city = provinces[randrange(len(provinces))]
        # Lines: distinct SKUs, 1–3 units each.
        n = choices(LINE_COUNTS[0], cum_weights=LINE_COUNTS[1])[0]
        chosen = rng.sample(skus, n)
        quantities = choices(QUANTITIES[0], cum_weights=QUANTITIES[1], k=n)
        amounts = [sku["price"] * q for sku, q in zip(chosen, quantities, strict=True)]
        goods = sum(amounts)
        level = goods * LEVEL_RATES[randrange(len(LEVEL_RATES))] // 100
        promo = min(PROMO_CENTS[randrange(len(PROMO_CENTS))], (goods - level) // 2)
        points = 0
        if random_() < 0.1:
            points = min(500, (goods - level - promo) // 10)
        shipping = SHIPPING_CENTS if goods < FREE_SHIPPING_CENTS else 0
        total = goods - level - promo - points + shipping
        if n == 1:
            level_parts, promo_parts, points_parts = [level], [promo], [points]
        else:
            level_parts = _split(level, amounts)
            promo_parts = _split(promo, amounts)
            points_parts = _split(points, amounts)
        # Stages and timestamps (each after the one before, none after now).
        cancel_reason = ""
        refunded = False
        if status == "cancelled":
            if age > half_hour and random_() < 0.3:
                # Paid, then cancelled before shipping (its refund landed).
                stage = randrange(1, 4)
                refunded = True
                cancel_reason = "买家申请取消"
            else:
                stage = 0
                cancel_reason = "超时未支付" if age > half_hour else "买家取消"
        elif status == "closed":
            stage, refunded = randrange(4, 6), True
        else:
            stage = STAGES_OF[status]
        moment = created
        reached = ["\\N"] * 6
        shipped = 0
        for position in range(stage):
            low, high = GAPS_US[position]
            moment += uniform_us(low, high)
            if position == 5:
                moment = min(moment, shipped + 15 * DAY_US)
            moment = min(moment, now_us)
            if position == 3:
                shipped = moment
            reached[position] = stamp(moment)
        cancelled = closed = "\\N"
        if status == "cancelled":
            if stage == 0:
                moment = min(created + half_hour, now_us)
            else:
                moment = min(moment + uniform_us(60 * US, 3600 * US), now_us)
            cancelled = stamp(moment)
        elif status == "closed":
            moment = min(moment + uniform_us(3600 * US, DAY_US), now_us)
            closed = stamp(moment)
        paid = total if stage >= 1 else 0
        frozen = (status == "pending_review" or status == "approved") and random_() < 0.02
        address = pool[randrange(len(pool))].replace("{city}", city)
        write_order(
            f"{order_id}\t{number}\t{status}\tf\t{'t' if frozen else 'f'}\t"
            f"{'风控核查' if frozen else ''}\tf\t\t{'t' if total >= SECOND_REVIEW_CENTS else 'f'}\t"
            f"{address}\t{_money(goods)}\t{_money(level)}\t{_money(promo)}\t0.00\t"
            f"{_money(points)}\t{_money(shipping)}\t0.00\t{_money(total)}\t{_money(paid)}\t"
            f"{_money(paid if refunded else 0)}\t{points}\t{{}}\t"
            f"{'sandbox' if stage else ''}\t{f'PAY{order_id:012d}' if stage else ''}\t"
            f"{promised}\t\t{stamp(created)}\t{stamp(moment)}\t{stamp(created + half_hour)}\t"
            f"{reached[0]}\t{reached[1]}\t{reached[2]}\t{reached[3]}\t{reached[4]}\t"
            f"{reached[5]}\t{cancelled}\t{closed}\t{cancel_reason}\tf\t"
            f"{members[randrange(len(members))]}\t{province_id}\t{region_id}\t"
            f"{reviewer if stage >= 2 else NULL}\t"
            f"{channel_ids[choices(range(len(channel_ids)), cum_weights=channel_cum)[0]]}\n"
        )
        for position, sku in enumerate(chosen):
            quantity = quantities[position]
            amount = amounts[position]
            payable = amount - level_parts[position] - promo_parts[position]
            payable -= points_parts[position]
            write_line(
                f"{order_id}\t{sku['static']}\t{quantity}\t{_money(amount)}\t"
                f"{_money(level_parts[position])}\t{_money(promo_parts[position])}\t0.00\t"
                f"{_money(points_parts[position])}\t{_money(payable)}\t"
                f"{quantity if refunded else 0}\t{_money(payable if refunded else 0)}\n"
            )
        n_lines += n
    orders_buffer.seek(0)
    lines_buffer.seek(0)
    return orders_buffer, lines_buffer, n_lines


def generate(
    *,
    orders: int,
    seed: int = 7,
    members: int = 20_000,
    days: int = 365,
    batch: int = 50_000,
    shipments: bool = True,
    log: Callable[[str], None] = print,
) -> dict:
    """Write ``members`` members and ``orders`` orders with lines; return the figures.

    Outside a transaction each batch commits on its own (and the tables are
    ``VACUUM ANALYZE``d at the end); inside one (a test) the batches are savepoints
    and the tables are only ``ANALYZE``d.
    """
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction

    from members.models import Member
    from rbac.models import Province

    if connection.vendor != "postgresql":
        raise RuntimeError("the orders generator needs PostgreSQL (COPY)")
    rng = random.Random(seed)
    started = time.perf_counter()
    root = bench_superuser()
    reviewer, _created = get_user_model().objects.get_or_create(
        username="bench_reviewer", defaults={"is_staff": True}
    )
    skus = _catalog(root)
    channels = _channels()
    warehouse_id, carrier_id = _warehouse(root, skus)
    figures: dict = {"seed": seed}

    member_started = time.perf_counter()
    before = Member.objects.count()
    with connection.cursor() as cursor, transaction.atomic():
        _copy_members(cursor.cursor, rng, members)
    member_ids = list(
        Member.objects.filter(phone_hash__isnull=False)
        .order_by("-id")
        .values_list("pk", flat=True)[:members]
    )
    figures["members"] = Member.objects.count() - before
    figures["members_seconds"] = round(time.perf_counter() - member_started, 1)
    log(f"  members: {figures['members']:,} ({figures['members_seconds']} s)")

    provinces = [
        (p.pk, p.region_id, CITY_OF.get(p.name, f"{p.name}省会"))
        for p in Province.objects.filter(region__code__in=REGION_CODES).order_by("code")
    ]
    context = {
        "tz": ZoneInfo(settings.TIME_ZONE),
        "skus": skus,
        "provinces": provinces,
        "members": member_ids,
        "channels": ([c for c, _w in channels], [w for _c, w in channels]),
        "pool": _address_pool(),
        "reviewer": reviewer.pk,
    }
    now = datetime.now(UTC)
    start = now - timedelta(days=days)
    step = days * 86400 / max(orders, 1)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_get_serial_sequence('orders_order', 'id')")
        sequence = cursor.fetchone()[0]
        cursor.execute("SELECT COALESCE(MAX(id), 0) FROM orders_order")
        base_id = cursor.fetchone()[0] + 1
        cursor.execute("SELECT setval(%s, %s)", [sequence, base_id + orders])
    context["base_id"] = base_id
    numbers: set[str] = set()
    order_started = time.perf_counter()
    # A fresh load outside a transaction: build the secondary indexes once at the end.
    dropped: list[str] = []
    if not connection.in_atomic_block and base_id == 1:
        with connection.cursor() as cursor:
            dropped = _drop_secondary_indexes(cursor, LOAD_TABLES)
    total_lines = 0
    order_columns = ", ".join(ORDER_COLUMNS)
    line_columns = ", ".join(LINE_COLUMNS)
    for offset in range(0, orders, batch):
        count = min(batch, orders - offset)
        orders_buffer, lines_buffer, n_lines = _write_batch(
            rng,
            first_id=base_id + offset,
            count=count,
            start=start,
            step=step,
            now=now,
            context=context,
            numbers=numbers,
        )
        with connection.cursor() as cursor, transaction.atomic():
            raw = cursor.cursor
            raw.copy_expert(f"COPY orders_order ({order_columns}) FROM STDIN", orders_buffer)
            raw.copy_expert(f"COPY orders_orderline ({line_columns}) FROM STDIN", lines_buffer)
        total_lines += n_lines
        done = offset + count
        elapsed = time.perf_counter() - order_started
        if done == orders or (done // batch) % 4 == 0:
            log(f"  orders: {done:,} ({done / elapsed:,.0f} orders/s, {total_lines:,} lines)")
    orders_done = time.perf_counter()
    if shipments:
        shipments_started = time.perf_counter()
        with connection.cursor() as cursor, transaction.atomic():
            cursor.execute("SET LOCAL work_mem = '256MB'")  # the joins hash in memory
            _insert_shipments(
                cursor,
                first_id=base_id,
                last_id=base_id + orders - 1,
                warehouse_id=warehouse_id,
                carrier_id=carrier_id,
            )
        figures["shipments_seconds"] = round(time.perf_counter() - shipments_started, 1)
        log(f"  allocations, shipments and their lines: {figures['shipments_seconds']} s")
    if dropped:
        index_started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute("SET maintenance_work_mem = '256MB'")  # sorts in memory
            for definition in dropped:
                cursor.execute(definition)
        figures["indexes"] = len(dropped)
        figures["index_seconds"] = round(time.perf_counter() - index_started, 1)
        log(f"  {len(dropped)} indexes built in {figures['index_seconds']} s")
    from dispatch.models import Shipment

    figures["orders"] = orders
    figures["lines"] = total_lines
    figures["shipments"] = Shipment.objects.filter(order_no__startswith="DD").count()
    figures["orders_seconds"] = round(orders_done - order_started, 1)
    figures["orders_per_second"] = round(orders / max(figures["orders_seconds"], 0.001))
    figures["rows_per_second"] = round(
        (orders + total_lines) / max(figures["orders_seconds"], 0.001)
    )
    analyze_started = time.perf_counter()
    if not connection.in_atomic_block:
        with connection.cursor() as cursor:
            for table in (*BIG_TABLES, *SHIPMENT_TABLES):
                cursor.execute(f"VACUUM ANALYZE {table}")
    else:
        with connection.cursor() as cursor:
            for table in (*BIG_TABLES, *SHIPMENT_TABLES):
                cursor.execute(f"ANALYZE {table}")
    figures["analyze_seconds"] = round(time.perf_counter() - analyze_started, 1)
    figures["seconds"] = round(time.perf_counter() - started, 1)
    return figures
