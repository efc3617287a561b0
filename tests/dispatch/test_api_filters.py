"""Filtering the dispatch lists: codes people type, strict booleans, 400 on bad values."""

from __future__ import annotations

import pytest

from dispatch import services
from dispatch.models import Stock

pytestmark = pytest.mark.django_db

BASE = "/api/v1/dispatch"


@pytest.fixture
def two_skus(actor, warehouses, make_sku, put_stock):
    low, plenty = make_sku(), make_sku()
    for sku in (low, plenty):
        put_stock(warehouses["WH-SH"], sku, 5)
        put_stock(warehouses["WH-BJ"], sku, 5)
    row = Stock.objects.get(warehouse=warehouses["WH-SH"], sku=low)
    services.stock_safety_set(actor=actor, stock=row, safety_stock=8)
    return low, plenty


def _rows(response) -> list[dict]:
    assert response.status_code == 200, response.content
    return response.json()["results"]


def test_stock_is_filtered_by_warehouse_and_sku_code(superuser, staff_client, two_skus):
    low, _plenty = two_skus
    rows = _rows(staff_client(superuser).get(f"{BASE}/stock/?warehouse=WH-BJ&sku={low.code}"))
    assert [(row["warehouse"], row["sku"]) for row in rows] == [("WH-BJ", low.code)]


def test_low_true_lists_only_rows_below_their_safety_stock_and_false_lists_all(
    superuser, staff_client, two_skus
):
    low, _plenty = two_skus
    client = staff_client(superuser)
    rows = _rows(client.get(f"{BASE}/stock/?low=true"))
    assert [(row["warehouse"], row["sku"]) for row in rows] == [("WH-SH", low.code)]
    assert len(_rows(client.get(f"{BASE}/stock/?low=false"))) == 4


@pytest.mark.parametrize(
    "query",
    ["stock/?low=maybe", "stock/?low=1", "shipments/?is_stale=yes", "shipments/?status=lost"],
)
def test_a_filter_value_that_is_not_allowed_is_a_400_not_a_guess(
    superuser, staff_client, two_skus, query
):
    response = staff_client(superuser).get(f"{BASE}/{query}")
    assert response.status_code == 400
    field = query.split("?")[1].split("=")[0]
    assert field in response.json()["error"]["fields"]


def test_movements_are_filtered_by_kind_and_document_number(
    actor, superuser, staff_client, warehouses, make_sku
):
    sku = make_sku()
    document = services.purchase_inbound_create(
        actor=actor, warehouse=warehouses["WH-SH"], lines=[(sku.code, 3)]
    )
    services.purchase_inbound_arrive(actor=actor, document=document)
    client = staff_client(superuser)

    rows = _rows(
        client.get(f"{BASE}/movements/?reference_no={document.document_no}&kind=purchase_arrival")
    )
    assert [(row["kind"], row["on_hand_delta"]) for row in rows] == [("purchase_arrival", 3)]
    assert client.get(f"{BASE}/movements/?kind=teleport").status_code == 400


def test_shipments_and_allocations_are_filtered_by_order_number_and_staleness(
    actor, superuser, staff_client, two_skus
):
    low, _plenty = two_skus
    services.allocate(actor=actor, order_no="F1", province="上海", lines=[(low.code, 1)])
    services.allocate(actor=actor, order_no="F2", province="北京", lines=[(low.code, 1)])
    client = staff_client(superuser)

    assert [s["order_no"] for s in _rows(client.get(f"{BASE}/shipments/?order_no=F2"))] == ["F2"]
    assert [a["order_no"] for a in _rows(client.get(f"{BASE}/allocations/?order_no=F1"))] == ["F1"]
    assert _rows(client.get(f"{BASE}/shipments/?is_stale=true")) == []
    assert len(_rows(client.get(f"{BASE}/shipments/?is_stale=false&warehouse=WH-BJ"))) == 1
