"""Demo data of the dispatch centre (DESIGN.md §7), written through the services.

* warehouses ``WH-SH`` (Shanghai, covers east), ``WH-BJ`` (Beijing, covers north and
  north-east), ``WH-GZ`` (Guangzhou, covers south) and the supplier warehouse
  ``WH-SUP-HZ``, with coverage for every province (tiers 1–3);
* carriers with cost rules;
* stock for every SKU the catalog demo created, brought in through purchase
  inbounds; ``DEMO-FLASH-001`` has exactly 10 sellable units in total;
* a receiving day at ``WH-SH``: two SKUs below their safety stock (low-stock alerts on
  the workbench) and a purchase on its way in, waiting to be booked as arrived;
* ``warehouse_sh`` works on ``WH-SH`` only (object grant), the clerk role and the
  regional ops roles get their dispatch permissions.

Idempotent: existing rows are kept; stock is only brought in for SKUs without any.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import transaction

from mall.core.actors import system_actor
from rbac.models import Province, SalesRegion

from . import services
from .models import Carrier, CoverageArea, Stock, Warehouse

FLASH_SKU = "DEMO-FLASH-001"
FLASH_UNITS = {"WH-SH": 6, "WH-BJ": 4}  # exactly 10 sellable in total

WAREHOUSES = [
    # code, name, type, region, address, contact, phone
    (
        "WH-SH",
        "上海中心仓",
        Warehouse.Type.CENTRAL,
        "east",
        "上海市嘉定区安亭镇墨玉路 88 号",
        "陈仓",
        "021-39990001",
    ),
    (
        "WH-BJ",
        "北京区域仓",
        Warehouse.Type.REGIONAL,
        "north",
        "北京市大兴区亦庄经济开发区 16 号",
        "赵仓",
        "010-59990002",
    ),
    (
        "WH-GZ",
        "广州区域仓",
        Warehouse.Type.REGIONAL,
        "south",
        "广东省广州市黄埔区开发大道 8 号",
        "黄仓",
        "020-89990003",
    ),
    (
        "WH-SUP-HZ",
        "杭州供应商协同仓",
        Warehouse.Type.SUPPLIER,
        "east",
        "浙江省杭州市余杭区仓前街道 1 号",
        "周供",
        "0571-89990004",
    ),
]

# warehouse → {region code: (tier, promised days)}; provinces not listed get tier 3.
COVERAGE = {
    "WH-SH": {"east": (1, 1), "central": (2, 2)},
    "WH-BJ": {"north": (1, 1), "northeast": (1, 2), "northwest": (2, 3)},
    "WH-GZ": {"south": (1, 1), "southwest": (2, 2), "central": (2, 2)},
    "WH-SUP-HZ": {"east": (2, 2)},
}
FALLBACK = {"WH-SH": (3, 4), "WH-BJ": (3, 4), "WH-GZ": (3, 4), "WH-SUP-HZ": (3, 5)}

CARRIERS = [
    (
        "sf",
        "顺丰速运",
        "https://www.sf-express.com/track?waybill={waybill_no}",
        "12.00",
        "2.00",
        50,
    ),
    ("zto", "中通快递", "https://www.zto.com/track?waybill={waybill_no}", "8.00", "1.50", 100),
    (
        "ems",
        "中国邮政 EMS",
        "https://www.ems.com.cn/track?waybill={waybill_no}",
        "15.00",
        "3.00",
        100,
    ),
]
REMOTE_PROVINCES = ["西藏", "新疆"]  # only EMS delivers there in the demo

# Regular demo SKUs: units per warehouse and the safety stock at WH-SH.
REGULAR_UNITS = {"WH-SH": 60, "WH-BJ": 30, "WH-GZ": 30}
SUPPLIER_UNITS = 100
SAFETY_STOCK = 10
LOW_SAFETY_STOCK = 80  # two WH-SH SKUs get this: 60 on hand is below it (alerts)
ARRIVING_SUPPLIER = "苏泊尔供应链"

CLERK_PERMISSIONS = [
    "dispatch.view_warehouse",
    "dispatch.view_stock",
    "dispatch.change_stock",
    "dispatch.view_stockmovement",
    "dispatch.view_shipment",
    "dispatch.change_shipment",
    "dispatch.view_trackingevent",
    "dispatch.view_purchaseinbound",
    "dispatch.add_purchaseinbound",
    "dispatch.change_purchaseinbound",
    "dispatch.view_transfer",
    "dispatch.add_transfer",
    "dispatch.change_transfer",
    "dispatch.view_stocktake",
    "dispatch.add_stocktake",
    "dispatch.view_returnreceipt",
    "dispatch.add_returnreceipt",
    "dispatch.view_stocksnapshot",
    "dispatch.add_stocksnapshot",
    "dispatch.change_stocksnapshot",
    "dispatch.view_stocksnapshotline",
    "dispatch.view_carrier",
    "dispatch.view_carrierrule",
    "dispatch.view_coveragearea",
]
OPS_PERMISSIONS = [
    "dispatch.view_warehouse",
    "dispatch.view_stock",
    "dispatch.view_stockmovement",
    "dispatch.view_allocation",
    "dispatch.view_shipment",
    "dispatch.view_carrier",
]


def _warehouses(actor) -> dict[str, Warehouse]:
    regions = {r.code: r for r in SalesRegion.objects.all()}
    found = {w.code: w for w in Warehouse.objects.all()}
    for code, name, kind, region, address, contact, phone in WAREHOUSES:
        if code not in found:
            found[code] = services.warehouse_save(
                actor=actor,
                code=code,
                name=name,
                type=kind,
                region=regions[region],
                address=address,
                contact_name=contact,
                contact_phone=phone,
            )
    return found


def _coverage(actor, warehouses) -> None:
    existing = set(CoverageArea.objects.values_list("warehouse_id", "province_id"))
    provinces = list(Province.objects.select_related("region"))
    for code, by_region in COVERAGE.items():
        warehouse = warehouses[code]
        for province in provinces:
            if (warehouse.pk, province.pk) in existing:
                continue
            tier, days = by_region.get(province.region.code, FALLBACK[code])
            services.coverage_area_save(
                actor=actor, warehouse=warehouse, province=province, tier=tier, promised_days=days
            )


def _carriers(actor) -> None:
    for code, name, url, first, additional, priority in CARRIERS:
        if Carrier.objects.filter(code=code).exists():
            continue
        carrier = services.carrier_save(actor=actor, code=code, name=name, tracking_url=url)
        if code == "ems":
            for province in Province.objects.filter(name__in=REMOTE_PROVINCES):
                services.carrier_rule_save(
                    actor=actor,
                    carrier=carrier,
                    province=province,
                    first_item_fee_amount="6.00",
                    additional_item_fee_amount="1.00",
                    priority=10,
                )
        services.carrier_rule_save(
            actor=actor,
            carrier=carrier,
            first_item_fee_amount=first,
            additional_item_fee_amount=additional,
            priority=priority,
        )


def _stock(actor, warehouses, stdout) -> None:
    from catalog.models import Sku

    stocked = set(Stock.objects.values_list("sku_id", flat=True).distinct())
    skus = [sku for sku in Sku.objects.order_by("pk") if sku.pk not in stocked]
    if not Sku.objects.filter(code=FLASH_SKU).exists():
        stdout.write(f"  dispatch: {FLASH_SKU} does not exist (catalog demo missing?)")
    by_warehouse: dict[str, list[tuple[str, int]]] = {code: [] for code in warehouses}
    for index, sku in enumerate(skus):
        if sku.code == FLASH_SKU:
            for code, units in FLASH_UNITS.items():
                by_warehouse[code].append((sku.code, units))
            continue
        for code, units in REGULAR_UNITS.items():
            by_warehouse[code].append((sku.code, units))
        if index % 3 == 0:  # the supplier carries every third product
            by_warehouse["WH-SUP-HZ"].append((sku.code, SUPPLIER_UNITS))
    for code, lines in by_warehouse.items():
        if not lines:
            continue
        document = services.purchase_inbound_create(
            actor=actor,
            warehouse=warehouses[code],
            lines=lines,
            supplier_name="演示供应商",
            note="期初库存（演示）",
        )
        services.purchase_inbound_arrive(actor=actor, document=document)
    for stock in Stock.objects.filter(
        warehouse=warehouses["WH-SH"], sku__in=[s.pk for s in skus if s.code != FLASH_SKU]
    ):
        services.stock_safety_set(actor=actor, stock=stock, safety_stock=SAFETY_STOCK)
    if skus:
        stdout.write(f"  dispatch: stock for {len(skus)} SKUs")
        _receiving_day(actor, warehouses, [s for s in skus if s.code != FLASH_SKU], stdout)


def _receiving_day(actor, warehouses, skus, stdout) -> None:
    """Work waiting at WH-SH: two SKUs below safety stock and a purchase on its way in."""
    shanghai = warehouses["WH-SH"]
    for stock in Stock.objects.filter(warehouse=shanghai, sku__in=skus[:2]):
        services.stock_safety_set(actor=actor, stock=stock, safety_stock=LOW_SAFETY_STOCK)
    if skus[:2]:
        services.purchase_inbound_create(
            actor=actor,
            warehouse=shanghai,
            lines=[(sku.code, 40) for sku in skus[:2]],
            supplier_name=ARRIVING_SUPPLIER,
            note="补货：低于安全库存",
        )
        stdout.write("  dispatch: WH-SH has 2 low-stock SKUs and a purchase on its way")


def _grants(actor, warehouses, stdout) -> None:
    from rbac.demo import grant_role_permissions
    from rbac.services import object_permission_grant

    grant_role_permissions("warehouse_clerk", CLERK_PERMISSIONS)
    for role in ("order_ops_east", "order_ops_north", "ops_lead"):
        grant_role_permissions(role, OPS_PERMISSIONS)
    clerk = get_user_model().objects.filter(username="warehouse_sh").first()
    if clerk is None:
        stdout.write("  dispatch: user warehouse_sh missing (rbac demo not run?)")
        return
    if not clerk.has_perm("dispatch.work_warehouse", warehouses["WH-SH"]):
        object_permission_grant(
            actor=actor, user=clerk, perm="dispatch.work_warehouse", obj=warehouses["WH-SH"]
        )


def stock_new_demo_skus(*, stdout) -> None:
    """Bring demo stock in for SKUs created after this demo ran (another app's demo
    products), so seeding again adds nothing."""
    actor = system_actor()
    with transaction.atomic():
        _stock(actor, _warehouses(actor), stdout)


def seed(*, stdout) -> None:
    actor = system_actor()
    with transaction.atomic():
        warehouses = _warehouses(actor)
        _coverage(actor, warehouses)
        _carriers(actor)
        _stock(actor, warehouses, stdout)
        _grants(actor, warehouses, stdout)
