"""The listing review: submit, approve / reject with a reason, resubmit, history."""

import pytest

from catalog import services
from catalog.exceptions import (
    CatalogPermissionDenied,
    InvalidProductData,
    ProductLocked,
    ReviewerIsAuthor,
)
from catalog.models import Product, ProductEvent
from mall.core.transitions import InvalidTransition
from ops.models import AuditEntry

pytestmark = pytest.mark.django_db


def test_author_cannot_approve_own_product_even_with_review_permission(make_product, reviewer):
    product = make_product(reviewer)
    services.product_submit(actor=reviewer, product=product)

    with pytest.raises(ReviewerIsAuthor):
        services.product_approve(actor=reviewer, product=product)
    with pytest.raises(ReviewerIsAuthor):
        services.product_reject(actor=reviewer, product=product, reason="不行")
    product.refresh_from_db()
    assert product.status == Product.Status.PENDING_REVIEW


def test_submitter_who_is_not_the_creator_cannot_review_either(
    make_product, author, reviewer, make_staff
):
    product = make_product(author)
    services.product_submit(actor=reviewer, product=product)  # a lead submits for the author

    with pytest.raises(ReviewerIsAuthor):
        services.product_approve(actor=reviewer, product=product)


def test_staff_without_review_permission_cannot_approve(make_product, author, make_staff):
    product = make_product(author)
    services.product_submit(actor=author, product=product)
    outsider = make_staff("cs", perms=("catalog.view_product",))

    with pytest.raises(CatalogPermissionDenied):
        services.product_approve(actor=outsider, product=product)


def test_rejection_needs_a_reason(make_product, author, reviewer):
    product = make_product(author)
    services.product_submit(actor=author, product=product)

    with pytest.raises(InvalidProductData) as caught:
        services.product_reject(actor=reviewer, product=product, reason="  ")
    assert list(caught.value.fields) == ["reason"]
    product.refresh_from_db()
    assert product.status == Product.Status.PENDING_REVIEW


def test_rejected_product_is_fixed_resubmitted_and_history_shows_every_round(
    make_product, author, reviewer
):
    product = make_product(author, title="智能电饭煲 4L 家用")
    services.product_submit(actor=author, product=product)
    services.product_reject(actor=reviewer, product=product, reason="描述太短，补充容量与功率")
    product.refresh_from_db()
    assert product.status == Product.Status.REJECTED

    services.product_update(
        actor=author, product=product, description="4L 容量，860W 功率，24 小时预约。"
    )
    services.product_submit(actor=author, product=product)
    services.product_approve(actor=reviewer, product=product, note="通过")
    product.refresh_from_db()

    assert product.status == Product.Status.APPROVED
    assert product.review_round == 2
    decisions = list(
        ProductEvent.objects.filter(
            product=product,
            kind__in=[
                ProductEvent.Kind.SUBMITTED,
                ProductEvent.Kind.REJECTED,
                ProductEvent.Kind.APPROVED,
            ],
        ).values_list("kind", "review_round", "actor__username", "reason")
    )
    assert decisions == [
        ("submitted", 1, "author", ""),
        ("rejected", 1, "reviewer", "描述太短，补充容量与功率"),
        ("submitted", 2, "author", ""),
        ("approved", 2, "reviewer", "通过"),
    ]
    actions = set(
        AuditEntry.objects.filter(object_id=str(product.pk)).values_list("action", flat=True)
    )
    assert {"product.submit", "product.reject", "product.approve"} <= actions


def test_product_in_review_or_on_shelf_cannot_be_edited(make_product, on_shelf_product, author):
    product = make_product(author)
    services.product_submit(actor=author, product=product)
    with pytest.raises(ProductLocked):
        services.product_update(actor=author, product=product, title="新标题 电饭煲")

    listed = on_shelf_product()
    with pytest.raises(ProductLocked):
        services.product_update(actor=author, product=listed, title="新标题 电饭煲")


def test_editing_an_off_shelf_product_sends_it_back_to_review(on_shelf_product, author, reviewer):
    product = on_shelf_product()
    services.product_off_shelf(actor=reviewer, product=product, reason="换图")
    services.product_update(actor=author, product=product, subtitle="新版")
    product.refresh_from_db()

    assert product.status == Product.Status.DRAFT
    with pytest.raises(InvalidTransition):
        services.product_on_shelf(actor=reviewer, product=product)


def test_price_change_on_shelf_keeps_the_product_listed(on_shelf_product, author):
    product = on_shelf_product()
    sku = product.skus.get()
    services.sku_update(actor=author, sku=sku, price_amount="279.00")
    product.refresh_from_db()
    assert product.status == Product.Status.ON_SHELF


def test_draft_cannot_go_on_shelf_without_review(make_product, author, reviewer):
    product = make_product(author)
    with pytest.raises(InvalidTransition):
        services.product_on_shelf(actor=reviewer, product=product)


def test_product_ops_cannot_publish(make_product, author, reviewer):
    product = make_product(author)
    services.product_submit(actor=author, product=product)
    services.product_approve(actor=reviewer, product=product)
    with pytest.raises(CatalogPermissionDenied):
        services.product_on_shelf(actor=author, product=product)


def test_off_shelf_is_idempotent_and_on_off_toggles(on_shelf_product, reviewer):
    product = on_shelf_product()
    services.product_off_shelf(actor=reviewer, product=product, reason="缺货")
    again = services.product_off_shelf(actor=reviewer, product=product, reason="缺货")
    assert again.status == Product.Status.OFF_SHELF
    assert ProductEvent.objects.filter(product=product, kind="off_shelf").count() == 1
    services.product_on_shelf(actor=reviewer, product=product)
    product.refresh_from_db()
    assert product.status == Product.Status.ON_SHELF


def test_bulk_shelf_reports_products_that_cannot_move(
    make_product, on_shelf_product, author, reviewer
):
    listed = on_shelf_product()
    draft = make_product(author)
    done, failed = services.products_bulk_shelf(
        actor=reviewer, products=[listed, draft], on_shelf=False, reason="清仓结束"
    )
    assert [p.pk for p in done] == [listed.pk]
    assert set(failed) == {draft.pk}
    listed.refresh_from_db()
    assert listed.status == Product.Status.OFF_SHELF


def test_reviewers_and_authors_get_inbox_notifications(
    make_product, author, reviewer, django_capture_on_commit_callbacks
):
    from ops.models import StaffNotification

    product = make_product(author)
    with django_capture_on_commit_callbacks(execute=True):
        services.product_submit(actor=author, product=product)
    waiting = StaffNotification.objects.get(kind="catalog.review_waiting")
    assert waiting.recipient == reviewer and product.title in waiting.title

    with django_capture_on_commit_callbacks(execute=True):
        services.product_reject(actor=reviewer, product=product, reason="价格标注不清")
    rejected = StaffNotification.objects.get(kind="catalog.review_rejected")
    assert rejected.recipient == author and rejected.body == "价格标注不清"


@pytest.mark.parametrize("stage", ["pending_review", "approved", "on_shelf"])
def test_a_reviewed_product_cannot_have_its_price_set_to_zero_behind_the_review(
    make_product, on_shelf_product, author, reviewer, stage
):
    if stage == "on_shelf":
        product = on_shelf_product()
    else:
        product = make_product(author)
        services.product_submit(actor=author, product=product)
        if stage == "approved":
            services.product_approve(actor=reviewer, product=product)
    sku = product.skus.get()
    with pytest.raises(InvalidProductData) as caught:
        services.sku_update(actor=author, sku=sku, price_amount="0.00")
    assert list(caught.value.fields) == ["price_amount"]
    sku.refresh_from_db()
    assert sku.price_amount > 0
    assert Product.objects.get(pk=product.pk).status == stage


def test_a_product_whose_category_was_deactivated_cannot_go_on_shelf(
    make_product, author, reviewer, tree
):
    product = make_product(author)
    services.product_submit(actor=author, product=product)
    services.product_approve(actor=reviewer, product=product)
    # Deactivating is allowed: the product is approved, not yet on shelf.
    change = services.category_change_request(
        actor=author, kind="deactivate", category=tree["leaf"], reason="合并类目"
    )
    services.category_change_approve(actor=reviewer, change=change)

    with pytest.raises(InvalidTransition):
        services.product_on_shelf(actor=reviewer, product=product)
    assert Product.objects.get(pk=product.pk).status == Product.Status.APPROVED
