"""Dispatch models in the RBAC scope matrix (tests/rbac/test_scope_matrix.py).

The matrix's subject holds the object grant ``dispatch.work_warehouse`` on one
warehouse (``make_grant_target``); each row lives in the warehouse it is given,
and that warehouse is moved into the row's sales region (through the service), so
row A is the granted east warehouse's and rows B and C the other, northern one's.
"""

from __future__ import annotations

import itertools

from tests.rbac.matrix_cases import ScopeCase

_numbers = itertools.count(1)


def _system():
    from mall.core.actors import system_actor

    return system_actor()


def _make_warehouse():
    from dispatch import services
    from dispatch.models import Warehouse
    from rbac.models import Province, SalesRegion

    number = next(_numbers)
    warehouse = services.warehouse_save(
        actor=_system(),
        code=f"WH-M{number:03d}",
        name=f"矩阵仓 {number}",
        type=Warehouse.Type.REGIONAL,
        region=SalesRegion.objects.get(code="east"),
        address="上海",
        contact_name="矩阵",
        contact_phone="000",
    )
    services.coverage_area_save(
        actor=_system(),
        warehouse=warehouse,
        province=Province.objects.resolve("上海"),
        tier=1,
        promised_days=1,
    )
    return warehouse


def _sku():
    from django.contrib.auth import get_user_model

    from catalog import services as catalog_services
    from catalog.models import Category

    system = _system()
    owner, _created = get_user_model().objects.get_or_create(
        username="matrix_owner", defaults={"is_staff": True}
    )
    leaf = Category.objects.filter(code="matrix-leaf").first()
    if leaf is None:
        root = catalog_services.category_seed(actor=system, code="matrix-root", name="矩阵")
        middle = catalog_services.category_seed(
            actor=system, code="matrix-mid", name="矩阵二", parent=root
        )
        leaf = catalog_services.category_seed(
            actor=system, code="matrix-leaf", name="矩阵三", parent=middle
        )
    number = next(_numbers)
    product = catalog_services.product_create(
        actor=system,
        code=f"MP{number:05d}",
        title=f"矩阵商品 {number}",
        category=leaf,
        owner=owner,
        skus=[{"code": f"M-SKU-{number:05d}", "price_amount": "9.00"}],
    )
    return product.skus.get()


def _stocked(region, warehouse):
    """Put the warehouse into ``region`` and 5 units of a fresh SKU into it."""
    from dispatch import services

    services.warehouse_save(actor=_system(), warehouse=warehouse, region=region)
    sku = _sku()
    document = services.purchase_inbound_create(
        actor=_system(), warehouse=warehouse, lines=[(sku.code, 5)]
    )
    services.purchase_inbound_arrive(actor=_system(), document=document)
    return sku


def _make_stock(*, region, department, owner, grant_target):
    from dispatch.models import Stock

    sku = _stocked(region, grant_target)
    return Stock.objects.get(warehouse=grant_target, sku=sku)


def _make_movement(*, region, department, owner, grant_target):
    from dispatch.models import StockMovement

    sku = _stocked(region, grant_target)
    return StockMovement.objects.filter(stock__warehouse=grant_target, stock__sku=sku).latest("pk")


def _make_shipment(*, region, department, owner, grant_target):
    from dispatch import services

    sku = _stocked(region, grant_target)
    allocation = services.allocate(
        actor=_system(), order_no=f"M{sku.pk}", province="上海", lines=[(sku.code, 1)]
    )
    return allocation.shipments.get()


def _shipped(row) -> bool:
    row.refresh_from_db()
    return row.status == "shipped"


def _safety_set(row) -> bool:
    row.refresh_from_db()
    return row.safety_stock == 3


CASES: list[ScopeCase] = [
    ScopeCase(
        id="dispatch.stock",
        model="dispatch.Stock",
        make_row=_make_stock,
        make_grant_target=_make_warehouse,
        permissions=("dispatch.view_stock", "dispatch.change_stock"),
        admin_changelist="admin:dispatch_stock_changelist",
        admin_change="admin:dispatch_stock_change",
        api_list="dispatch-stock-list",
        api_detail="dispatch-stock-detail",
        api_action="dispatch-stock-safety-stock",
        api_action_body={"safety_stock": 3},
        was_touched=_safety_set,
    ),
    ScopeCase(
        id="dispatch.stock_movement",
        model="dispatch.StockMovement",
        make_row=_make_movement,
        make_grant_target=_make_warehouse,
        permissions=("dispatch.view_stockmovement",),
        admin_changelist="admin:dispatch_stockmovement_changelist",
        admin_change="admin:dispatch_stockmovement_change",
        api_list="dispatch-movement-list",
        api_detail="dispatch-movement-detail",
    ),
    ScopeCase(
        id="dispatch.shipment",
        model="dispatch.Shipment",
        make_row=_make_shipment,
        make_grant_target=_make_warehouse,
        permissions=("dispatch.view_shipment", "dispatch.change_shipment"),
        admin_changelist="admin:dispatch_shipment_changelist",
        admin_change="admin:dispatch_shipment_change",
        api_list="dispatch-shipment-list",
        api_detail="dispatch-shipment-detail",
        api_action="dispatch-shipment-ship",
        api_action_body={"waybill_no": "SF-MATRIX"},
        was_touched=_shipped,
    ),
]
