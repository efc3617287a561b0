# ruff: noqa: F811 - fixtures imported from after_sales_fixtures are parameters here
"""A member reviews a received line: shown at once, once per line, growth and points."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from members.models import GrowthEntry
from ops.models import StaffNotification
from orders.exceptions import InvalidOrderInput, OrderNotFound, ReviewNotAllowed
from orders.models import Order, Review
from orders.services.reviews import review_create
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


def _photo(name="a.jpg"):
    return SimpleUploadedFile(name, b"\xff\xd8\xff" + b"0" * 10, content_type="image/jpeg")


def test_a_five_star_review_is_shown_at_once_and_earns_growth_and_points(
    buyer, received_order, clock
):
    review = review_create(
        actor=buyer, order=received_order, line=received_order.lines.get(), rating=5, text="好用"
    )
    assert (review.status, review.rating, review.product_id) == (
        "shown",
        5,
        received_order.lines.get().product_id_snapshot,
    )
    buyer.refresh_from_db()
    assert (buyer.growth, buyer.points_balance) == (20, 20)
    assert clock("review.negative_reply", review) is None


def test_one_of_the_first_ten_photo_reviews_earns_the_photo_bonus(buyer, received_order):
    review = review_create(
        actor=buyer,
        order=received_order,
        line=received_order.lines.get(),
        rating=4,
        images=[_photo()],
    )
    assert review.has_photos and review.images.count() == 1
    reasons = set(GrowthEntry.objects.filter(member=buyer).values_list("reason", "amount"))
    assert reasons == {("review", 20), ("photo_review", 20)}


def test_the_eleventh_photo_review_of_a_product_earns_no_photo_bonus(make_member, make_order, sku):
    now = timezone.now()
    reviews = []
    for _number in range(11):
        member = make_member()
        order = make_order(member, [(sku, 1)], status="completed", completed_at=now)
        reviews.append(
            review_create(
                actor=member, order=order, line=order.lines.get(), rating=5, images=[_photo()]
            )
        )
    last = reviews[-1]
    assert not GrowthEntry.objects.filter(member=last.member, reason="photo_review").exists()
    assert GrowthEntry.objects.filter(member=reviews[9].member, reason="photo_review").exists()


def test_items_under_twenty_yuan_earn_nothing(buyer, make_order, stocked_sku):
    cheap = stocked_sku(5, price="19.99")
    order = make_order(buyer, [(cheap, 1)], status="completed", completed_at=timezone.now())
    review_create(actor=buyer, order=order, line=order.lines.get(), rating=5)
    buyer.refresh_from_db()
    assert (buyer.growth, buyer.points_balance) == (0, 0)


def test_a_two_star_review_opens_the_two_hour_reply_clock_and_tells_the_repliers(
    buyer, received_order, cs_agent, clock, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        review = review_create(
            actor=buyer, order=received_order, line=received_order.lines.get(), rating=2, text="差"
        )
    running = clock("review.negative_reply", review)
    assert running.status == "open" and running.due_at - running.started_at == timedelta(hours=2)
    assert StaffNotification.objects.filter(
        kind="orders.negative_review", recipient=cs_agent, resolved_at__isnull=True
    ).exists()


def test_a_line_is_reviewed_once(buyer, received_order):
    line = received_order.lines.get()
    review_create(actor=buyer, order=received_order, line=line, rating=5)
    with pytest.raises(ReviewNotAllowed):
        review_create(actor=buyer, order=received_order, line=line, rating=4)
    assert Review.objects.count() == 1


def test_goods_not_received_or_reviewed_too_late_are_refused(buyer, make_order, sku):
    shipped = make_order(buyer, [(sku, 1)], status="shipped")
    with pytest.raises(ReviewNotAllowed):
        review_create(actor=buyer, order=shipped, line=shipped.lines.get(), rating=5)
    old = timezone.now() - timedelta(days=31)
    late = make_order(buyer, [(sku, 1)], status="completed", delivered_at=old, completed_at=old)
    with pytest.raises(ReviewNotAllowed):
        review_create(actor=buyer, order=late, line=late.lines.get(), rating=5)


def test_stars_outside_one_to_five_and_other_peoples_orders_are_refused(
    buyer, make_member, received_order
):
    line = received_order.lines.get()
    for rating in (0, 6, "5", True):
        with pytest.raises(InvalidOrderInput):
            review_create(actor=buyer, order=received_order, line=line, rating=rating)
    with pytest.raises(OrderNotFound):
        review_create(actor=make_member(), order=received_order, line=line, rating=5)
    with pytest.raises(InvalidOrderInput):
        review_create(actor=buyer, order=received_order, line=line, rating=5, text="字" * 1001)
    assert not Review.objects.exists()
    assert Order.objects.get(pk=received_order.pk).status == "completed"
