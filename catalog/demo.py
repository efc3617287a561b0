"""Demo catalog (DESIGN.md §7): a three-level tree, listed products, a few in review.

Idempotent: categories and products are looked up by code and skipped when they
exist. Everything goes through the services: product specialists author, the ops
lead reviews and lists. ``DEMO-FLASH-001`` is the flash-sale SKU (its stock comes
from the dispatch demo).
"""

from __future__ import annotations

import struct
import zlib
from datetime import timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from mall.core.actors import system_actor

from . import permissions as perms
from . import services
from .models import Category, Product

DEMO_PASSWORD = "mall-demo-2026"  # noqa: S105 - the documented demo password
FLASH_SKU = "DEMO-FLASH-001"

# Background colours of the demo pictures, one family per top-level category.
PALETTES = {
    "appliance": [(226, 232, 240), (59, 130, 246), (30, 64, 175)],
    "digital": [(237, 233, 254), (124, 58, 237), (76, 29, 149)],
    "food": [(254, 243, 199), (245, 158, 11), (146, 64, 14)],
    "apparel": [(252, 231, 243), (219, 39, 119), (131, 24, 67)],
    "virtual": [(220, 252, 231), (22, 163, 74), (20, 83, 45)],
}
PICTURE_SIZE = 800


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)


def demo_picture(seed: int, palette: str = "appliance", size: int = PICTURE_SIZE) -> bytes:
    """A real PNG (``size``×``size``, RGB) of a product-like still life, without text.

    A soft background, a large disc (the "spotlight"), a rounded box standing on a
    shadow (the "product") and a stripe (its label) — shapes and colours vary with
    ``seed``. Pure Python (zlib + struct): rows are built from runs, not pixels.
    """
    light, main, dark = PALETTES.get(palette, PALETTES["appliance"])
    shift = (seed * 37) % 60 - 30

    def tint(colour, amount):
        return bytes(max(0, min(255, c + amount)) for c in colour)

    background = tint(light, shift // 3)
    disc = tint(light, -18)
    box = tint(main, shift)
    stripe = tint(dark, 0)
    shadow = tint(light, -45)
    half = size // 2
    radius = size * (30 + seed % 8) // 100
    box_w = size * (28 + (seed * 7) % 14) // 100
    box_h = size * (40 + (seed * 5) % 16) // 100
    box_x0, box_x1 = half - box_w // 2, half + box_w // 2
    box_y1 = size * 78 // 100
    box_y0 = box_y1 - box_h
    corner = box_w // 6
    stripe_y0 = box_y0 + box_h * 2 // 5
    stripe_y1 = stripe_y0 + box_h // 6
    rows = []
    for y in range(size):
        row = bytearray(background * size)

        def paint(x0, x1, colour, row=row):
            x0, x1 = max(0, x0), min(size, x1)
            if x1 > x0:
                row[x0 * 3 : x1 * 3] = colour * (x1 - x0)

        dy = y - size * 45 // 100
        if abs(dy) < radius:
            dx = int((radius * radius - dy * dy) ** 0.5)
            paint(half - dx, half + dx, disc)
        shadow_dy = (y - box_y1) * 6
        shadow_rx = box_w * 7 // 10
        if abs(shadow_dy) < shadow_rx:
            dx = int((shadow_rx * shadow_rx - shadow_dy * shadow_dy) ** 0.5)
            paint(half - dx, half + dx, shadow)
        if box_y0 <= y < box_y1:
            inset = 0
            for edge in (y - box_y0, box_y1 - 1 - y):
                if edge < corner:
                    inset = max(
                        inset, corner - int((corner * corner - (corner - edge) ** 2) ** 0.5)
                    )
            paint(box_x0 + inset, box_x1 - inset, stripe if stripe_y0 <= y < stripe_y1 else box)
        rows.append(b"\x00" + bytes(row))
    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", zlib.compress(b"".join(rows), 6))
        + _png_chunk(b"IEND", b"")
    )


# (code, name, [(code, name, [(code, name, brands, base price, specs, virtual)])])
TREE = [
    (
        "appliance",
        "家用电器",
        [
            (
                "kitchen",
                "厨房电器",
                [
                    (
                        "rice-cooker",
                        "电饭煲",
                        ["美的", "苏泊尔"],
                        299,
                        ("容量", ["3L", "4L"]),
                        False,
                    ),
                    ("kettle", "电水壶", ["九阳", "小熊"], 129, ("颜色", ["白", "灰"]), False),
                    (
                        "microwave",
                        "微波炉",
                        ["格兰仕", "美的"],
                        459,
                        ("款式", ["机械", "智能"]),
                        False,
                    ),
                ],
            ),
            (
                "living",
                "生活电器",
                [
                    ("fan", "电风扇", ["艾美特", "美的"], 199, ("款式", ["落地", "台式"]), False),
                    ("vacuum", "吸尘器", ["追觅", "小米"], 1299, ("颜色", ["白", "黑"]), False),
                ],
            ),
        ],
    ),
    (
        "digital",
        "手机数码",
        [
            (
                "phone",
                "手机通讯",
                [
                    (
                        "smartphone",
                        "智能手机",
                        ["华为", "小米"],
                        2999,
                        ("存储", ["128G", "256G"]),
                        False,
                    ),
                    ("phone-case", "手机壳", ["倍思", "绿联"], 39, ("颜色", ["透明", "黑"]), False),
                ],
            ),
            (
                "audio",
                "影音娱乐",
                [
                    (
                        "earphone",
                        "蓝牙耳机",
                        ["漫步者", "华为"],
                        299,
                        ("颜色", ["白", "黑"]),
                        False,
                    ),
                    ("speaker", "蓝牙音箱", ["JBL", "小米"], 399, ("颜色", ["蓝", "黑"]), False),
                ],
            ),
        ],
    ),
    (
        "food",
        "食品生鲜",
        [
            (
                "snack",
                "休闲零食",
                [
                    (
                        "nuts",
                        "每日坚果",
                        ["三只松鼠", "良品铺子"],
                        89,
                        ("规格", ["750g", "1kg"]),
                        False,
                    ),
                    (
                        "biscuit",
                        "饼干",
                        ["奥利奥", "嘉士利"],
                        29,
                        ("口味", ["原味", "巧克力"]),
                        False,
                    ),
                ],
            ),
            (
                "drink",
                "酒水饮料",
                [
                    ("tea", "茶叶", ["八马", "竹叶青"], 168, ("规格", ["100g", "250g"]), False),
                    ("coffee", "咖啡", ["雀巢", "三顿半"], 69, ("规格", ["12颗", "24颗"]), False),
                ],
            ),
        ],
    ),
    (
        "apparel",
        "服饰鞋包",
        [
            (
                "men",
                "男装",
                [
                    (
                        "tshirt",
                        "纯棉T恤",
                        ["优衣库", "海澜之家"],
                        79,
                        ("尺码", ["M", "L", "XL"]),
                        False,
                    ),
                    ("jacket", "夹克", ["七匹狼", "太平鸟"], 399, ("尺码", ["L", "XL"]), False),
                ],
            ),
            (
                "bag",
                "箱包",
                [
                    ("backpack", "双肩包", ["新秀丽", "小米"], 199, ("颜色", ["黑", "灰"]), False),
                    (
                        "suitcase",
                        "拉杆箱",
                        ["新秀丽", "外交官"],
                        599,
                        ("尺寸", ["20寸", "24寸"]),
                        False,
                    ),
                ],
            ),
        ],
    ),
    (
        "virtual",
        "虚拟商品",
        [
            (
                "card",
                "充值卡券",
                [
                    (
                        "phone-credit",
                        "话费充值",
                        ["中国移动", "中国联通"],
                        50,
                        ("面值", ["50元", "100元"]),
                        True,
                    ),
                    (
                        "gift-card",
                        "礼品卡",
                        ["京东E卡", "星巴克"],
                        100,
                        ("面值", ["100元", "200元"]),
                        True,
                    ),
                ],
            ),
        ],
    ),
]

# Demo product specialists (商品运营) in the ops department, besides rbac's staff.
SPECIALISTS = [
    ("product_ops", "M1101", "商品", "孙", "13700000012"),
    ("product_ops2", "M1102", "商品", "钱", "13700000013"),
]


def _grant_roles() -> None:
    from rbac.demo import grant_role_permissions

    grant_role_permissions("product_ops", perms.PRODUCT_OPS_PERMISSIONS)
    grant_role_permissions("ops_lead", perms.OPS_LEAD_PERMISSIONS)
    grant_role_permissions("customer_service", perms.CUSTOMER_SERVICE_PERMISSIONS)
    for role in ("order_ops_east", "order_ops_north"):
        grant_role_permissions(role, [perms.VIEW_PRODUCT, perms.VIEW_SKU, perms.VIEW_CATEGORY])


def _specialists(actor, stdout) -> list:
    from rbac import services as rbac_services
    from rbac.models import Department, Role

    user_model = get_user_model()
    department = Department.objects.filter(code="ops").first()
    role = Role.objects.filter(code="product_ops").first()
    users = []
    for username, number, first, last, phone in SPECIALISTS:
        user = user_model.objects.filter(username=username).first()
        if user is None:
            user = rbac_services.staff_create(
                actor=actor,
                username=username,
                employee_number=number,
                department=department,
                password=DEMO_PASSWORD,
                first_name=first,
                last_name=last,
                phone=phone,
            )
            stdout.write(f"  staff {username}")
        if role is not None and not user.role_assignments.filter(role=role).exists():
            rbac_services.role_assign(actor=actor, user=user, role=role)
        users.append(user_model.objects.get(pk=user.pk))
    return users


def _tree(actor) -> list[tuple[Category, str, list, int, tuple, bool]]:
    leaves = []
    for position, (code, name, middles) in enumerate(TREE):
        root = services.category_seed(actor=actor, code=code, name=name, sort_order=position)
        for middle_position, (middle_code, middle_name, leaf_rows) in enumerate(middles):
            middle = services.category_seed(
                actor=actor,
                code=middle_code,
                name=middle_name,
                parent=root,
                sort_order=middle_position,
            )
            for leaf_position, (leaf_code, leaf_name, brands, price, spec, virtual) in enumerate(
                leaf_rows
            ):
                leaf = services.category_seed(
                    actor=actor,
                    code=leaf_code,
                    name=leaf_name,
                    parent=middle,
                    sort_order=leaf_position,
                )
                leaves.append((leaf, leaf_name, brands, price, spec, virtual))
    return leaves


def _product(author, *, code, title, leaf, price, spec, virtual, sku_codes=None, description=""):
    name, values = spec
    skus = []
    for index, value in enumerate(values):
        skus.append(
            {
                "code": (sku_codes or {}).get(index, f"{code}-{index + 1:02d}"),
                "price_amount": Decimal(price) + 10 * index,
                "cost_amount": (Decimal(price) * Decimal("0.6")).quantize(Decimal("0.01")),
                "spec": {name: value},
                "weight_grams": 0 if virtual else 500 + 250 * index,
                "sort_order": index,
            }
        )
    product = services.product_create(
        actor=author,
        code=code,
        title=title,
        category=leaf,
        brand=title.split(" ")[0],
        description=description or f"{title}，正品行货，全国联保。",
        is_virtual=virtual,
        skus=skus,
    )
    palette = leaf.parent.parent.code if leaf.parent and leaf.parent.parent else ""
    seed = sum(map(ord, code))
    for index, (alt, offset) in enumerate(((title, 0), (f"{title} 细节", 3))):
        services.product_image_add(
            actor=author,
            product=product,
            image=ContentFile(demo_picture(seed + offset, palette), name=f"{code}-{index + 1}.png"),
            alt_text=alt,
        )
    return product


def demo_product_on_shelf(
    *, author, lead, code: str, title: str, leaf_code: str, price, spec, virtual: bool
) -> Product:
    """Create a demo product with pictures and put it on shelf (for other apps' demos).

    ``spec`` is ``(name, [values])``: one SKU per value. Returns the product;
    an existing product with ``code`` is returned unchanged.
    """
    existing = Product.objects.filter(code=code).first()
    if existing is not None:
        return existing
    leaf = Category.objects.get(code=leaf_code)
    product = _product(
        author, code=code, title=title, leaf=leaf, price=price, spec=spec, virtual=virtual
    )
    return _walk(product, author=author, lead=lead, to=Product.Status.ON_SHELF)


def _walk(product, *, author, lead, to: str, reason: str = ""):
    """Take a fresh draft through the workflow up to status ``to``."""
    if to == Product.Status.DRAFT:
        return product
    product = services.product_submit(actor=author, product=product)
    if to == Product.Status.PENDING_REVIEW:
        return product
    if to == Product.Status.REJECTED:
        return services.product_reject(actor=lead, product=product, reason=reason)
    when = timezone.now() + timedelta(days=1) if to == "scheduled" else None
    product = services.product_approve(
        actor=lead, product=product, note="资料齐全", scheduled_listing_at=when
    )
    if to in (Product.Status.APPROVED, "scheduled"):
        return product
    return services.product_on_shelf(actor=lead, product=product)


def seed(*, stdout) -> None:
    actor = system_actor()
    user_model = get_user_model()
    with transaction.atomic():
        _grant_roles()
        specialists = _specialists(actor, stdout)
        lead = user_model.objects.filter(username="ops_lead").first()
        if lead is None or not specialists:
            stdout.write("  catalog: rbac demo staff missing; run rbac's demo first")
            return
        leaves = _tree(actor)
        # Two products per leaf; the last few take the other workflow states.
        plan: list[tuple] = []
        for leaf, leaf_name, brands, price, spec, virtual in leaves:
            for index, brand in enumerate(brands):
                plan.append(
                    (
                        leaf,
                        f"{brand} {leaf_name} {chr(65 + index)}{len(plan) + 1:02d}",
                        price,
                        spec,
                        virtual,
                    )
                )
        states = {
            len(plan) - 1: (Product.Status.PENDING_REVIEW, ""),
            len(plan) - 2: (Product.Status.PENDING_REVIEW, ""),
            len(plan) - 3: (Product.Status.REJECTED, "主图不清晰，请补充细节图"),
            len(plan) - 4: (Product.Status.DRAFT, ""),
            len(plan) - 5: ("scheduled", ""),
        }
        created = 0
        for number, (leaf, title, price, spec, virtual) in enumerate(plan, start=1):
            code = f"DEMO-P{number:03d}"
            if Product.objects.filter(code=code).exists():
                continue
            author = specialists[number % len(specialists)]
            product = _product(
                author, code=code, title=title, leaf=leaf, price=price, spec=spec, virtual=virtual
            )
            state, reason = states.get(number - 1, (Product.Status.ON_SHELF, ""))
            _walk(product, author=author, lead=lead, to=state, reason=reason)
            created += 1
        if not Product.objects.filter(code="DEMO-FLASH").exists():
            leaf = Category.objects.get(code="rice-cooker")
            flash = _product(
                specialists[0],
                code="DEMO-FLASH",
                title="苏泊尔 电饭煲 秒杀款",
                leaf=leaf,
                price=99,
                spec=("容量", ["4L"]),
                virtual=False,
                sku_codes={0: FLASH_SKU},
                description="限时秒杀，每人限购一台。",
            )
            _walk(flash, author=specialists[0], lead=lead, to=Product.Status.ON_SHELF)
            created += 1
        _promotion(specialists[0])
        if created:
            stdout.write(f"  catalog: {created} products")


def _promotion(author) -> None:
    """A running promotion price on the first demo SKU (below its 30-day lowest)."""
    from .models import PromotionPrice, Sku

    sku = Sku.objects.filter(code="DEMO-P001-01").first()
    if sku is None or PromotionPrice.objects.filter(sku=sku).exists():
        return
    now = timezone.now()
    services.promotion_price_create(
        actor=author,
        sku=sku,
        price_amount=sku.price_amount - 20,
        starts_at=now,
        ends_at=now + timedelta(days=7),
        note="双十一预热",
    )
