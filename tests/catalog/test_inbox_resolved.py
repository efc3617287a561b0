"""The inbox stays true: review notices are about the product and leave open work when
the review is decided (approve / reject); a rejection leaves it when resubmitted."""

from __future__ import annotations

import pytest

from catalog import services
from ops.models import StaffNotification

pytestmark = pytest.mark.django_db


def _open(kind: str):
    return StaffNotification.objects.filter(kind=kind, resolved_at__isnull=True)


@pytest.mark.parametrize("decision", ["approve", "reject"])
def test_the_review_notice_is_resolved_when_the_review_is_decided(
    decision, make_product, author, reviewer, django_capture_on_commit_callbacks
):
    product = make_product(author)
    with django_capture_on_commit_callbacks(execute=True):
        services.product_submit(actor=author, product=product)
    waiting = StaffNotification.objects.get(kind="catalog.review_waiting", recipient=reviewer)
    assert waiting.subject_key == f"catalog.product:{product.pk}"
    assert waiting.resolved_at is None

    with django_capture_on_commit_callbacks(execute=True):
        if decision == "approve":
            services.product_approve(actor=reviewer, product=product)
        else:
            services.product_reject(actor=reviewer, product=product, reason="缺细节图")
    waiting.refresh_from_db()
    assert waiting.resolved_at is not None
    assert not _open("catalog.review_waiting").exists()


def test_a_refused_decision_resolves_nothing(
    make_product, reviewer, staff_with_role, django_capture_on_commit_callbacks
):
    from catalog import permissions as perms
    from catalog.exceptions import ReviewerIsAuthor

    second = staff_with_role("second", perms=perms.OPS_LEAD_PERMISSIONS, scope="all")
    product = make_product(reviewer)
    with django_capture_on_commit_callbacks(execute=True):
        services.product_submit(actor=reviewer, product=product)
    assert _open("catalog.review_waiting").filter(recipient=second).count() == 1
    with pytest.raises(ReviewerIsAuthor):
        services.product_approve(actor=reviewer, product=product)
    assert _open("catalog.review_waiting").filter(recipient=second).count() == 1


def test_the_rejection_notice_is_resolved_when_the_author_resubmits(
    make_product, author, reviewer, django_capture_on_commit_callbacks
):
    product = make_product(author)
    with django_capture_on_commit_callbacks(execute=True):
        services.product_submit(actor=author, product=product)
    with django_capture_on_commit_callbacks(execute=True):
        services.product_reject(actor=reviewer, product=product, reason="标题不规范")
    rejected = StaffNotification.objects.get(kind="catalog.review_rejected", recipient=author)
    assert rejected.subject_key == f"catalog.product:{product.pk}" and rejected.resolved_at is None

    with django_capture_on_commit_callbacks(execute=True):
        services.product_submit(actor=author, product=product)
    rejected.refresh_from_db()
    assert rejected.resolved_at is not None
    # the new round's notice is open work again
    assert _open("catalog.review_waiting").filter(recipient=reviewer).count() == 1


def test_the_category_change_notice_is_resolved_when_decided(
    author, reviewer, tree, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        change = services.category_change_request(
            actor=author, kind="create", payload={"code": "fryer", "name": "空气炸锅"}
        )
    waiting = StaffNotification.objects.get(
        kind="catalog.category_change_waiting", recipient=reviewer
    )
    assert waiting.subject_key == f"catalog.categorychangerequest:{change.pk}"
    with django_capture_on_commit_callbacks(execute=True):
        services.category_change_approve(actor=reviewer, change=change)
    waiting.refresh_from_db()
    assert waiting.resolved_at is not None
