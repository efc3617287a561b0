"""Staff API: status codes, shapes, the clerk's scope, constant query counts."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from dispatch import services
from dispatch.models import Shipment, Stock, StockSnapshot

pytestmark = pytest.mark.django_db

BASE = "/api/v1/dispatch"


@pytest.fixture
def stocked(actor, warehouses, make_sku, put_stock):
    sku = make_sku()
    for code in ("WH-SH", "WH-BJ"):
        put_stock(warehouses[code], sku, 5)
    return sku


def test_the_clerk_lists_only_their_warehouse_stock(clerk, staff_client, stocked, warehouses):
    response = staff_client(clerk).get(f"{BASE}/stock/")
    assert response.status_code == 200
    assert {row["warehouse"] for row in response.json()["results"]} == {"WH-SH"}
    row = response.json()["results"][0]
    assert row["sku"] == stocked.code and row["on_hand"] == 5 and row["sellable"] == 5


def test_stock_of_another_warehouse_is_not_found_for_the_clerk(
    clerk, staff_client, stocked, warehouses
):
    other = Stock.objects.get(warehouse=warehouses["WH-BJ"], sku=stocked)
    client = staff_client(clerk)
    assert client.get(f"{BASE}/stock/{other.pk}/").status_code == 404
    response = client.post(
        f"{BASE}/stock/{other.pk}/safety-stock/", {"safety_stock": 3}, format="json"
    )
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_the_clerk_ships_their_shipment_and_not_others(
    actor, clerk, staff_client, stocked, warehouses
):
    mine = services.allocate(
        actor=actor, order_no="API1", province="上海", lines=[(stocked.code, 1)]
    )
    theirs = services.allocate(
        actor=actor, order_no="API2", province="北京", lines=[(stocked.code, 1)]
    )
    client = staff_client(clerk)

    listed = client.get(f"{BASE}/shipments/").json()["results"]
    assert [s["order_no"] for s in listed] == ["API1"]

    shipment = mine.shipments.get()
    response = client.post(
        f"{BASE}/shipments/{shipment.pk}/ship/", {"waybill_no": "SF1"}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "shipped"
    other = theirs.shipments.get()
    response = client.post(
        f"{BASE}/shipments/{other.pk}/ship/", {"waybill_no": "SF2"}, format="json"
    )
    assert response.status_code == 404
    assert Shipment.objects.get(pk=other.pk).status == "pending"

    again = client.post(
        f"{BASE}/shipments/{shipment.pk}/ship/", {"waybill_no": "SF3"}, format="json"
    )
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "invalid_state"


def test_predispatch_answers_the_plan_and_out_of_stock_is_409(superuser, staff_client, stocked):
    client = staff_client(superuser)
    body = {"province": "上海", "lines": [{"sku": stocked.code, "quantity": 2}]}
    response = client.post(f"{BASE}/predispatch/", body, format="json")
    assert response.status_code == 200
    assert response.json()["shipments"][0]["warehouse"] == "WH-SH"

    body["lines"][0]["quantity"] = 50
    response = client.post(f"{BASE}/predispatch/", body, format="json")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "out_of_stock"


def test_predispatch_needs_the_allocation_view_permission_and_lives_at_its_contract_path(
    make_staff, superuser, staff_client, stocked
):
    body = {"province": "上海", "lines": [{"sku": stocked.code, "quantity": 1}]}
    plain = staff_client(make_staff("plain"))
    assert plain.post(f"{BASE}/predispatch/", body, format="json").status_code == 403
    viewer = staff_client(make_staff("viewer", perms=("dispatch.view_allocation",)))
    # Past the permission check; with no data scope no warehouse is theirs to plan over.
    answer = viewer.post(f"{BASE}/predispatch/", body, format="json")
    assert answer.status_code == 409 and answer.json()["error"]["code"] == "not_deliverable"
    # GET is no action of the view: refused before any method check (fail closed).
    assert staff_client(superuser).get(f"{BASE}/predispatch/").status_code == 403
    assert staff_client(superuser).get(f"{BASE}/allocations/predispatch/").status_code == 404


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"province": "上海", "lines": []},
        {"province": "上海", "lines": [{"sku": "NOPE", "quantity": 1}]},
        {"province": "火星", "lines": [{"sku": "X", "quantity": 1}]},
        {"province": "上海", "lines": [{"sku": "X", "quantity": -1}]},
        {"province": "上海", "lines": "garbage"},
    ],
)
def test_bad_predispatch_input_is_a_400(superuser, staff_client, stocked, body):
    response = staff_client(superuser).post(f"{BASE}/predispatch/", body, format="json")
    assert response.status_code == 400
    assert "error" in response.json()


def test_a_warehouse_posts_a_snapshot_as_json_or_as_a_file(
    clerk, staff_client, stocked, warehouses
):
    client = staff_client(clerk)
    body = {"warehouse": warehouses["WH-SH"].pk, "lines": [{"sku": stocked.code, "quantity": 4}]}
    response = client.post(f"{BASE}/stock-snapshots/", body, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["status"] == "pending"

    upload = SimpleUploadedFile(
        "count.csv", f"sku,on_hand\n{stocked.code},6\n".encode(), "text/csv"
    )
    response = client.post(
        f"{BASE}/stock-snapshots/",
        {"warehouse": warehouses["WH-SH"].pk, "file": upload},
        format="multipart",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["source"] == "file"
    assert response.json()["lines"][0]["reported_on_hand"] == 6

    snapshot = StockSnapshot.objects.order_by("pk").first()
    response = client.post(f"{BASE}/stock-snapshots/{snapshot.pk}/reconcile/")
    assert response.status_code == 200
    assert response.json()["status"] == "reconciled"
    assert Stock.objects.get(warehouse=warehouses["WH-SH"], sku=stocked).on_hand == 4


def test_a_snapshot_for_another_warehouse_is_refused(clerk, staff_client, stocked, warehouses):
    body = {"warehouse": warehouses["WH-BJ"].pk, "lines": [{"sku": stocked.code, "quantity": 4}]}
    response = staff_client(clerk).post(f"{BASE}/stock-snapshots/", body, format="json")
    assert response.status_code == 400
    assert "warehouse" in response.json()["error"]["fields"]


def test_a_purchase_inbound_is_idempotent_by_key(superuser, staff_client, stocked, warehouses):
    client = staff_client(superuser)
    body = {"warehouse": warehouses["WH-GZ"].pk, "lines": [{"sku": stocked.code, "quantity": 3}]}
    first = client.post(
        f"{BASE}/purchase-inbounds/", body, format="json", HTTP_IDEMPOTENCY_KEY="k1"
    )
    again = client.post(
        f"{BASE}/purchase-inbounds/", body, format="json", HTTP_IDEMPOTENCY_KEY="k1"
    )
    assert first.status_code == again.status_code == 201
    assert first.json()["document_no"] == again.json()["document_no"]
    assert Stock.objects.get(warehouse=warehouses["WH-GZ"], sku=stocked).in_transit == 3
    arrive = client.post(f"{BASE}/purchase-inbounds/{first.json()['id']}/arrive/")
    assert arrive.status_code == 200 and arrive.json()["status"] == "arrived"


def test_staff_without_dispatch_permissions_get_403(make_staff, staff_client, stocked):
    response = staff_client(make_staff("plain")).get(f"{BASE}/stock/")
    assert response.status_code == 403


@pytest.mark.parametrize(
    "path",
    [
        "stock",
        "movements",
        "shipments",
        "allocations",
        "purchase-inbounds",
        "stock-snapshots",
        "transfers",
        "stocktakes",
        "return-receipts",
        "warehouses",
        "carriers",
    ],
)
@pytest.mark.parametrize("reader", ["superuser", "clerk"])
def test_list_query_counts_do_not_grow_with_the_rows(
    actor,
    superuser,
    clerk,
    staff_client,
    warehouses,
    make_sku,
    put_stock,
    path,
    reader,
    django_assert_max_num_queries,
):
    from django.contrib.auth.models import Permission

    if reader == "clerk":
        clerk.user_permissions.add(
            *Permission.objects.filter(
                content_type__app_label="dispatch",
                codename__in=["view_allocation", "view_carrier"],
            )
        )
    client = staff_client(superuser if reader == "superuser" else clerk)
    carriers = iter(range(1000))

    def add_rows(count):
        for _ in range(count):
            sku = make_sku()
            put_stock(warehouses["WH-SH"], sku, 3)
            put_stock(warehouses["WH-BJ"], sku, 3)
            services.allocate(
                actor=actor, order_no=f"Q{sku.pk}", province="上海", lines=[(sku.code, 1)]
            )
            services.stock_snapshot_submit(
                actor=actor, warehouse=warehouses["WH-SH"], lines=[(sku.code, 3)]
            )
            services.transfer_create(
                actor=actor,
                from_warehouse=warehouses["WH-BJ"],
                to_warehouse=warehouses["WH-SH"],
                lines=[(sku.code, 1)],
            )
            services.stocktake_record(
                actor=actor, warehouse=warehouses["WH-SH"], counts=[(sku.code, 3)]
            )
            services.return_receipt_record(
                actor=actor,
                warehouse=warehouses["WH-SH"],
                order_no=f"R{sku.pk}",
                lines=[(sku.code, 1)],
            )
            services.carrier_save(actor=actor, code=f"c{next(carriers)}", name="承运商")

    add_rows(2)
    with django_assert_max_num_queries(12) as few:
        response = client.get(f"{BASE}/{path}/")
        assert response.status_code == 200
    add_rows(6)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(f"{BASE}/{path}/")
        assert response.status_code == 200
    # A clerk's grant is per warehouse; allocations follow the delivery region instead.
    if path not in ("warehouses", "carriers") and (reader, path) != ("clerk", "allocations"):
        assert len(response.json()["results"]) >= 6


@pytest.fixture
def east_ops(actor):
    """Regional ops for 华东: sees allocations to east provinces and east warehouses only."""
    from django.contrib.auth import get_user_model

    from rbac import services as rbac_services
    from rbac.models import SalesRegion, ScopeKind

    user = get_user_model().objects.create_user(
        username="east_ops", password="mall-demo-2026", is_staff=True
    )
    role = rbac_services.role_create(
        actor=actor,
        code="east_ops_t",
        name="华东运营",
        scope_kind=ScopeKind.REGIONS,
        regions=[SalesRegion.objects.get(code="east")],
        permissions=("dispatch.view_allocation", "dispatch.view_shipment"),
    )
    rbac_services.role_assign(actor=actor, user=user, role=role)
    return get_user_model().objects.get(pk=user.pk)


def test_an_allocation_shows_only_the_shipments_in_the_readers_scope(
    actor, east_ops, staff_client, warehouses, make_sku, put_stock
):
    sku = make_sku()
    put_stock(warehouses["WH-SH"], sku, 1)
    put_stock(warehouses["WH-BJ"], sku, 1)
    allocation = services.allocate(
        actor=actor, order_no="SPLIT1", province="上海", lines=[(sku.code, 2)]
    )
    assert {s.warehouse.code for s in allocation.shipments.all()} == {"WH-SH", "WH-BJ"}
    hidden = allocation.shipments.get(warehouse=warehouses["WH-BJ"])
    client = staff_client(east_ops)
    assert client.get(f"{BASE}/shipments/{hidden.pk}/").status_code == 404

    listed = client.get(f"{BASE}/allocations/").json()["results"]
    assert [a["order_no"] for a in listed] == ["SPLIT1"]
    assert [s["warehouse"] for s in listed[0]["shipments"]] == ["WH-SH"]
    detail = client.get(f"{BASE}/allocations/{allocation.pk}/").json()
    assert [s["warehouse"] for s in detail["shipments"]] == ["WH-SH"]


@pytest.mark.parametrize(
    "content",
    [
        "{sku},100000000000000000000\n",  # beyond any database integer
        "{sku},10000000000\n",  # beyond a PostgreSQL integer
        "{sku},1000001\n",  # beyond the per-line maximum of the JSON input
        "x" * 200_000 + ",1\n",  # one field beyond the csv module's limit
    ],
)
def test_a_snapshot_file_with_absurd_figures_is_a_400_and_stores_nothing(
    clerk, staff_client, stocked, warehouses, content
):
    upload = SimpleUploadedFile("count.csv", content.format(sku=stocked.code).encode(), "text/csv")
    response = staff_client(clerk).post(
        f"{BASE}/stock-snapshots/",
        {"warehouse": warehouses["WH-SH"].pk, "file": upload},
        format="multipart",
    )
    assert response.status_code == 400, response.content
    assert (
        "file" in response.json()["error"]["fields"]
        or "lines" in response.json()["error"]["fields"]
    )
    assert not StockSnapshot.objects.exists()


def test_the_stock_list_shows_sellable_units_as_the_storefront_counts_them(
    actor, superuser, staff_client, stocked, warehouses
):
    from django.core.cache import cache

    from catalog.availability import sellable_stock
    from dispatch.parameters import SAFETY_STOCK_HELD_BACK
    from ops.models import SystemParameter

    row = Stock.objects.get(warehouse=warehouses["WH-SH"], sku=stocked)
    services.stock_safety_set(actor=actor, stock=row, safety_stock=2)
    client = staff_client(superuser)
    url = f"{BASE}/stock/{row.pk}/"
    assert client.get(url).json()["sellable"] == 5

    SystemParameter.objects.update_or_create(key=SAFETY_STOCK_HELD_BACK, defaults={"value": True})
    cache.clear()
    assert client.get(url).json()["sellable"] == 3
    assert sellable_stock([stocked.pk])[stocked.pk] == 3 + 5  # WH-SH 5 − 2, WH-BJ 5 − 0
