"""Storefront catalog: guests browse on-shelf products only, in constant queries."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from catalog import services
from catalog.models import Product

pytestmark = pytest.mark.django_db


@pytest.fixture
def guest():
    return APIClient()


def test_category_tree_is_nested_and_open_to_guests(guest, tree):
    response = guest.get("/api/v1/store/categories/")
    assert response.status_code == 200
    [root] = response.json()["results"]
    assert root["code"] == "appliance"
    [middle] = root["children"]
    assert {leaf["code"] for leaf in middle["children"]} == {"rice-cooker", "kettle"}


def test_only_on_shelf_products_are_listed(guest, on_shelf_product, make_product, author, reviewer):
    listed = on_shelf_product(title="电饭煲 在售")
    make_product(author, title="电饭煲 草稿")
    pending = make_product(author, title="电饭煲 待审")
    services.product_submit(actor=author, product=pending)
    off = on_shelf_product(title="电饭煲 下架")
    services.product_off_shelf(actor=reviewer, product=off, reason="停售")

    response = guest.get("/api/v1/store/products/")
    assert response.status_code == 200
    assert [item["id"] for item in response.json()["results"]] == [listed.pk]


@pytest.mark.parametrize("state", ["draft", "pending_review", "approved", "rejected", "off_shelf"])
def test_product_not_on_shelf_is_404_by_direct_id(guest, make_product, author, reviewer, state):
    product = make_product(author)
    if state != "draft":
        services.product_submit(actor=author, product=product)
    if state == "rejected":
        services.product_reject(actor=reviewer, product=product, reason="图片模糊")
    if state in ("approved", "off_shelf"):
        services.product_approve(actor=reviewer, product=product)
    if state == "off_shelf":
        services.product_on_shelf(actor=reviewer, product=product)
        services.product_off_shelf(actor=reviewer, product=product, reason="停售")
    assert Product.objects.get(pk=product.pk).status == state

    response = guest.get(f"/api/v1/store/products/{product.pk}/")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "product_not_found"


def test_product_detail_has_skus_with_price_spec_and_available(
    guest, on_shelf_product, author, stock_provider
):
    stock_provider(None)  # before stock exists: the SKU's own flag decides
    product = on_shelf_product(
        skus=[
            {
                "code": "RC-W",
                "price_amount": "299.00",
                "weight_grams": 3000,
                "spec": {"颜色": "白"},
            },
            {"code": "RC-B", "price_amount": "319.00", "weight_grams": 3000, "is_available": False},
        ]
    )
    response = guest.get(f"/api/v1/store/products/{product.pk}/")
    assert response.status_code == 200
    body = response.json()
    assert body["skus"] == [
        {
            "code": "RC-W",
            "spec": {"颜色": "白"},
            "price": "299.00",
            "list_price": "299.00",
            "available": True,
        },
        {"code": "RC-B", "spec": {}, "price": "319.00", "list_price": "319.00", "available": False},
    ]
    assert body["price_from"] == "299.00" and body["available"] is True
    assert body["image"].endswith(".png")


def test_running_promotion_price_is_shown(guest, on_shelf_product, author):
    product = on_shelf_product(price="299.00")
    now = timezone.now()
    services.promotion_price_create(
        actor=author,
        sku=product.skus.get(),
        price_amount="259.00",
        starts_at=now - timedelta(minutes=1),
        ends_at=now + timedelta(days=1),
    )
    sku = guest.get(f"/api/v1/store/products/{product.pk}/").json()["skus"][0]
    assert (sku["price"], sku["list_price"]) == ("259.00", "299.00")


def test_available_comes_from_the_registered_sellable_stock_provider(
    guest, on_shelf_product, stock_provider
):
    product = on_shelf_product()
    sku = product.skus.get()
    calls = []

    def provider(ids):
        calls.append(list(ids))
        return {}

    stock_provider(provider)
    body = guest.get(f"/api/v1/store/products/{product.pk}/").json()
    assert body["skus"][0]["available"] is False
    assert calls == [[sku.pk]]
    stock_provider(lambda ids: dict.fromkeys(ids, 3))
    assert guest.get(f"/api/v1/store/products/{product.pk}/").json()["available"] is True


def test_filter_by_any_category_level_and_text(guest, on_shelf_product, tree):
    cooker = on_shelf_product(title="智能电饭煲")
    kettle = on_shelf_product(title="不锈钢电水壶", category=tree["other"])

    def ids(**params):
        return {
            item["id"] for item in guest.get("/api/v1/store/products/", params).json()["results"]
        }

    assert ids(category=tree["root"].pk) == {cooker.pk, kettle.pk}
    assert ids(category=tree["other"].pk) == {kettle.pk}
    assert ids(q="电水壶") == {kettle.pk}
    assert ids(category=tree["leaf"].pk, q="电水壶") == set()


def test_bad_filters_answer_400_in_the_error_shape(guest):
    response = guest.get("/api/v1/store/products/", {"category": "abc"})
    assert response.status_code == 400
    assert "category" in response.json()["error"]["fields"]
    response = guest.get("/api/v1/store/products/", {"category": str(10**30)})
    assert response.status_code == 400


def test_product_list_query_count_does_not_grow_with_rows(
    guest, on_shelf_product, django_assert_max_num_queries
):
    on_shelf_product()
    with django_assert_max_num_queries(8) as few:
        guest.get("/api/v1/store/products/")
    for _ in range(6):
        on_shelf_product(
            skus=[
                {"code": f"X{_}-1", "price_amount": "10", "weight_grams": 1},
                {"code": f"X{_}-2", "price_amount": "12", "weight_grams": 1},
            ]
        )
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = guest.get("/api/v1/store/products/")
    assert len(response.json()["results"]) == 7


def test_category_icons_are_served_as_urls(guest, tree):
    from django.core.files.base import ContentFile

    from tests.catalog.conftest import PNG_BYTES

    root = tree["root"]
    root.icon.save("appliance.png", ContentFile(PNG_BYTES), save=True)  # an uploaded icon
    [node] = guest.get("/api/v1/store/categories/").json()["results"]
    assert node["icon"] == root.icon.url
    assert node["icon"].startswith("/media/")
    assert node["children"][0]["icon"] == ""
