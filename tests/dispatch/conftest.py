"""Fixtures of the dispatch tests: SKUs, three warehouses with coverage, a carrier, stock."""

from __future__ import annotations

import itertools

import pytest

from catalog import services as catalog_services
from dispatch import services
from dispatch.models import Warehouse
from mall.core.actors import system_actor
from rbac.models import Province, SalesRegion

_counter = itertools.count(1)

CLERK_PERMS = (
    "dispatch.view_stock",
    "dispatch.change_stock",
    "dispatch.view_stockmovement",
    "dispatch.view_shipment",
    "dispatch.change_shipment",
    "dispatch.view_warehouse",
    "dispatch.view_purchaseinbound",
    "dispatch.add_purchaseinbound",
    "dispatch.change_purchaseinbound",
    "dispatch.add_stocktake",
    "dispatch.view_stocktake",
    "dispatch.add_stocksnapshot",
    "dispatch.view_stocksnapshot",
    "dispatch.change_stocksnapshot",
    "dispatch.add_transfer",
    "dispatch.change_transfer",
    "dispatch.view_transfer",
    "dispatch.add_returnreceipt",
    "dispatch.view_returnreceipt",
)


@pytest.fixture
def actor(db):
    return system_actor()


@pytest.fixture
def category(actor):
    root = catalog_services.category_seed(actor=actor, code="t-root", name="家居")
    middle = catalog_services.category_seed(actor=actor, code="t-mid", name="厨具", parent=root)
    return catalog_services.category_seed(actor=actor, code="t-leaf", name="锅", parent=middle)


@pytest.fixture
def product_owner(db):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.create_user(
        username="owner", password="mall-demo-2026", is_staff=True
    )


@pytest.fixture
def make_sku(category, actor, product_owner):
    def make(code: str | None = None, *, owner=None):
        number = next(_counter)
        code = code or f"T-SKU-{number:04d}"
        product = catalog_services.product_create(
            actor=actor,
            code=f"TP{number:05d}",
            title=f"测试商品 {number}",
            category=category,
            owner=owner or product_owner,
            skus=[{"code": code, "price_amount": "99.00"}],
        )
        return product.skus.get()

    return make


@pytest.fixture
def province():
    def get(name: str) -> Province:
        return Province.objects.resolve(name)

    return get


@pytest.fixture
def warehouses(actor, province):
    """WH-SH (east, tier 1 for 上海/江苏), WH-BJ (north), WH-GZ (south); all tier ≤ 3 nationwide."""
    regions = {r.code: r for r in SalesRegion.objects.all()}
    made = {}
    for code, name, region in (
        ("WH-SH", "上海仓", "east"),
        ("WH-BJ", "北京仓", "north"),
        ("WH-GZ", "广州仓", "south"),
    ):
        made[code] = services.warehouse_save(
            actor=actor,
            code=code,
            name=name,
            type=Warehouse.Type.REGIONAL,
            region=regions[region],
            address=f"{name}地址",
            contact_name="张三",
            contact_phone="021-00000000",
        )
    for provinces, warehouse in (
        (["上海", "江苏"], "WH-SH"),
        (["北京"], "WH-BJ"),
        (["广东"], "WH-GZ"),
    ):
        for name in provinces:
            services.coverage_area_save(
                actor=actor,
                warehouse=made[warehouse],
                province=province(name),
                tier=1,
                promised_days=1,
            )
    # Second tier: BJ serves 上海 in 3 days; third tier: GZ serves 上海 in 4 days.
    services.coverage_area_save(
        actor=actor, warehouse=made["WH-BJ"], province=province("上海"), tier=2, promised_days=3
    )
    services.coverage_area_save(
        actor=actor, warehouse=made["WH-GZ"], province=province("上海"), tier=3, promised_days=4
    )
    carrier = services.carrier_save(actor=actor, code="sf", name="顺丰速运")
    services.carrier_rule_save(
        actor=actor,
        carrier=carrier,
        first_item_fee_amount="12.00",
        additional_item_fee_amount="2.00",
    )
    return made


@pytest.fixture
def put_stock(actor):
    """Bring units on hand through the ledger (purchase in transit → arrival)."""

    def put(warehouse, sku, quantity: int):
        document = services.purchase_inbound_create(
            actor=actor, warehouse=warehouse, lines=[(sku.code, quantity)]
        )
        services.purchase_inbound_arrive(actor=actor, document=document)

    return put


@pytest.fixture
def clerk(actor, warehouses):
    """``warehouse_sh``: a granted-objects role plus the object grant on WH-SH only."""
    from django.contrib.auth import get_user_model

    from rbac import services as rbac_services
    from rbac.models import ScopeKind

    user = get_user_model().objects.create_user(
        username="warehouse_sh", password="mall-demo-2026", is_staff=True
    )
    role = rbac_services.role_create(
        actor=actor,
        code="warehouse_clerk_t",
        name="仓管员",
        scope_kind=ScopeKind.GRANTED_OBJECTS,
        permissions=CLERK_PERMS,
    )
    rbac_services.role_assign(actor=actor, user=user, role=role)
    rbac_services.object_permission_grant(
        actor=actor, user=user, perm="dispatch.work_warehouse", obj=warehouses["WH-SH"]
    )
    return get_user_model().objects.get(pk=user.pk)
