# ruff: noqa: F811 - fixtures imported from after_sales_fixtures are parameters here
"""Staff answer negative reviews, hide violating ones with a reason; deletion rolls back."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from mall.core.actors import system_actor
from ops.models import AuditEntry, StaffNotification
from ops.services.sla import sla_scan
from orders.exceptions import (
    InvalidOrderInput,
    OrdersPermissionDenied,
    OrderStateConflict,
    ReviewNotFound,
)
from orders.selectors import product_reviews_public
from orders.services.reviews import (
    review_create,
    review_delete,
    review_hide,
    review_reply,
    review_show,
)
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


@pytest.fixture
def negative(buyer, received_order, cs_agent, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return review_create(
            actor=buyer, order=received_order, line=received_order.lines.get(), rating=1, text="坏"
        )


def test_a_reply_stops_the_clock_in_time_and_resolves_the_notice(negative, cs_agent, clock):
    review_reply(actor=cs_agent, review=negative, text="抱歉，已安排补发")
    negative.refresh_from_db()
    assert (negative.reply_text, negative.replied_by) == ("抱歉，已安排补发", cs_agent)
    assert clock("review.negative_reply", negative).status == "met"
    assert StaffNotification.objects.get(recipient=cs_agent).resolved_at is not None


def test_an_unanswered_negative_review_breaches_once_and_a_late_reply_keeps_the_verdict(
    negative, cs_agent, clock
):
    later = timezone.now() + timedelta(hours=3)
    sla_scan(actor=system_actor(), now=later)
    again = sla_scan(actor=system_actor(), now=later)
    assert clock("review.negative_reply", negative).status == "breached"
    assert again.breached == 0
    review_reply(actor=cs_agent, review=negative, text="抱歉")
    closed = clock("review.negative_reply", negative)
    assert closed.status == "breached" and closed.closed_at is not None


def test_hiding_needs_a_reason_takes_it_off_the_shop_and_is_audited(negative, cs_agent):
    with pytest.raises(InvalidOrderInput):
        review_hide(actor=cs_agent, review=negative, reason="")
    review_hide(actor=cs_agent, review=negative, reason="广告信息")
    negative.refresh_from_db()
    assert (negative.status, negative.hidden_reason) == ("hidden", "广告信息")
    assert not product_reviews_public(actor=None, product_id=negative.product_id).exists()
    entry = AuditEntry.objects.get(action="review.hide", object_id=str(negative.pk))
    assert entry.data["reason"] == "广告信息"
    review_show(actor=cs_agent, review=negative)
    negative.refresh_from_db()
    assert (negative.status, negative.hidden_reason) == ("shown", "")
    with pytest.raises(OrderStateConflict):
        review_show(actor=cs_agent, review=negative)


def test_staff_without_permission_or_outside_the_region_cannot_moderate(negative, staff, cs_north):
    viewer = staff("viewer", ("orders.view_review",))
    with pytest.raises(OrdersPermissionDenied):
        review_reply(actor=viewer, review=negative, text="x")
    with pytest.raises(ReviewNotFound):
        review_hide(actor=cs_north, review=negative, reason="x")


def test_deleting_a_review_takes_back_exactly_what_it_earned(buyer, received_order, cs_agent):
    from orders.services.reviews import review_create as create

    review = create(
        actor=buyer, order=received_order, line=received_order.lines.get(), rating=4, text="ok"
    )
    buyer.refresh_from_db()
    assert (buyer.growth, buyer.points_balance) == (20, 20)
    review_delete(actor=buyer, review=review)
    buyer.refresh_from_db()
    review.refresh_from_db()
    assert review.status == "deleted"
    assert (buyer.growth, buyer.points_balance) == (0, 0)
    with pytest.raises(OrderStateConflict):
        review_delete(actor=cs_agent, review=review)


def test_deleting_a_negative_review_cancels_its_clock(negative, cs_agent, clock):
    review_delete(actor=cs_agent, review=negative, reason="重复")
    assert clock("review.negative_reply", negative).status == "cancelled"
    with pytest.raises(OrderStateConflict):
        review_reply(actor=cs_agent, review=negative, text="x")
