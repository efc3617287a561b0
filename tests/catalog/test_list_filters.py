"""Filtering the staff and storefront lists (catalog/filters.py): same names, strict values."""

import io

import pytest
from openpyxl import load_workbook
from rest_framework.test import APIClient

from catalog import permissions as perms
from catalog import services
from mall.core.actors import system_actor

pytestmark = pytest.mark.django_db

PRODUCTS = "/api/v1/catalog/products/"


@pytest.fixture
def lead_client(staff_client, reviewer):
    return staff_client(reviewer)


def _codes(response) -> set[str]:
    assert response.status_code == 200, response.json()
    return {row["code"] for row in response.json()["results"]}


def test_staff_products_filter_by_status_category_branch_owner_and_text(
    lead_client, make_product, on_shelf_product, author, reviewer, tree
):
    listed = on_shelf_product(title="电饭煲 在售", code="RC-LISTED")
    draft = make_product(author, title="电饭煲 草稿", code="RC-DRAFT", brand="美的")
    other = make_product(reviewer, title="电水壶", code="KT-1", category=tree["other"])

    assert _codes(lead_client.get(PRODUCTS, {"status": "on_shelf"})) == {listed.code}
    # a category of any level stands for its whole branch
    assert _codes(lead_client.get(PRODUCTS, {"category": tree["other"].pk})) == {other.code}
    assert _codes(lead_client.get(PRODUCTS, {"category": tree["root"].pk})) == {
        listed.code,
        draft.code,
        other.code,
    }
    assert _codes(lead_client.get(PRODUCTS, {"owner": reviewer.pk})) == {other.code}
    # q: title, code and brand by substring, SKU codes exactly
    assert _codes(lead_client.get(PRODUCTS, {"q": "美的"})) == {draft.code}
    assert _codes(lead_client.get(PRODUCTS, {"q": "rc-"})) == {listed.code, draft.code}
    sku_code = other.skus.get().code
    assert _codes(lead_client.get(PRODUCTS, {"q": sku_code})) == {other.code}
    assert _codes(lead_client.get(PRODUCTS, {"q": sku_code[:-1]})) == set()
    # blank values filter nothing
    assert len(_codes(lead_client.get(PRODUCTS, {"status": "", "q": " "}))) == 3


@pytest.mark.parametrize(
    "params, field",
    [
        ({"status": "sold"}, "status"),
        ({"category": "abc"}, "category"),
        ({"category": "999999"}, "category"),
        ({"owner": "-1"}, "owner"),
        ({"q": "x" * 101}, "q"),
    ],
)
def test_a_bad_filter_value_is_a_400_naming_the_parameter(lead_client, tree, params, field):
    response = lead_client.get(PRODUCTS, params)
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]


def test_an_owner_outside_the_readers_scope_answers_like_one_that_does_not_exist(
    staff_client, staff_with_role, make_product, reviewer
):
    ops = staff_with_role("ops-filter", perms=perms.PRODUCT_OPS_PERMISSIONS, scope="self")
    make_product(reviewer)
    client = staff_client(ops)
    outside = client.get(PRODUCTS, {"owner": reviewer.pk})
    missing = client.get(PRODUCTS, {"owner": 987654})
    assert outside.status_code == missing.status_code == 400
    assert outside.json()["error"]["fields"].keys() == missing.json()["error"]["fields"].keys()
    assert client.get(PRODUCTS, {"owner": ops.pk}).status_code == 200


def test_the_export_applies_the_same_filters(staff_client, make_product, on_shelf_product, author):
    listed = on_shelf_product(code="EXP-LISTED")
    make_product(author, code="EXP-DRAFT")
    client = staff_client(author)
    response = client.get(f"{PRODUCTS}export/", {"status": "on_shelf"})
    assert response.status_code == 200
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert {row[0] for row in rows[1:]} == {listed.code}
    assert client.get(f"{PRODUCTS}export/", {"status": "sold"}).status_code == 400


def test_skus_filter_by_product_and_exact_code(lead_client, make_product, author):
    first = make_product(author)
    second = make_product(author)
    sku = second.skus.get()
    response = lead_client.get("/api/v1/catalog/skus/", {"product": first.pk})
    assert {row["product"] for row in response.json()["results"]} == {first.pk}
    response = lead_client.get("/api/v1/catalog/skus/", {"code": sku.code})
    assert [row["id"] for row in response.json()["results"]] == [sku.pk]
    assert lead_client.get("/api/v1/catalog/skus/", {"product": "x"}).status_code == 400


def test_category_change_requests_filter_by_status(lead_client, author, tree):
    services.category_change_request(
        actor=author, kind="create", payload={"code": "f-1", "name": "类目一"}
    )
    rejected = services.category_change_request(
        actor=author, kind="create", payload={"code": "f-2", "name": "类目二"}
    )
    services.category_change_reject(actor=system_actor(), change=rejected, note="重复")
    response = lead_client.get("/api/v1/catalog/category-changes/", {"status": "rejected"})
    assert [row["id"] for row in response.json()["results"]] == [rejected.pk]


def test_storefront_filters_by_category_branch_and_text(on_shelf_product, tree):
    kettle = on_shelf_product(title="电水壶 1.7L", category=tree["other"])
    cooker = on_shelf_product(title="电饭煲 4L", subtitle="柴火饭")
    guest = APIClient()

    def ids(params):
        response = guest.get("/api/v1/store/products/", params)
        assert response.status_code == 200, response.json()
        return {row["id"] for row in response.json()["results"]}

    assert ids({"category": tree["root"].pk}) == {kettle.pk, cooker.pk}
    assert ids({"category": tree["other"].pk}) == {kettle.pk}
    assert ids({"q": "柴火"}) == {cooker.pk}
    # a category that is gone finds nothing (guests keep old links), it is not an error
    assert ids({"category": 999999}) == set()


@pytest.mark.parametrize("params", [{"category": "1.5"}, {"category": "0"}, {"q": "x" * 101}])
def test_storefront_refuses_malformed_filters_with_400(params):
    response = APIClient().get("/api/v1/store/products/", params)
    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == set(params)


def test_the_category_tree_filters_by_level_as_a_whole_number(lead_client, tree):
    response = lead_client.get("/api/v1/catalog/categories/", {"level": 3})
    assert {row["code"] for row in response.json()} == {"rice-cooker", "kettle"}
    for value in ("0.5", "4", "x"):
        response = lead_client.get("/api/v1/catalog/categories/", {"level": value})
        assert response.status_code == 400, value
    response = lead_client.get("/api/v1/catalog/skus/", {"is_available": "null"})
    assert response.status_code == 400
