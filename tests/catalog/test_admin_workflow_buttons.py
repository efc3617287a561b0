"""Product and category-change workflow as buttons on the change page (issue 11).

Each button calls the same service as the API; a locked product opens read-only; the
buttons show only to who may take the step in the product's state.
"""

from __future__ import annotations

import pytest
from django.test import Client

from catalog import services
from catalog.models import CategoryChangeRequest, Product

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _url(product, step: str = "") -> str:
    base = f"/admin/catalog/product/{product.pk}/"
    return f"{base}{step}/" if step else f"{base}change/"


def test_the_author_submits_with_the_button_and_the_page_turns_read_only(make_product, author):
    product = make_product(author)
    client = _client(author)
    page = client.get(_url(product)).content.decode()
    assert "submit-button/" in page and "approve-button/" not in page
    assert 'name="title"' in page  # a draft is edited in place

    assert client.get(_url(product, "submit-button")).status_code == 200  # the dialog
    assert Product.objects.get(pk=product.pk).status == Product.Status.DRAFT

    response = client.post(_url(product, "submit-button"), {"_form_submitted": "on"})
    assert response.status_code == 302 and response["Location"] == _url(product)
    assert Product.objects.get(pk=product.pk).status == Product.Status.PENDING_REVIEW

    page = client.get(_url(product)).content.decode()
    assert 'name="title"' not in page, "a product in review opens read-only"
    assert "submit-button/" not in page
    # a locked product's SKU and picture rows cannot be changed either
    assert 'name="skus-0-price_amount"' not in page
    assert 'name="images-0-DELETE"' not in page
    assert 'name="images-MAX_NUM_FORMS" value="0"' in page  # no picture can be added


def test_the_reviewer_approves_then_puts_on_shelf_then_takes_off_shelf(
    make_product, author, reviewer
):
    product = make_product(author)
    services.product_submit(actor=author, product=product)
    client = _client(reviewer)
    page = client.get(_url(product)).content.decode()
    assert "approve-button/" in page and "reject-button/" in page

    client.post(_url(product, "approve-button"), {"_form_submitted": "on"})
    assert Product.objects.get(pk=product.pk).status == Product.Status.APPROVED
    assert "on-shelf-button/" in client.get(_url(product)).content.decode()
    # an approved product stays editable, and its page says what saving a change does
    page = _client(author).get(_url(product)).content.decode()
    assert 'name="title"' in page and "需要重新审核" in page

    client.post(_url(product, "on-shelf-button"), {"_form_submitted": "on"})
    assert Product.objects.get(pk=product.pk).status == Product.Status.ON_SHELF
    page = client.get(_url(product)).content.decode()
    assert 'name="title"' not in page, "an on-shelf product opens read-only"
    assert "off-shelf-button/" in page

    client.post(_url(product, "off-shelf-button"), {"_form_submitted": "on"})
    assert Product.objects.get(pk=product.pk).status == Product.Status.OFF_SHELF
    assert 'name="title"' in client.get(_url(product)).content.decode()


def test_reject_needs_a_reason_and_records_it(make_product, author, reviewer):
    product = make_product(author)
    services.product_submit(actor=author, product=product)
    client = _client(reviewer)

    response = client.post(_url(product, "reject-button"), {"_form_submitted": "on", "reason": ""})
    assert response.status_code == 200  # the dialog again
    assert Product.objects.get(pk=product.pk).status == Product.Status.PENDING_REVIEW

    client.post(_url(product, "reject-button"), {"_form_submitted": "on", "reason": "主图模糊"})
    product.refresh_from_db()
    assert product.status == Product.Status.REJECTED
    assert product.events.get(kind="rejected").reason == "主图模糊"


def test_the_author_cannot_approve_their_own_product_by_posting_the_button(make_product, reviewer):
    product = make_product(reviewer)
    services.product_submit(actor=reviewer, product=product)
    response = _client(reviewer).post(_url(product, "approve-button"), {"_form_submitted": "on"})
    assert response.status_code == 200  # the service's refusal, in the dialog
    assert Product.objects.get(pk=product.pk).status == Product.Status.PENDING_REVIEW


def test_without_the_review_permission_the_step_is_refused(make_product, author, staff_with_role):
    from catalog import permissions as perms

    product = make_product(author)
    services.product_submit(actor=author, product=product)
    viewer = staff_with_role("viewer", perms=[perms.VIEW_PRODUCT], scope="all")
    response = _client(viewer).post(_url(product, "approve-button"), {"_form_submitted": "on"})
    assert response.status_code == 403
    assert Product.objects.get(pk=product.pk).status == Product.Status.PENDING_REVIEW


def test_a_category_change_is_approved_or_rejected_with_buttons(author, reviewer, tree):
    first = services.category_change_request(
        actor=author, kind="create", payload={"code": "fryer", "name": "空气炸锅"}
    )
    second = services.category_change_request(
        actor=author, kind="create", payload={"code": "oven", "name": "电烤箱"}
    )
    client = _client(reviewer)
    base = "/admin/catalog/categorychangerequest"
    page = client.get(f"{base}/{first.pk}/change/").content.decode()
    assert "approve-button/" in page and "reject-button/" in page
    assert "空气炸锅" in page and "fryer" in page  # the requested values, readable
    assert "待审批" in page and "pending" not in page  # the status in words

    client.post(f"{base}/{first.pk}/approve-button/", {"_form_submitted": "on"})
    client.post(f"{base}/{second.pk}/reject-button/", {"_form_submitted": "on", "reason": "重复"})
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == CategoryChangeRequest.Status.APPROVED
    assert (second.status, second.decision_note) == (CategoryChangeRequest.Status.REJECTED, "重复")
    assert "approve-button/" not in client.get(f"{base}/{first.pk}/change/").content.decode()
