"""Readable product list (issue 11): thumbnail, title with tooltip, price range, sellable
stock through the ``catalog.sellable_stock`` hook, owner's name, status label, filters
(category tree, owner, dates) that declare their parameters; categories as a tree;
the SKU specification edited as rows."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from catalog import permissions as perms
from catalog import services
from catalog.models import Product

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def named_author(author):
    author.first_name, author.last_name = "商品", "孙"
    author.save(update_fields=["first_name", "last_name"])
    return author


def test_the_list_shows_what_people_read(make_product, named_author, reviewer):
    make_product(
        named_author,
        title="苏泊尔 智能电饭煲 4L 家用多功能 超长标题",
        skus=[
            {"code": "LS-1", "price_amount": "199.00"},
            {"code": "LS-2", "price_amount": "1299.50"},
        ],
    )
    page = _client(reviewer).get("/admin/catalog/product/").content.decode()
    assert 'title="苏泊尔 智能电饭煲 4L 家用多功能 超长标题"' in page  # tooltip: full title
    assert "¥199.00–1,299.50" in page
    assert "孙商品" in page  # the owner's real name, Chinese order
    assert "草稿" in page and ">draft<" not in page  # the status as a label, translated
    assert "家用电器 / 厨房电器 / 电饭煲" in page  # the category's full path (tooltip)
    assert "<img" in page  # the thumbnail


def test_sellable_stock_comes_from_the_hook_per_page_and_unknown_is_a_dash(
    make_product, author, reviewer
):
    from catalog.availability import SELLABLE_STOCK_HOOK, product_sellable_stock
    from mall.core import hooks

    first = make_product(author)
    second = make_product(author)
    calls = []

    def provider(*, product_ids, actor):
        calls.append((list(product_ids), actor))
        return {first.pk: 1234}

    saved = dict(hooks._providers.get(SELLABLE_STOCK_HOOK, {}))
    hooks._providers[SELLABLE_STOCK_HOOK] = {"test": provider}
    try:
        page = _client(reviewer).get("/admin/catalog/product/").content.decode()
        assert len(calls) == 1, "one call for the whole page"
        assert sorted(calls[0][0]) == sorted([first.pk, second.pk]) and calls[0][1] == reviewer
        assert "1,234" in page
        assert product_sellable_stock(actor=reviewer, product_ids=[first.pk, second.pk]) == {
            first.pk: 1234
        }
    finally:
        hooks._providers[SELLABLE_STOCK_HOOK] = saved


def test_the_category_filter_keeps_the_whole_branch(make_product, author, reviewer, tree):
    in_leaf = make_product(author, title="电饭煲甲")
    in_other = make_product(author, title="电水壶乙", category=tree["other"])
    client = _client(reviewer)
    for node, expected in (
        (tree["root"], {in_leaf, in_other}),
        (tree["middle"], {in_leaf, in_other}),
        (tree["leaf"], {in_leaf}),
    ):
        response = client.get(f"/admin/catalog/product/?category={node.pk}")
        assert response.status_code == 200
        assert set(response.context["cl"].result_list) == expected, node.name
    page = client.get("/admin/catalog/product/").content.decode()
    assert "家用电器 / 厨房电器 / 电水壶" in page  # the filter's choices are full paths


def test_owner_and_date_range_filters(make_product, author, reviewer):
    mine = make_product(author)
    theirs = make_product(reviewer)
    client = _client(reviewer)
    response = client.get(f"/admin/catalog/product/?owner={author.pk}")
    assert list(response.context["cl"].result_list) == [mine]

    Product.objects.filter(pk=theirs.pk).update(created_at=timezone.now() - timedelta(days=10))
    today = timezone.localdate().isoformat()
    response = client.get(f"/admin/catalog/product/?created_at_from={today}&created_at_to={today}")
    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [mine]  # both days included
    # parameters nobody declared are still refused
    assert client.get("/admin/catalog/product/?owner__username=author").status_code == 400


def test_the_category_list_is_a_tree(reviewer, tree):
    response = _client(reviewer).get("/admin/catalog/category/")
    names = [category.name for category in response.context["cl"].result_list]
    assert names == ["家用电器", "厨房电器", "电饭煲", "电水壶"]
    assert "一级" in response.content.decode()


def test_the_sku_specification_is_edited_as_rows_with_chinese_errors(author, leaf):
    client = _client(author)
    page = client.get("/admin/catalog/product/add/").content.decode()
    assert "skus-__prefix__-spec__key" in page and "添加规格" in page

    response = client.post(
        "/admin/catalog/product/add/",
        {
            "code": "ROWS-1",
            "title": "电饭煲 规格重复",
            "category": leaf.pk,
            "skus-TOTAL_FORMS": "1",
            "skus-INITIAL_FORMS": "0",
            "skus-0-code": "ROWS-1-S",
            "skus-0-spec__key": ["颜色", "颜色"],
            "skus-0-spec__value": ["白", "黑"],
            "skus-0-price_amount": "199.00",
            "skus-0-cost_amount": "100.00",
            "skus-0-weight_grams": "0",
            "skus-0-sort_order": "0",
            "images-TOTAL_FORMS": "0",
            "images-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200
    assert "规格名称“颜色”重复了。" in response.content.decode()
    assert 'value="黑"' in response.content.decode()  # what was typed stays
    assert not Product.objects.filter(code="ROWS-1").exists()


def test_the_category_picker_shows_full_paths(author, tree):
    page = _client(author).get("/admin/catalog/product/add/").content.decode()
    assert "家用电器 / 厨房电器 / 电饭煲" in page


def test_product_ops_may_add_and_remove_pictures(staff_with_role, make_product):
    ops = staff_with_role("ops-pics", perms=perms.PRODUCT_OPS_PERMISSIONS, scope="self")
    product = make_product(ops)
    page = _client(ops).get(f"/admin/catalog/product/{product.pk}/change/").content.decode()
    assert 'name="images-0-DELETE"' in page
    assert 'name="images-MAX_NUM_FORMS" value="1000"' in page
    services.product_submit(actor=ops, product=product)  # a picture lets it be submitted
