"""Scheduled listing times lie in the future by design, but within a sane horizon
(``mall.core.times.SCHEDULE_HORIZON``): a listing scheduled for the year 9999 is a
typo, refused with a 400 naming the field."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from catalog import services
from catalog.models import Product
from mall.core.times import SCHEDULE_HORIZON

pytestmark = pytest.mark.django_db

BASE = "/api/v1/catalog/products"


@pytest.fixture
def in_review(make_product, author):
    product = make_product(author)
    return services.product_submit(actor=author, product=product)


def test_approving_with_a_listing_time_beyond_the_horizon_is_refused(
    in_review, reviewer, staff_client
):
    client = staff_client(reviewer)
    too_far = timezone.now() + SCHEDULE_HORIZON + timedelta(days=1)
    response = client.post(
        f"{BASE}/{in_review.pk}/approve/",
        {"scheduled_listing_at": too_far.isoformat()},
        format="json",
    )
    assert response.status_code == 400
    assert "scheduled_listing_at" in response.json()["error"]["fields"]
    assert Product.objects.get(pk=in_review.pk).status == Product.Status.PENDING_REVIEW

    within = timezone.now() + SCHEDULE_HORIZON - timedelta(days=1)
    response = client.post(
        f"{BASE}/{in_review.pk}/approve/",
        {"scheduled_listing_at": within.isoformat()},
        format="json",
    )
    assert response.status_code == 200, response.json()


def test_rescheduling_beyond_the_horizon_is_refused_and_the_schedule_kept(
    in_review, reviewer, staff_client
):
    soon = timezone.now() + timedelta(days=2)
    services.product_approve(actor=reviewer, product=in_review, scheduled_listing_at=soon)
    client = staff_client(reviewer)

    response = client.post(
        f"{BASE}/{in_review.pk}/schedule/",
        {"listing_at": "9999-12-31T23:59:59+08:00"},
        format="json",
    )

    assert response.status_code == 400
    assert "listing_at" in response.json()["error"]["fields"]
    assert Product.objects.get(pk=in_review.pk).scheduled_listing_at == soon
