"""Admin screens: scoped changelists, documents and actions through the services."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from dispatch import services
from dispatch.models import PurchaseInbound, Shipment, Stock, StockMovement

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _lines(rows, quantity: str = "quantity") -> dict:
    """The inline rows of a document's add form: ``[(sku pk, quantity)]``."""
    data = {
        "lines-TOTAL_FORMS": str(max(len(rows), 1)),
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "1",
        "lines-MAX_NUM_FORMS": "1000",
    }
    for index, (sku, value) in enumerate(rows):
        data[f"lines-{index}-sku"] = sku
        data[f"lines-{index}-{quantity}"] = value
    return data


@pytest.fixture
def stocked(warehouses, make_sku, put_stock):
    sku = make_sku()
    put_stock(warehouses["WH-SH"], sku, 5)
    put_stock(warehouses["WH-BJ"], sku, 5)
    return sku


def test_the_clerk_changelist_shows_only_their_warehouse(clerk, stocked, warehouses):
    response = _client(clerk).get(reverse("admin:dispatch_stock_changelist"))
    assert response.status_code == 200
    rows = list(response.context["cl"].result_list)
    assert {row.warehouse.code for row in rows} == {"WH-SH"}
    other = Stock.objects.get(warehouse=warehouses["WH-BJ"], sku=stocked)
    response = _client(clerk).get(reverse("admin:dispatch_stock_change", args=[other.pk]))
    assert response.status_code == 302  # Django's "does not exist" redirect, no details


def test_every_dispatch_changelist_opens_for_a_superuser(superuser, stocked):
    client = _client(superuser)
    for model in (
        "warehouse",
        "coveragearea",
        "carrier",
        "carrierrule",
        "stock",
        "stockmovement",
        "allocation",
        "shipment",
        "purchaseinbound",
        "transfer",
        "stocktake",
        "returnreceipt",
        "stocksnapshot",
        "stocksnapshotline",
    ):
        assert client.get(reverse(f"admin:dispatch_{model}_changelist")).status_code == 200, model
        assert client.get(reverse(f"admin:dispatch_{model}_add")).status_code in (200, 403), model


def test_a_purchase_inbound_is_created_in_the_admin_through_the_service(
    superuser, stocked, warehouses
):
    response = _client(superuser).post(
        reverse("admin:dispatch_purchaseinbound_add"),
        {
            "warehouse": warehouses["WH-GZ"].pk,
            "supplier_name": "苏泊尔",
            "note": "",
            **_lines([(stocked.pk, 4)]),
        },
    )
    assert response.status_code == 302
    document = PurchaseInbound.objects.get(warehouse=warehouses["WH-GZ"])
    assert document.lines.get().quantity == 4
    assert Stock.objects.get(warehouse=warehouses["WH-GZ"], sku=stocked).in_transit == 4

    _client(superuser).post(
        reverse("admin:dispatch_purchaseinbound_changelist"),
        {"action": "arrive_selected", "_selected_action": [document.pk]},
    )
    assert Stock.objects.get(warehouse=warehouses["WH-GZ"], sku=stocked).on_hand == 4


def test_a_bad_line_in_the_admin_form_is_a_form_error(superuser, stocked, warehouses):
    response = _client(superuser).post(
        reverse("admin:dispatch_stocktake_add"),
        {"warehouse": warehouses["WH-SH"].pk, "note": "", **_lines([("nonsense", "x")], "counted")},
    )
    assert response.status_code == 200
    assert response.context["inline_admin_formsets"][0].formset.errors[0]
    assert not StockMovement.objects.filter(reference_type="stocktake").exists()


def test_the_clerk_ships_from_the_admin_action(actor, clerk, stocked):
    allocation = services.allocate(
        actor=actor, order_no="ADM1", province="上海", lines=[(stocked.code, 1)]
    )
    shipment = allocation.shipments.get()
    _client(clerk).post(
        reverse("admin:dispatch_shipment_changelist"),
        {"action": "ship_selected", "_selected_action": [shipment.pk], "waybill_no": "SF9"},
    )
    shipment.refresh_from_db()
    assert shipment.status == Shipment.Status.SHIPPED and shipment.waybill_no == "SF9"


def test_safety_stock_is_edited_in_the_admin(superuser, stocked, warehouses):
    stock = Stock.objects.get(warehouse=warehouses["WH-SH"], sku=stocked)
    response = _client(superuser).post(
        reverse("admin:dispatch_stock_change", args=[stock.pk]), {"safety_stock": 7}
    )
    assert response.status_code == 302
    stock.refresh_from_db()
    assert stock.safety_stock == 7 and stock.on_hand == 5


def test_a_snapshot_file_is_uploaded_in_the_admin(clerk, stocked, warehouses):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from dispatch.models import StockSnapshot

    upload = SimpleUploadedFile("wms.csv", f"sku,on_hand\n{stocked.code},4\n".encode(), "text/csv")
    # Counted just now (a minute ahead is within the clock skew; the form has no seconds'
    # fraction, and the count may not predate the warehouse).
    counted = timezone.localtime() + timedelta(minutes=1)
    response = _client(clerk).post(
        reverse("admin:dispatch_stocksnapshot_add"),
        {
            "warehouse": warehouses["WH-SH"].pk,
            "taken_at_0": counted.strftime("%Y-%m-%d"),
            "taken_at_1": counted.strftime("%H:%M:%S"),
            "note": "",
            "lines_text": "",
            "file": upload,
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    snapshot = StockSnapshot.objects.get()
    assert snapshot.source == "file"
    assert snapshot.lines.get().reported_on_hand == 4


def test_the_allocation_screen_lists_only_the_shipments_in_the_readers_scope(
    actor, warehouses, make_sku, put_stock
):
    from django.contrib.auth import get_user_model

    from rbac import services as rbac_services
    from rbac.models import SalesRegion, ScopeKind

    sku = make_sku()
    put_stock(warehouses["WH-SH"], sku, 1)
    put_stock(warehouses["WH-BJ"], sku, 1)
    allocation = services.allocate(
        actor=actor, order_no="ADM-SPLIT", province="上海", lines=[(sku.code, 2)]
    )
    hidden = allocation.shipments.get(warehouse=warehouses["WH-BJ"])
    shown = allocation.shipments.get(warehouse=warehouses["WH-SH"])
    user = get_user_model().objects.create_user(
        username="east_ops", password="mall-demo-2026", is_staff=True
    )
    role = rbac_services.role_create(
        actor=actor,
        code="east_ops_admin_t",
        name="华东运营",
        scope_kind=ScopeKind.REGIONS,
        regions=[SalesRegion.objects.get(code="east")],
        permissions=("dispatch.view_allocation", "dispatch.view_shipment"),
    )
    rbac_services.role_assign(actor=actor, user=user, role=role)

    response = _client(user).get(reverse("admin:dispatch_allocation_change", args=[allocation.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    assert shown.shipment_no in page
    assert hidden.shipment_no not in page


def test_changing_a_coverage_area_in_the_admin_changes_that_row_only(superuser, warehouses):
    from dispatch.models import CoverageArea
    from rbac.models import Province

    area = CoverageArea.objects.get(
        warehouse=warehouses["WH-BJ"], province=Province.objects.resolve("北京")
    )
    count = CoverageArea.objects.count()
    response = _client(superuser).post(
        reverse("admin:dispatch_coveragearea_change", args=[area.pk]),
        {
            "warehouse": warehouses["WH-GZ"].pk,
            "province": Province.objects.resolve("西藏").pk,
            "tier": 2,
            "promised_days": 5,
        },
    )
    assert response.status_code == 302
    area.refresh_from_db()
    assert (area.warehouse_id, area.province.name, area.tier, area.promised_days) == (
        warehouses["WH-BJ"].pk,
        Province.objects.resolve("北京").name,
        2,
        5,
    )
    assert CoverageArea.objects.count() == count


@pytest.mark.parametrize(
    "model",
    [
        "warehouse",
        "coveragearea",
        "carrier",
        "carrierrule",
        "stock",
        "stockmovement",
        "allocation",
        "shipment",
        "purchaseinbound",
        "transfer",
        "stocktake",
        "returnreceipt",
        "stocksnapshot",
        "stocksnapshotline",
    ],
)
def test_admin_changelist_query_counts_do_not_grow_with_the_rows(
    actor,
    superuser,
    warehouses,
    make_sku,
    put_stock,
    province,
    model,
    django_assert_max_num_queries,
):
    client = _client(superuser)
    numbers = iter(range(1000))

    def add_rows(count):
        for _ in range(count):
            number = next(numbers)
            sku = make_sku()
            put_stock(warehouses["WH-SH"], sku, 60)
            put_stock(warehouses["WH-BJ"], sku, 3)
            services.allocate(
                actor=actor, order_no=f"AQ{sku.pk}", province="上海", lines=[(sku.code, 1)]
            )
            snapshot = services.stock_snapshot_submit(
                actor=actor, warehouse=warehouses["WH-SH"], lines=[(sku.code, 3)]
            )
            services.stock_snapshot_reconcile(actor=actor, snapshot_doc=snapshot)
            services.transfer_create(
                actor=actor,
                from_warehouse=warehouses["WH-BJ"],
                to_warehouse=warehouses["WH-SH"],
                lines=[(sku.code, 1)],
            )
            services.stocktake_record(
                actor=actor, warehouse=warehouses["WH-BJ"], counts=[(sku.code, 2)]
            )
            services.return_receipt_record(
                actor=actor,
                warehouse=warehouses["WH-SH"],
                order_no=f"R{sku.pk}",
                lines=[(sku.code, 1)],
            )
            carrier = services.carrier_save(actor=actor, code=f"cq{number}", name=f"承运商{number}")
            services.carrier_rule_save(
                actor=actor,
                carrier=carrier,
                warehouse=warehouses["WH-GZ"],
                province=province("广东"),
                first_item_fee_amount="10.00",
                additional_item_fee_amount="1.00",
            )

    url = reverse(f"admin:dispatch_{model}_changelist")
    add_rows(2)
    with django_assert_max_num_queries(40) as few:
        assert client.get(url).status_code == 200
    add_rows(5)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(url).status_code == 200


@pytest.mark.parametrize("quantity", ["²", "①", "99999999999999999999"])
def test_a_purchase_typed_with_an_odd_quantity_is_refused_on_the_form(
    superuser, warehouses, make_sku, quantity
):
    sku = make_sku()
    response = _client(superuser).post(
        reverse("admin:dispatch_purchaseinbound_add"),
        {
            "warehouse": warehouses["WH-SH"].pk,
            "supplier_name": "供应商",
            "note": "",
            **_lines([(sku.pk, quantity)]),
        },
    )
    assert response.status_code in (200, 302)
    assert not PurchaseInbound.objects.exists()
    assert not StockMovement.objects.exists()
