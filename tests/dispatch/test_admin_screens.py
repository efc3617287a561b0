"""Admin screens for people: stock alerts and export, the SKU search, document rows and
buttons, the workbench — each in the reader's warehouse scope."""

from __future__ import annotations

import io
import json

import pytest
from django.test import Client
from django.urls import reverse

from dispatch import services
from dispatch.models import PurchaseInbound, Stock, Stocktake
from ops.workbench import workbench

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def shelves(actor, warehouses, make_sku, put_stock):
    """Three SKUs: ``low`` under its safety stock at WH-SH and BJ, ``empty`` sold out at
    WH-SH, ``fine`` above its safety stock."""
    low, empty, fine = make_sku(), make_sku(), make_sku()
    for warehouse in ("WH-SH", "WH-BJ"):
        put_stock(warehouses[warehouse], low, 3)
        put_stock(warehouses[warehouse], fine, 30)
        for sku in (low, fine):
            stock = Stock.objects.get(warehouse=warehouses[warehouse], sku=sku)
            services.stock_safety_set(actor=actor, stock=stock, safety_stock=5)
    put_stock(warehouses["WH-SH"], empty, 1)
    services.allocate(actor=actor, order_no="SCR1", province="上海", lines=[(empty.code, 1)])
    return {"low": low, "empty": empty, "fine": fine}


def _rows(response) -> set[tuple[str, str]]:
    return {(row.warehouse.code, row.sku.code) for row in response.context["cl"].result_list}


def test_the_stock_alert_filters_list_the_readers_rows_below_safety_and_at_zero(
    clerk, superuser, shelves
):
    url = reverse("admin:dispatch_stock_changelist")
    low, empty = shelves["low"].code, shelves["empty"].code

    assert _rows(_client(clerk).get(f"{url}?alert=below_safety")) == {("WH-SH", low)}
    assert _rows(_client(superuser).get(f"{url}?alert=below_safety")) == {
        ("WH-SH", low),
        ("WH-BJ", low),
    }
    assert _rows(_client(clerk).get(f"{url}?alert=sellable_zero")) == {("WH-SH", empty)}
    page = _client(clerk).get(url).content.decode()
    for label in ("库存预警", "低于安全库存", "可售为 0", "商品", "规格", "安全库存"):
        assert label in page, label


def test_the_stock_export_holds_the_selected_rows_in_scope_with_names(clerk, shelves, warehouses):
    from openpyxl import load_workbook

    every = list(Stock.objects.values_list("pk", flat=True))
    response = _client(clerk).post(
        reverse("admin:dispatch_stock_changelist"),
        {"action": "export_selected", "_selected_action": every},
    )
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:4] == ("商品", "SKU 编码", "规格", "仓库")
    assert {row[3] for row in rows[1:]} == {warehouses["WH-SH"].name}
    assert len(rows) - 1 == Stock.objects.filter(warehouse=warehouses["WH-SH"]).count()


def test_the_sku_search_counts_the_readers_warehouses_only(clerk, superuser, shelves, make_staff):
    url = reverse("admin:dispatch_stock_sku_search")
    low = shelves["low"]

    answer = _client(clerk).get(url, {"term": low.code}).json()
    assert [item["id"] for item in answer["results"]] == [str(low.pk)]
    text = answer["results"][0]["text"]
    assert low.product.title in text and low.code in text and "（可售 3）" in text

    every = _client(superuser).get(url, {"term": low.code}).json()["results"][0]["text"]
    assert "（可售 6）" in every  # WH-SH and WH-BJ

    assert _client(make_staff("reader", perms=("dispatch.view_stock",))).get(url).status_code == 403


def test_a_stocktake_is_typed_as_rows_and_its_page_is_read_only(clerk, shelves, warehouses):
    low = shelves["low"]
    response = _client(clerk).post(
        reverse("admin:dispatch_stocktake_add"),
        {
            "warehouse": warehouses["WH-SH"].pk,
            "note": "月末盘点",
            "lines-TOTAL_FORMS": "2",
            "lines-INITIAL_FORMS": "0",
            "lines-MIN_NUM_FORMS": "1",
            "lines-MAX_NUM_FORMS": "1000",
            "lines-0-sku": low.pk,
            "lines-0-counted": "2",
            "lines-1-sku": "",
            "lines-1-counted": "",
        },
    )
    assert response.status_code == 302
    document = Stocktake.objects.get(note="月末盘点")
    line = document.lines.get()
    assert (line.sku_id, line.book_quantity, line.counted, line.difference) == (low.pk, 3, 2, -1)

    page = _client(clerk).get(reverse("admin:dispatch_stocktake_change", args=[document.pk]))
    html = page.content.decode()
    assert page.status_code == 200
    assert 'name="note"' not in html and "月末盘点" in html and low.product.title in html


def test_the_add_form_preselects_the_clerks_only_warehouse(clerk, superuser, warehouses):
    url = reverse("admin:dispatch_purchaseinbound_add")
    form = _client(clerk).get(url).context["adminform"].form
    assert form["warehouse"].value() == warehouses["WH-SH"].pk
    assert list(form.fields["warehouse"].queryset) == [warehouses["WH-SH"]]
    assert _client(superuser).get(url).context["adminform"].form["warehouse"].value() is None


def test_booking_the_arrival_is_a_button_that_disappears_afterwards(
    actor, clerk, shelves, warehouses
):
    document = services.purchase_inbound_create(
        actor=actor, warehouse=warehouses["WH-SH"], lines=[(shelves["low"].code, 10)]
    )
    client = _client(clerk)
    change = reverse("admin:dispatch_purchaseinbound_change", args=[document.pk])
    button = f"/admin/dispatch/purchaseinbound/{document.pk}/arrive-button/"
    assert button in client.get(change).content.decode()

    assert client.get(button).status_code == 200  # the dialog: nothing happens yet
    document.refresh_from_db()
    assert document.status == PurchaseInbound.Status.IN_TRANSIT

    assert client.post(button, {"_form_submitted": "on"}).status_code == 302
    document.refresh_from_db()
    assert document.status == PurchaseInbound.Status.ARRIVED
    assert button not in client.get(change).content.decode()
    assert client.post(button, {"_form_submitted": "on"}).status_code == 403


def test_lists_name_kinds_documents_and_people_in_chinese(clerk, shelves):
    html = _client(clerk).get(reverse("admin:dispatch_stockmovement_changelist")).content
    html = html.decode()
    assert "采购到货" in html and "采购入库" in html
    table = html[html.index('id="result_list"') :]
    body = table[table.index("<tbody") : table.index("</tbody>")]  # the rows people read
    assert "purchase_arrival" not in body and "purchase_inbound" not in body


def test_the_workbench_counts_low_stock_in_the_readers_scope(clerk, superuser, shelves, make_staff):
    def tiles(user):
        return {tile["key"]: tile for tile in workbench(actor=user)["tiles"]}

    assert tiles(clerk)["dispatch.low_stock"]["count"] == 1
    assert tiles(superuser)["dispatch.low_stock"]["count"] == 2
    assert "alert=below_safety" in tiles(clerk)["dispatch.low_stock"]["link"]
    chart = {c["key"]: c for c in workbench(actor=clerk)["charts"]}["dispatch.alerts_per_warehouse"]
    data = json.loads(chart["data"])
    assert data["labels"] == ["上海仓"] and data["datasets"][0]["data"] == [1]

    outsider = make_staff("outsider", perms=("catalog.view_product",))
    assert "dispatch.low_stock" not in tiles(outsider)


def test_the_documents_waiting_tile_counts_what_comes_to_the_readers_warehouse(
    actor, clerk, shelves, warehouses
):
    def waiting():
        tiles = {tile["key"]: tile for tile in workbench(actor=clerk)["tiles"]}
        return tiles["dispatch.documents_waiting"]["count"]

    assert waiting() == 0
    services.purchase_inbound_create(
        actor=actor, warehouse=warehouses["WH-SH"], lines=[(shelves["fine"].code, 1)]
    )
    services.purchase_inbound_create(
        actor=actor, warehouse=warehouses["WH-BJ"], lines=[(shelves["fine"].code, 1)]
    )
    services.transfer_create(
        actor=actor,
        from_warehouse=warehouses["WH-BJ"],
        to_warehouse=warehouses["WH-SH"],
        lines=[(shelves["fine"].code, 1)],
    )
    assert waiting() == 2  # the WH-SH purchase and the transfer to WH-SH
