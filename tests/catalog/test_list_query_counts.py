"""Every staff list endpoint of the catalog answers in a constant number of queries."""

from datetime import timedelta

import pytest
from django.utils import timezone

from catalog import services
from catalog.models import ProductImport

pytestmark = pytest.mark.django_db


def _promotion(author, product):
    start = timezone.now() + timedelta(hours=1)
    services.promotion_price_create(
        actor=author,
        sku=product.skus.get(),
        price_amount="1.00",
        starts_at=start,
        ends_at=start + timedelta(days=1),
    )


def _category(product, number):
    from mall.core.actors import system_actor

    services.category_seed(
        actor=system_actor(),
        code=f"qleaf-{number}",
        name=f"三级 {number}",
        parent=product.category.parent,
    )


def _category_change(author, number):
    services.category_change_request(
        actor=author,
        kind="create",
        payload={"code": f"qc-{number}", "name": f"类目 {number}"},
    )


def _import(author, number):
    ProductImport.objects.create(
        file_name=f"f{number}.xlsx", status="failed", row_count=1, created_by=author
    )


ENDPOINTS = {
    "skus": ("/api/v1/catalog/skus/", lambda author, product, n: None),
    "promotions": ("/api/v1/catalog/promotions/", lambda author, p, n: _promotion(author, p)),
    "categories": ("/api/v1/catalog/categories/", lambda author, p, n: _category(p, n)),
    "category-changes": (
        "/api/v1/catalog/category-changes/",
        lambda author, p, n: _category_change(author, n),
    ),
    "imports": ("/api/v1/catalog/imports/", lambda author, p, n: _import(author, n)),
    "history": (None, lambda author, p, n: None),
}


@pytest.mark.parametrize("name", sorted(ENDPOINTS))
def test_list_query_count_does_not_grow_with_rows(
    name, staff_client, author, make_product, django_assert_max_num_queries
):
    path, add = ENDPOINTS[name]
    client = staff_client(author)
    first = make_product(author)
    add(author, first, 0)
    if path is None:  # the product history grows with events, not products
        path = f"/api/v1/catalog/products/{first.pk}/history/"
    with django_assert_max_num_queries(30) as few:
        response = client.get(path)
    assert response.status_code == 200
    for number in range(1, 6):
        product = make_product(author)
        add(author, product, number)
        services.product_update(actor=author, product=first, subtitle=f"第 {number} 版")
        services.sku_update(actor=author, sku=first.skus.get(), price_amount=f"{200 + number}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(path)
    assert response.status_code == 200
    body = response.json()
    rows = body["results"] if isinstance(body, dict) else body
    assert len(rows) >= 6


def test_price_history_query_count_does_not_grow_with_changes(
    staff_client, author, make_product, django_assert_max_num_queries
):
    sku = make_product(author).skus.get()
    client = staff_client(author)
    path = f"/api/v1/catalog/skus/{sku.pk}/price-history/"
    with django_assert_max_num_queries(30) as few:
        client.get(path)
    for number in range(5):
        sku = services.sku_update(actor=author, sku=sku, price_amount=f"{100 + number}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(path)
    assert len(response.json()) == 6
