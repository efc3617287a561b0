"""Catalog admin: scoped changelists, workflow actions through services, pages render."""

import io

import pytest
from django.test import Client
from openpyxl import Workbook

from catalog import permissions as perms
from catalog.models import CategoryChangeRequest, Product, ProductEvent

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_changelist_shows_only_products_in_scope(staff_with_role, make_product, reviewer):
    ops = staff_with_role("ops-a", perms=perms.PRODUCT_OPS_PERMISSIONS, scope="self")
    mine = make_product(ops, code="MINE-A")
    theirs = make_product(reviewer, code="THEIRS-A")
    response = _client(ops).get("/admin/catalog/product/")
    assert response.status_code == 200
    content = response.content.decode()
    assert mine.code in content and theirs.code not in content
    assert _client(ops).get(f"/admin/catalog/product/{theirs.pk}/change/").status_code == 302


def test_review_actions_go_through_the_services_and_respect_the_author_rule(
    make_product, author, reviewer
):
    product = make_product(author)
    client = _client(author)
    client.post(
        "/admin/catalog/product/",
        {"action": "submit_selected", "_selected_action": [product.pk]},
    )
    assert Product.objects.get(pk=product.pk).status == "pending_review"

    # The author holds no review permission: the action is not even offered.
    response = client.post(
        "/admin/catalog/product/",
        {"action": "approve_selected", "_selected_action": [product.pk]},
    )
    assert Product.objects.get(pk=product.pk).status == "pending_review"

    response = _client(reviewer).post(
        "/admin/catalog/product/",
        {"action": "reject_selected", "_selected_action": [product.pk], "reason": "缺少细节图"},
        follow=True,
    )
    assert response.status_code == 200
    event = ProductEvent.objects.get(product=product, kind="rejected")
    assert (event.actor, event.reason) == (reviewer, "缺少细节图")


def test_reviewer_cannot_approve_own_product_from_the_admin(make_product, reviewer):
    product = make_product(reviewer)
    client = _client(reviewer)
    client.post(
        "/admin/catalog/product/", {"action": "submit_selected", "_selected_action": [product.pk]}
    )
    response = client.post(
        "/admin/catalog/product/",
        {"action": "approve_selected", "_selected_action": [product.pk]},
        follow=True,
    )
    assert Product.objects.get(pk=product.pk).status == "pending_review"
    assert any(m.level_tag == "error" for m in response.context["messages"])


def test_product_is_created_in_the_admin_through_the_service(author, leaf):
    response = _client(author).post(
        "/admin/catalog/product/add/",
        {
            "code": "ADM-1",
            "title": "电饭煲 管理后台",
            "category": leaf.pk,
            "description": "后台创建",
            "skus-TOTAL_FORMS": "1",
            "skus-INITIAL_FORMS": "0",
            "skus-0-code": "ADM-1-S",
            "skus-0-spec__key": ["容量", "颜色", ""],
            "skus-0-spec__value": ["3L", "白", ""],
            "skus-0-price_amount": "199.00",
            "skus-0-cost_amount": "100.00",
            "skus-0-weight_grams": "2000",
            "skus-0-is_available": "on",
            "skus-0-sort_order": "0",
            "images-TOTAL_FORMS": "0",
            "images-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    product = Product.objects.get(code="ADM-1")
    assert product.created_by == author and product.owner == author
    assert product.skus.get().spec == {"容量": "3L", "颜色": "白"}  # rows, empty row skipped
    assert product.skus.get().price_changes.count() == 1
    assert ProductEvent.objects.filter(product=product, kind="created").exists()


def test_a_sku_the_service_refuses_rolls_the_whole_add_form_back_and_shows_it_again(author, leaf):
    too_long_name = "规格" * 16  # the service allows names of at most 30 characters
    response = _client(author).post(
        "/admin/catalog/product/add/",
        {
            "code": "ADM-2",
            "title": "电饭煲 规格有误",
            "category": leaf.pk,
            "description": "后台创建",
            "skus-TOTAL_FORMS": "1",
            "skus-INITIAL_FORMS": "0",
            "skus-0-code": "ADM-2-S",
            "skus-0-spec__key": [too_long_name],
            "skus-0-spec__value": ["3L"],
            "skus-0-price_amount": "199.00",
            "skus-0-cost_amount": "100.00",
            "skus-0-weight_grams": "2000",
            "skus-0-sort_order": "0",
            "images-TOTAL_FORMS": "0",
            "images-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200  # the form again, with what was typed
    assert "电饭煲 规格有误" in response.content.decode()
    assert any(m.level_tag == "error" for m in response.context["messages"])
    assert not Product.objects.filter(code="ADM-2").exists()


def test_history_page_lists_rounds_with_names(make_product, author, reviewer):
    from catalog import services

    product = make_product(author)
    services.product_submit(actor=author, product=product)
    services.product_reject(actor=reviewer, product=product, reason="标题不规范")
    response = _client(reviewer).get(f"/admin/catalog/product/{product.pk}/history/")
    assert response.status_code == 200
    content = response.content.decode()
    assert "标题不规范" in content and "reviewer" in content and "author" in content


def test_import_page_opens_the_job_page_which_reports_errors_and_changes_nothing(
    author, tree, django_capture_on_commit_callbacks
):
    book = Workbook()
    book.active.append(["product_code", "sku_code", "price"])
    book.active.append(["NEW-1", "NEW-1-S", "-5"])
    buffer = io.BytesIO()
    book.save(buffer)
    buffer.seek(0)
    buffer.name = "bad.xlsx"
    client = _client(author)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/admin/catalog/product/import/", {"file": buffer})
    assert response.status_code == 302
    page = client.get(response["Location"])
    assert page.status_code == 200
    content = page.content.decode()
    assert '<progress value="0" max="100"' in content  # rejected before any row applied
    assert "/download/" in content  # the error report
    assert "price" in content  # the row's error is listed
    assert not Product.objects.filter(code="NEW-1").exists()


def test_import_page_refuses_a_file_that_is_not_a_workbook_at_once(author, tree):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from mall.core.models import FileJob

    upload = SimpleUploadedFile("x.xlsx", b"not excel")
    response = _client(author).post("/admin/catalog/product/import/", {"file": upload})
    assert response.status_code == 200
    assert "errorlist" in response.content.decode()
    assert not FileJob.objects.exists()


def test_category_change_requested_in_admin_waits_for_the_lead(author, reviewer, tree):
    response = _client(author).post(
        "/admin/catalog/categorychangerequest/add/",
        {
            "kind": "create",
            "code": "air-fryer",
            "name": "空气炸锅",
            "parent": tree["middle"].pk,
            "reason": "新品类",
        },
    )
    assert response.status_code == 302
    change = CategoryChangeRequest.objects.get()
    assert change.requested_by == author and change.status == "pending"
    _client(reviewer).post(
        "/admin/catalog/categorychangerequest/",
        {"action": "approve_selected", "_selected_action": [change.pk]},
    )
    assert CategoryChangeRequest.objects.get().status == "approved"


def test_admin_pages_render(reviewer, make_product):
    product = make_product(reviewer)
    client = _client(reviewer)
    for url in [
        "/admin/catalog/product/",
        f"/admin/catalog/product/{product.pk}/change/",
        "/admin/catalog/product/add/",
        "/admin/catalog/category/",
        "/admin/catalog/sku/",
        "/admin/catalog/promotionprice/",
        "/admin/catalog/promotionprice/add/",
        "/admin/catalog/skupricechange/",
        "/admin/catalog/productimport/",
        "/admin/catalog/categorychangerequest/",
        "/admin/catalog/product/import/",
    ]:
        assert client.get(url).status_code == 200, url


def test_product_changelist_query_count_does_not_grow_with_rows(
    reviewer, make_product, django_assert_max_num_queries
):
    client = _client(reviewer)
    make_product(reviewer)
    client.get("/admin/catalog/product/")  # warm caches (content types, sessions)
    with django_assert_max_num_queries(40) as first:
        client.get("/admin/catalog/product/")
    for _ in range(5):
        make_product(reviewer)
    with django_assert_max_num_queries(len(first.captured_queries)):
        response = client.get("/admin/catalog/product/")
    assert response.status_code == 200


@pytest.mark.parametrize(
    "changelist",
    ["sku", "skupricechange", "promotionprice", "categorychangerequest", "productimport"],
)
def test_other_changelists_query_count_does_not_grow_with_rows(
    changelist, reviewer, author, make_product, django_assert_max_num_queries
):
    from datetime import timedelta

    from django.utils import timezone

    from catalog import services
    from catalog.models import ProductImport

    def add_rows(number):
        product = make_product(author)
        start = timezone.now() + timedelta(hours=1)
        services.promotion_price_create(
            actor=author,
            sku=product.skus.get(),
            price_amount="1.00",
            starts_at=start,
            ends_at=start + timedelta(days=1),
        )
        services.category_change_request(
            actor=author, kind="create", payload={"code": f"cl-{number}", "name": f"类 {number}"}
        )
        ProductImport.objects.create(
            file_name=f"{number}.xlsx", status="failed", row_count=1, created_by=author
        )

    url = f"/admin/catalog/{changelist}/"
    client = _client(reviewer)
    add_rows(0)
    client.get(url)  # warm caches (content types, sessions)
    with django_assert_max_num_queries(40) as first:
        client.get(url)
    for number in range(1, 6):
        add_rows(number)
    with django_assert_max_num_queries(len(first.captured_queries)):
        response = client.get(url)
    assert response.status_code == 200
    assert len(response.context["cl"].result_list) >= 6


def test_the_history_tab_names_statuses_as_people_read_them():
    from catalog.models import Product, ProductEvent

    event = ProductEvent(from_status=Product.Status.DRAFT, to_status=Product.Status.PENDING_REVIEW)
    assert event.from_status_label == str(Product.Status.DRAFT.label)
    assert event.to_status_label == str(Product.Status.PENDING_REVIEW.label)
    assert ProductEvent(from_status="").from_status_label == ""
