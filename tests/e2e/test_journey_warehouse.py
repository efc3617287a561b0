"""Browser journey: the WH-SH clerk's receiving day.

``warehouse_sh`` (demo data) opens the workbench, follows the low-stock tile to the
stock list (WH-SH rows only), writes a purchase inbound with the SKU search in the
line rows, books its arrival with the button on the document's page, and sees the
units on hand — every page in Chinese, without raw codes.
"""

from __future__ import annotations

import importlib
import io

import pytest
from playwright.sync_api import expect

from dispatch.models import PurchaseInbound, Stock
from tests.conftest import PASSWORD
from tests.e2e.helpers import admin_login, assert_no_raw_codes, shoot, visible_text

SUPPLIER = "美的供应链（浏览器测试）"


@pytest.fixture
def demo(settings, tmp_path):
    from django.contrib.auth import get_user_model

    settings.MEDIA_ROOT = tmp_path / "media"
    out = io.StringIO()
    get_user_model().objects.get_or_create(username="admin", defaults={"is_staff": True})
    for app in ("rbac", "catalog", "dispatch"):
        importlib.import_module(f"{app}.demo").seed(stdout=out)
    return out


def _no_raw_codes(page) -> None:
    """``assert_no_raw_codes``, icon ligatures aside (``inventory_2`` is a picture, not text)."""
    icons = page.locator(".material-symbols-outlined").all_inner_texts()
    assert_no_raw_codes(page, allowed=frozenset(icon.strip() for icon in icons))


def test_the_clerk_receives_a_purchase_with_the_sku_search(page, live_server, demo):
    from catalog.models import Sku

    base = live_server.url
    admin_login(page, base, "warehouse_sh", PASSWORD)

    # The workbench: low-stock alerts and the purchase on its way, in the clerk's scope.
    tile = page.locator("[data-tile='dispatch.low_stock']")
    assert "低库存预警" in tile.inner_text()
    assert tile.locator(".tile-count").inner_text().strip() == "2"
    assert "各仓库库存预警数" in visible_text(page)
    assert "待处理调拨/入库" in visible_text(page)
    _no_raw_codes(page)
    shoot(page, "warehouse-01-workbench")

    # The tile leads to the stock list filtered to rows below safety stock: WH-SH only.
    tile.click()
    page.wait_for_url("**/admin/dispatch/stock/?alert=below_safety")
    text = visible_text(page)
    for label in (
        "商品",
        "SKU 编码",
        "规格",
        "仓库",
        "在库",
        "锁定",
        "可售",
        "安全库存",
    ):
        assert label in text, label
    assert "库存预警" in page.content() and "可售为 0" in page.content()  # the filter panel
    warehouses = set(page.locator("#result_list td.field-warehouse_name").all_inner_texts())
    assert warehouses == {"上海中心仓"}
    assert len(page.locator("#result_list tbody tr").all()) == 2
    _no_raw_codes(page)
    shoot(page, "warehouse-02-low-stock")

    page.goto(f"{base}/admin/dispatch/stock/")
    warehouses = set(page.locator("#result_list td.field-warehouse_name").all_inner_texts())
    assert warehouses == {"上海中心仓"}, "the clerk sees WH-SH rows only"

    # A new purchase inbound: the clerk's only warehouse is preselected.
    sku = Sku.objects.select_related("product").get(code="DEMO-P003-01")
    before = Stock.objects.get(warehouse__code="WH-SH", sku=sku)
    page.goto(f"{base}/admin/dispatch/purchaseinbound/add/")
    assert page.locator("#id_warehouse option:checked").inner_text().endswith("上海中心仓")
    page.fill("#id_supplier_name", SUPPLIER)
    page.fill("#id_note", "周六到货")

    # The SKU search in the first line row: type part of the product name, pick the SKU.
    page.locator("#id_lines-0-sku + .select2 .select2-selection").click()
    page.locator(".select2-search__field").fill(sku.product.title.split()[-1])
    option = page.locator(".select2-results__option", has_text=sku.code)
    option.wait_for()
    expect(page.locator(".select2-results__option.loading-results")).to_have_count(0)
    offered = option.inner_text()
    assert sku.product.title in offered and "可售 60" in offered, offered
    shoot(page, "warehouse-03-sku-search")
    option.click()
    page.fill("#id_lines-0-quantity", "24")
    _no_raw_codes(page)
    shoot(page, "warehouse-04-inbound-form")
    page.locator("[name=_save]").click()
    page.wait_for_url("**/admin/dispatch/purchaseinbound/")

    document = PurchaseInbound.objects.get(supplier_name=SUPPLIER)
    assert document.warehouse.code == "WH-SH"
    assert [(line.sku_id, line.quantity) for line in document.lines.all()] == [(sku.pk, 24)]
    row = page.locator("#result_list tbody tr", has_text=document.document_no)
    assert "在途" in row.inner_text() and "陈仓" in row.inner_text()
    _no_raw_codes(page)
    shoot(page, "warehouse-05-inbound-list")

    # The document's page is read-only; the arrival is a button with a dialog.
    row.locator("a").first.click()
    page.wait_for_url(f"**/admin/dispatch/purchaseinbound/{document.pk}/change/")
    assert page.locator("#id_supplier_name").count() == 0, "no inputs on a written document"
    assert sku.product.title in visible_text(page)
    _no_raw_codes(page)
    shoot(page, "warehouse-06-inbound-page")
    page.get_by_text("确认到货").first.click()
    dialog_button = page.locator("dialog button[type=submit], form button[type=submit]").filter(
        has_text="确认到货"
    )
    dialog_button.last.click()
    expect(page.locator("body")).to_contain_text("已到货")  # the page again, after the POST
    document.refresh_from_db()
    assert document.status == PurchaseInbound.Status.ARRIVED
    assert page.get_by_role("link", name="确认到货").count() == 0
    _no_raw_codes(page)
    shoot(page, "warehouse-07-arrived")

    after = Stock.objects.get(pk=before.pk)
    assert after.on_hand == before.on_hand + 24 and after.in_transit == before.in_transit

    # The ledger names what happened, in Chinese.
    page.goto(f"{base}/admin/dispatch/stockmovement/?q={document.document_no}")
    text = visible_text(page)
    assert "采购到货" in text and "采购在途" in text and "采购入库" in text
    assert "purchase_inbound" not in text and "purchase_arrival" not in text
    _no_raw_codes(page)
    shoot(page, "warehouse-08-movements")
