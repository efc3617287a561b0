# ruff: noqa: F811 - fixtures imported from after_sales_fixtures are parameters here
"""The review API: members post, the shop reads shown reviews, staff reply and hide."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from rest_framework.test import APIClient

from orders.models import Review
from tests.orders.after_sales_fixtures import (  # noqa: F401
    buyer,
    clock,
    cs_agent,
    cs_north,
    finance,
    received_order,
    sku,
    staff,
)

pytestmark = pytest.mark.django_db


def _staff(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _post(client, order, **body):
    return client.post(reverse("store-order-reviews", args=[order.order_no]), body, format="json")


def test_a_member_reviews_by_sku_and_the_shop_shows_it_masked(
    member_client, buyer, received_order, sku
):
    response = _post(member_client(buyer), received_order, sku=sku.code, rating=5, text="很好")
    assert response.status_code == 201, response.json()
    public = APIClient().get(reverse("store-product-reviews", args=[sku.product_id]))
    assert public.status_code == 200
    (row,) = public.json()["results"]
    assert (row["rating"], row["text"]) == (5, "很好")
    assert "member" not in row and "member_id" not in row
    assert buyer.phone not in json.dumps(public.json(), ensure_ascii=False)
    assert "*" in row["reviewer"]
    again = _post(member_client(buyer), received_order, sku=sku.code, rating=4)
    assert again.status_code == 409 and again.json()["error"]["code"] == "review_not_allowed"


def test_reviews_with_images_come_as_multipart(member_client, buyer, received_order, sku):
    photo = SimpleUploadedFile("p.jpg", b"\xff\xd8\xff0000", content_type="image/jpeg")
    response = member_client(buyer).post(
        reverse("store-order-reviews", args=[received_order.order_no]),
        {
            "payload": json.dumps({"line_id": received_order.lines.get().pk, "rating": 4}),
            "images": [photo],
        },
        format="multipart",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["has_photos"] is True
    assert Review.objects.get().images.count() == 1


def test_bad_review_input_is_a_400(member_client, buyer, received_order, sku):
    client = member_client(buyer)
    for body in (
        {"rating": 5},
        {"sku": sku.code, "rating": 9},
        {"sku": "NOPE", "rating": 5},
        {"sku": sku.code, "line_id": 1, "rating": 5},
    ):
        response = _post(client, received_order, **body)
        assert response.status_code == 400, body
    assert not Review.objects.exists()


def test_hidden_reviews_leave_the_shop_and_staff_work_the_negative_queue(
    member_client,
    buyer,
    received_order,
    sku,
    cs_agent,
    cs_north,
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        _post(member_client(buyer), received_order, sku=sku.code, rating=1, text="差")
    review = Review.objects.get()
    cs = _staff(cs_agent)
    waiting = cs.get(reverse("review-list"), {"negative": "true", "replied": "false"})
    assert [row["id"] for row in waiting.json()["results"]] == [review.pk]
    assert cs.get(reverse("review-list"), {"negative": "maybe"}).status_code == 400
    replied = cs.post(reverse("review-reply", args=[review.pk]), {"text": "抱歉"}, format="json")
    assert replied.status_code == 200 and replied.json()["reply_text"] == "抱歉"
    hidden = cs.post(reverse("review-hide", args=[review.pk]), {"reason": "辱骂"}, format="json")
    assert hidden.json()["status"] == "hidden"
    public = APIClient().get(reverse("store-product-reviews", args=[sku.product_id]))
    assert public.json()["results"] == []
    shown = cs.post(reverse("review-show", args=[review.pk]), {}, format="json")
    assert shown.json()["status"] == "shown"
    north = _staff(cs_north)
    assert north.get(reverse("review-detail", args=[review.pk])).status_code == 404
    assert (
        north.post(
            reverse("review-hide", args=[review.pk]), {"reason": "x"}, format="json"
        ).status_code
        == 404
    )
