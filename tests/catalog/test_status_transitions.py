"""Every catalog status moves through the kernel's transition helper and its tables.

Products, promotion prices, category change requests: the table refuses a move it
does not list (409 ``invalid_transition``), a move writes exactly one audit entry
with the fields it changed, and a product's move is followed by its history row.
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from catalog import services
from catalog.models import (
    CategoryChangeRequest,
    Product,
    ProductEvent,
    ProductImport,
    PromotionPrice,
)
from mall.core.transitions import InvalidTransition, state_machine
from ops.models import AuditEntry

pytestmark = pytest.mark.django_db


def _entries(obj, action: str):
    return AuditEntry.objects.filter(object_id=str(obj.pk), action=action)


def test_the_tables_are_the_documented_workflows():
    product = state_machine(Product)
    assert product.allows(Product.Status.APPROVED, Product.Status.ON_SHELF)
    assert not product.allows(Product.Status.DRAFT, Product.Status.ON_SHELF)
    assert not product.allows(Product.Status.ON_SHELF, Product.Status.DRAFT)
    assert state_machine(PromotionPrice).sources(PromotionPrice.Status.CANCELLED) == {"active"}
    decided = state_machine(CategoryChangeRequest).sources(CategoryChangeRequest.Status.APPROVED)
    assert decided == {"pending"}
    assert state_machine(ProductImport).initial == {"applied", "failed"}


def test_submitting_writes_one_audit_entry_with_the_changed_fields_then_the_history_row(
    make_product, author
):
    product = make_product(author)
    services.product_submit(actor=author, product=product)

    [entry] = _entries(product, "product.submit")
    assert entry.before["status"] == "draft" and entry.after["status"] == "pending_review"
    assert entry.before["review_round"] == 0 and entry.after["review_round"] == 1
    assert entry.after["submitted_by"] == author.pk
    assert entry.data["round"] == 1
    event = ProductEvent.objects.filter(product=product).latest("id")
    assert (event.kind, event.from_status, event.to_status, event.review_round) == (
        "submitted",
        "draft",
        "pending_review",
        1,
    )


def test_a_rejection_keeps_its_reason_in_the_audit_entry_and_the_history(
    make_product, author, reviewer
):
    product = make_product(author)
    services.product_submit(actor=author, product=product)
    services.product_reject(actor=reviewer, product=product, reason="主图模糊")
    [entry] = _entries(product, "product.reject")
    assert entry.data["reason"] == "主图模糊" and entry.after["status"] == "rejected"
    assert ProductEvent.objects.get(product=product, kind="rejected").reason == "主图模糊"


def test_editing_an_approved_product_reopens_it_through_the_table_and_drops_its_schedule(
    make_product, author, reviewer
):
    product = make_product(author)
    services.product_submit(actor=author, product=product)
    when = timezone.now() + timedelta(days=1)
    services.product_approve(actor=reviewer, product=product, scheduled_listing_at=when)
    services.product_update(actor=author, product=product, subtitle="新版")

    product.refresh_from_db()
    assert product.status == "draft" and product.scheduled_listing_at is None
    [entry] = _entries(product, "product.reopen")
    assert entry.before["status"] == "approved" and entry.after["scheduled_listing_at"] is None
    assert ProductEvent.objects.get(product=product, kind="reopened").data == {
        "changed": ["subtitle"]
    }


def test_a_move_the_table_refuses_is_409_and_changes_nothing(
    staff_client, make_product, author, reviewer
):
    product = make_product(author)
    with pytest.raises(InvalidTransition):
        services.product_on_shelf(actor=reviewer, product=product)

    response = staff_client(reviewer).post(f"/api/v1/catalog/products/{product.pk}/on-shelf/")
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "invalid_transition"
    assert (error["from_status"], error["to_status"]) == ("draft", "on_shelf")
    assert Product.objects.get(pk=product.pk).status == "draft"
    assert not ProductEvent.objects.filter(product=product, kind="on_shelf").exists()


def test_cancelling_a_promotion_is_one_audited_transition_with_its_reason(make_product, author):
    sku = make_product(author, price="100.00").skus.get()
    start = timezone.now() + timedelta(hours=1)
    promotion = services.promotion_price_create(
        actor=author,
        sku=sku,
        price_amount="80.00",
        starts_at=start,
        ends_at=start + timedelta(days=1),
    )
    services.promotion_price_cancel(actor=author, promotion=promotion, reason="活动取消")
    services.promotion_price_cancel(actor=author, promotion=promotion, reason="again")

    [entry] = _entries(promotion, "promotion_price.cancel")
    assert (entry.before["status"], entry.after["status"]) == ("active", "cancelled")
    assert entry.data["reason"] == "活动取消"


def test_a_category_change_decision_is_one_audited_transition(author, reviewer, tree):
    change = services.category_change_request(
        actor=author, kind="update", category=tree["leaf"], payload={"name": "电饭锅"}
    )
    services.category_change_approve(actor=reviewer, change=change, note="同意")

    change.refresh_from_db()
    assert change.status == "approved" and change.decided_by == reviewer
    [entry] = _entries(change, "category_change.approve")
    assert (entry.before["status"], entry.after["status"]) == ("pending", "approved")
    assert entry.after["decision_note"] == "同意"
    assert entry.data["category_id"] == tree["leaf"].pk
