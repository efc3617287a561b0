"""Staff catalog API: permissions, data scope (404), shapes, query counts, workflow."""

import io

import pytest
from openpyxl import Workbook, load_workbook

from catalog import permissions as perms
from catalog.models import Product

pytestmark = pytest.mark.django_db


@pytest.fixture
def ops(staff_with_role):
    return staff_with_role("ops1", perms=perms.PRODUCT_OPS_PERMISSIONS, scope="self")


@pytest.fixture
def cs_agent(staff_with_role):
    return staff_with_role("cs1", perms=perms.CUSTOMER_SERVICE_PERMISSIONS, scope="all")


def _create_body(leaf, code="API-1", title="智能电饭煲 5L"):
    return {
        "code": code,
        "title": title,
        "category": leaf.pk,
        "description": "5L 大容量。",
        "skus": [{"code": f"{code}-S", "price_amount": "399.00", "weight_grams": 3500}],
    }


def test_ops_creates_a_product_with_skus(staff_client, ops, leaf):
    response = staff_client(ops).post(
        "/api/v1/catalog/products/", _create_body(leaf), format="json"
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "draft"
    assert body["owner"] == ops.pk and body["author_name"] == "ops1"
    assert body["skus"][0]["price_amount"] == "399.00"


def test_invalid_product_input_answers_400_with_fields(staff_client, ops, tree):
    client = staff_client(ops)
    response = client.post("/api/v1/catalog/products/", _create_body(tree["middle"]), format="json")
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["category"]
    response = client.post(
        "/api/v1/catalog/products/",
        {**_create_body(tree["leaf"]), "skus": [{"code": "X", "price_amount": "-1"}]},
        format="json",
    )
    assert response.status_code == 400


def test_product_outside_scope_is_404_not_403(staff_client, ops, make_product, reviewer):
    theirs = make_product(reviewer)
    client = staff_client(ops)
    assert client.get(f"/api/v1/catalog/products/{theirs.pk}/").status_code == 404
    response = client.post(f"/api/v1/catalog/products/{theirs.pk}/submit/")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "product_not_found"


def test_customer_service_can_view_but_not_publish(staff_client, cs_agent, on_shelf_product):
    product = on_shelf_product()
    client = staff_client(cs_agent)
    assert client.get(f"/api/v1/catalog/products/{product.pk}/").status_code == 200
    response = client.post(f"/api/v1/catalog/products/{product.pk}/off-shelf/", {}, format="json")
    assert response.status_code == 403
    assert Product.objects.get(pk=product.pk).status == "on_shelf"


def test_review_round_trip_through_the_api(staff_client, ops, reviewer, leaf):
    from tests.catalog.conftest import png

    author_client, lead_client = staff_client(ops), staff_client(reviewer)
    product_id = author_client.post(
        "/api/v1/catalog/products/", _create_body(leaf), format="json"
    ).json()["id"]
    response = author_client.post(f"/api/v1/catalog/products/{product_id}/submit/")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "compliance_check_failed"
    assert "images" in response.json()["error"]["fields"]

    upload = author_client.post(
        f"/api/v1/catalog/products/{product_id}/images/", {"image": png()}, format="multipart"
    )
    assert upload.status_code == 201
    assert author_client.post(f"/api/v1/catalog/products/{product_id}/submit/").status_code == 200
    rejected = lead_client.post(
        f"/api/v1/catalog/products/{product_id}/reject/", {"reason": "主图不清晰"}, format="json"
    )
    assert rejected.json()["status"] == "rejected"
    assert author_client.post(f"/api/v1/catalog/products/{product_id}/submit/").status_code == 200
    assert (
        lead_client.post(
            f"/api/v1/catalog/products/{product_id}/approve/", {}, format="json"
        ).json()["status"]
        == "approved"
    )
    history = author_client.get(f"/api/v1/catalog/products/{product_id}/history/").json()
    assert [(e["kind"], e["review_round"], e["actor_name"]) for e in history] == [
        ("created", 0, "ops1"),
        ("submitted", 1, "ops1"),
        ("rejected", 1, "reviewer"),
        ("submitted", 2, "ops1"),
        ("approved", 2, "reviewer"),
    ]
    assert history[2]["reason"] == "主图不清晰"


def test_author_approving_own_product_via_api_is_403(staff_client, reviewer, make_product):
    product = make_product(reviewer)
    client = staff_client(reviewer)
    client.post(f"/api/v1/catalog/products/{product.pk}/submit/")
    response = client.post(f"/api/v1/catalog/products/{product.pk}/approve/", {}, format="json")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "reviewer_is_author"


def test_product_list_is_scoped_and_constant_in_queries(
    staff_client, ops, make_product, reviewer, django_assert_max_num_queries
):
    make_product(ops)
    make_product(reviewer)
    client = staff_client(ops)
    with django_assert_max_num_queries(20) as first:
        response = client.get("/api/v1/catalog/products/")
    assert len(response.json()["results"]) == 1
    for _ in range(5):
        make_product(ops)
    with django_assert_max_num_queries(len(first.captured_queries)):
        response = client.get("/api/v1/catalog/products/")
    assert len(response.json()["results"]) == 6


def test_bulk_shelf_counts_products_outside_scope_as_failed(
    staff_client, staff_with_role, on_shelf_product, make_product, author
):
    lead = staff_with_role("lead2", perms=perms.OPS_LEAD_PERMISSIONS, scope="self")
    listed = on_shelf_product()
    response = staff_client(lead).post(
        "/api/v1/catalog/products/bulk-shelf/",
        {"ids": [listed.pk], "action": "off_shelf"},
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["done"] == []
    assert list(response.json()["failed"]) == [str(listed.pk)]
    assert Product.objects.get(pk=listed.pk).status == "on_shelf"


def test_import_with_errors_ends_its_job_failed_and_the_report_downloads_from_the_job(
    staff_client, ops, tree, django_capture_on_commit_callbacks
):
    book = Workbook()
    book.active.append(["product_code", "sku_code", "price", "title", "category_code"])
    book.active.append(["IMP-9", "IMP-9-S", "free", "电饭煲", "rice-cooker"])
    buffer = io.BytesIO()
    book.save(buffer)
    buffer.seek(0)
    buffer.name = "bad.xlsx"
    client = staff_client(ops)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/api/v1/catalog/products/import/", {"file": buffer}, format="multipart"
        )
    assert response.status_code == 202
    job = client.get(response.json()["status_url"]).json()
    assert job["status"] == "failed"
    assert job["result"]["code"] == "import_rejected"
    assert [item["row"] for item in job["result"]["errors"]] == [2]
    report = client.get(job["download_url"])
    assert report.status_code == 200
    sheet = load_workbook(io.BytesIO(b"".join(report.streaming_content))).active
    assert "price" in list(sheet.iter_rows(values_only=True))[1][-1]
    assert not Product.objects.filter(code="IMP-9").exists()


def test_export_downloads_excel(staff_client, ops, make_product):
    make_product(ops)
    response = staff_client(ops).get("/api/v1/catalog/products/export/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")


def test_promotion_refusal_names_the_lowest_price(staff_client, ops, make_product):
    from datetime import timedelta

    from django.utils import timezone

    sku = make_product(ops, price="100.00").skus.get()
    start = timezone.now() + timedelta(hours=1)
    response = staff_client(ops).post(
        "/api/v1/catalog/promotions/",
        {
            "sku": sku.pk,
            "price_amount": "100.00",
            "starts_at": start.isoformat(),
            "ends_at": (start + timedelta(days=1)).isoformat(),
        },
        format="json",
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "promotion_price_not_lowest"
    assert error["lowest_price"] == "100.00"


def test_export_endpoint_contains_exactly_the_products_in_the_callers_scope(
    staff_client, ops, make_product, reviewer
):
    mine = make_product(ops)
    theirs = make_product(reviewer)
    response = staff_client(ops).get("/api/v1/catalog/products/export/")
    assert response.status_code == 200
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert {row[0] for row in rows[1:]} == {mine.code}
    everything = staff_client(reviewer).get("/api/v1/catalog/products/export/")
    rows = list(load_workbook(io.BytesIO(everything.content)).active.iter_rows(values_only=True))
    assert {mine.code, theirs.code} <= {row[0] for row in rows[1:]}


def test_handing_a_product_to_an_owner_outside_ones_scope_answers_with_the_saved_product(
    staff_client, ops, reviewer, make_product
):
    product = make_product(ops)
    client = staff_client(ops)
    response = client.patch(
        f"/api/v1/catalog/products/{product.pk}/", {"owner": reviewer.pk}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert response.json()["owner"] == reviewer.pk
    assert Product.objects.get(pk=product.pk).owner == reviewer
    # From now on the product is the new owner's: out of the old owner's scope.
    assert client.get(f"/api/v1/catalog/products/{product.pk}/").status_code == 404


def test_skus_promotions_and_imports_outside_scope_are_404_with_their_codes(
    staff_client, ops, reviewer, make_product
):
    from datetime import timedelta

    from django.utils import timezone

    from catalog import services
    from catalog.models import ProductImport

    sku = make_product(reviewer).skus.get()
    start = timezone.now() + timedelta(hours=1)
    promotion = services.promotion_price_create(
        actor=reviewer, sku=sku, price_amount="1.00", starts_at=start, ends_at=start + timedelta(1)
    )
    record = ProductImport.objects.create(
        file_name="theirs.xlsx", status="failed", row_count=1, created_by=reviewer
    )
    client = staff_client(ops)
    for path, code in [
        (f"/api/v1/catalog/skus/{sku.pk}/", "sku_not_found"),
        (f"/api/v1/catalog/skus/{sku.pk}/price-history/", "sku_not_found"),
        (f"/api/v1/catalog/promotions/{promotion.pk}/", "promotion_not_found"),
        (f"/api/v1/catalog/imports/{record.pk}/", "import_not_found"),
        ("/api/v1/catalog/skus/99999999999/", "sku_not_found"),
    ]:
        response = client.get(path)
        assert response.status_code == 404, path
        assert response.json()["error"]["code"] == code, path
