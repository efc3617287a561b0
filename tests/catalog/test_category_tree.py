"""Changing the category tree needs the ops lead's approval."""

import pytest

from catalog import permissions as perms
from catalog import services
from catalog.exceptions import (
    CatalogPermissionDenied,
    CategoryChangeConflict,
    CategoryChangeInvalid,
)
from catalog.models import Category, CategoryChangeRequest
from ops.models import AuditEntry

pytestmark = pytest.mark.django_db


def test_new_category_exists_only_after_approval(author, reviewer, tree):
    change = services.category_change_request(
        actor=author,
        kind="create",
        payload={"code": "steamer", "name": "电蒸锅", "parent_id": tree["middle"].pk},
        reason="新品类",
    )
    assert not Category.objects.filter(code="steamer").exists()

    change = services.category_change_approve(actor=reviewer, change=change, note="同意")
    category = Category.objects.get(code="steamer")
    assert (category.level, category.parent) == (3, tree["middle"])
    assert change.status == CategoryChangeRequest.Status.APPROVED
    assert change.category == category and change.decided_by == reviewer
    assert AuditEntry.objects.filter(action="category_change.approve").exists()


def test_rejected_change_changes_nothing(author, reviewer, tree):
    change = services.category_change_request(
        actor=author, kind="update", category=tree["leaf"], payload={"name": "电饭锅"}
    )
    services.category_change_reject(actor=reviewer, change=change, note="名称沿用")
    tree["leaf"].refresh_from_db()
    assert tree["leaf"].name == "电饭煲"
    with pytest.raises(CategoryChangeConflict):
        services.category_change_approve(actor=reviewer, change=change)


def test_requester_cannot_approve_own_change(reviewer, tree):
    change = services.category_change_request(
        actor=reviewer, kind="update", category=tree["leaf"], payload={"sort_order": 5}
    )
    with pytest.raises(CatalogPermissionDenied):
        services.category_change_approve(actor=reviewer, change=change)


def test_product_ops_cannot_approve_tree_changes(author, staff_with_role, tree):
    other = staff_with_role("ops2", perms=perms.PRODUCT_OPS_PERMISSIONS)
    change = services.category_change_request(
        actor=other, kind="update", category=tree["leaf"], payload={"name": "电饭锅"}
    )
    with pytest.raises(CatalogPermissionDenied):
        services.category_change_approve(actor=author, change=change)


def test_tree_stays_three_levels_deep(author, tree):
    with pytest.raises(CategoryChangeInvalid) as caught:
        services.category_change_request(
            actor=author,
            kind="create",
            payload={"code": "too-deep", "name": "四级", "parent_id": tree["leaf"].pk},
        )
    assert list(caught.value.fields) == ["parent_id"]


def test_category_with_listed_products_cannot_be_deactivated(
    author, reviewer, tree, on_shelf_product
):
    on_shelf_product()
    change = services.category_change_request(
        actor=author, kind="deactivate", category=tree["leaf"]
    )
    with pytest.raises(CategoryChangeInvalid):
        services.category_change_approve(actor=reviewer, change=change)
    assert CategoryChangeRequest.objects.get(pk=change.pk).status == "pending"
    assert Category.objects.get(pk=tree["leaf"].pk).is_active


def test_api_request_and_approve(staff_client, author, reviewer, tree):
    response = staff_client(author).post(
        "/api/v1/catalog/category-changes/",
        {
            "kind": "create",
            "payload": {"code": "toaster", "name": "面包机", "parent_id": tree["middle"].pk},
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    change_id = response.json()["id"]
    assert (
        staff_client(author)
        .post(f"/api/v1/catalog/category-changes/{change_id}/approve/")
        .status_code
        == 403
    )
    approved = staff_client(reviewer).post(f"/api/v1/catalog/category-changes/{change_id}/approve/")
    assert approved.status_code == 200
    assert Category.objects.filter(code="toaster", level=3).exists()


@pytest.mark.parametrize("parent", ["root", None])
def test_a_move_to_another_level_is_refused_when_requested_not_only_at_approval(
    author, tree, parent
):
    from catalog.models import CategoryChangeRequest

    with pytest.raises(CategoryChangeInvalid) as caught:
        services.category_change_request(
            actor=author,
            kind="update",
            category=tree["leaf"],  # a third-level category
            payload={"parent_id": tree[parent].pk if parent else None},
        )
    assert list(caught.value.fields) == ["parent_id"]
    assert not CategoryChangeRequest.objects.exists()


def test_a_decision_note_over_500_characters_is_refused_and_the_request_stays_pending(
    author, reviewer, tree
):
    from catalog.exceptions import InvalidProductData

    change = services.category_change_request(
        actor=author, kind="update", category=tree["leaf"], payload={"name": "电饭锅"}
    )
    with pytest.raises(InvalidProductData):
        services.category_change_approve(actor=reviewer, change=change, note="好" * 501)
    change.refresh_from_db()
    assert change.status == CategoryChangeRequest.Status.PENDING
    tree["leaf"].refresh_from_db()
    assert tree["leaf"].name == "电饭煲"
