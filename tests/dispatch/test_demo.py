"""The dispatch demo data: warehouses, coverage, stock, exactly 10 flash-sale units."""

from __future__ import annotations

import importlib.util
import io

import pytest

from catalog.availability import sellable_stock
from catalog.models import Sku
from dispatch import demo
from dispatch.models import CoverageArea, Stock, Warehouse
from dispatch.selectors import stock_ledger_mismatches
from mall.core.actors import system_actor
from rbac.models import Province

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded(make_sku, settings):
    from django.contrib.auth import get_user_model

    out = io.StringIO()
    get_user_model().objects.get_or_create(username="admin", defaults={"is_staff": True})
    importlib.import_module("rbac.demo").seed(stdout=out)
    if importlib.util.find_spec("catalog.demo") is not None:
        importlib.import_module("catalog.demo").seed(stdout=out)
    if not Sku.objects.filter(code=demo.FLASH_SKU).exists():
        make_sku(demo.FLASH_SKU)
        make_sku()
    demo.seed(stdout=out)
    return out


def test_the_demo_has_the_four_warehouses_covering_every_province(seeded):
    assert set(Warehouse.objects.values_list("code", flat=True)) >= {
        "WH-SH",
        "WH-BJ",
        "WH-GZ",
        "WH-SUP-HZ",
    }
    assert Warehouse.objects.get(code="WH-SUP-HZ").type == Warehouse.Type.SUPPLIER
    for province in Province.objects.all():
        assert CoverageArea.objects.filter(province=province).exists(), province.name
    shanghai = Province.objects.resolve("上海")
    assert CoverageArea.objects.get(province=shanghai, tier=1).warehouse.code == "WH-SH"


def test_every_demo_sku_has_stock_and_the_flash_sku_exactly_ten(seeded):
    flash = Sku.objects.get(code=demo.FLASH_SKU)
    assert sellable_stock([flash.pk]) == {flash.pk: 10}
    for sku in Sku.objects.all():
        assert Stock.objects.filter(sku=sku, on_hand__gt=0).exists(), sku.code
    assert stock_ledger_mismatches(actor=system_actor()) == []


def test_seeding_twice_changes_nothing(seeded):
    stock = list(Stock.objects.order_by("pk").values_list("on_hand", "reserved", "safety_stock"))
    demo.seed(stdout=io.StringIO())
    assert (
        list(Stock.objects.order_by("pk").values_list("on_hand", "reserved", "safety_stock"))
        == stock
    )


def test_warehouse_sh_works_on_wh_sh_only(seeded):
    from django.contrib.auth import get_user_model

    from dispatch.selectors import stock_list

    clerk = get_user_model().objects.get(username="warehouse_sh")
    codes = set(stock_list(actor=clerk).values_list("warehouse__code", flat=True))
    assert codes == {"WH-SH"}
