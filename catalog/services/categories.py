"""The category tree: change requests, their approval (which applies them), demo seeding."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from mall.core.actors import is_system_actor
from mall.core.audit import audit, snapshot
from mall.core.transitions import register_transitions, transition

from .. import permissions as perms
from ..exceptions import (
    CatalogPermissionDenied,
    CategoryChangeConflict,
    CategoryChangeInvalid,
)
from ..models import Category, CategoryChangeRequest, Product
from .common import _clean_text, _create_unique, _notify, _require, _resolve

Status = CategoryChangeRequest.Status

# A request waits for the ops lead; the decision is final (a refused application
# leaves it pending, see :func:`category_change_approve`).
CATEGORY_CHANGE_TRANSITIONS = register_transitions(
    CategoryChangeRequest,
    {
        Status.PENDING: {Status.APPROVED, Status.REJECTED},
        Status.APPROVED: set(),
        Status.REJECTED: set(),
    },
    initial=[Status.PENDING],
)


def _clean_category_payload(kind: str, category: Category | None, payload: dict) -> dict:
    """Validate a requested tree change; return the normalised payload."""
    payload = dict(payload or {})
    allowed = {"code", "name", "parent_id", "sort_order"}
    unknown = set(payload) - allowed
    if unknown:
        raise CategoryChangeInvalid(
            fields={name: [_("Unknown field.")] for name in sorted(unknown)}
        )
    result: dict[str, Any] = {}
    if kind == CategoryChangeRequest.Kind.CREATE:
        if category is not None:
            raise CategoryChangeInvalid(_("A new category has no existing category."))
        code = _clean_text(payload.get("code"), "code", max_length=40, required=True)
        result["code"] = code
        result["name"] = _clean_text(payload.get("name"), "name", max_length=60, required=True)
        result["parent_id"] = payload.get("parent_id")
    else:
        if category is None:
            raise CategoryChangeInvalid(fields={"category": [_("This field is required.")]})
        if kind == CategoryChangeRequest.Kind.UPDATE:
            if "name" in payload:
                result["name"] = _clean_text(payload["name"], "name", max_length=60, required=True)
            if "parent_id" in payload:
                result["parent_id"] = payload["parent_id"]
        elif payload:
            raise CategoryChangeInvalid(_("This change takes no values."))
    if "sort_order" in payload:
        try:
            result["sort_order"] = int(payload["sort_order"])
        except (TypeError, ValueError):
            raise CategoryChangeInvalid(
                fields={"sort_order": [_("Enter a whole number.")]}
            ) from None
    if "parent_id" in result and result["parent_id"] not in (None, ""):
        try:
            result["parent_id"] = int(result["parent_id"])
        except (TypeError, ValueError):
            raise CategoryChangeInvalid(fields={"parent_id": [_("Enter a category id.")]}) from None
    elif "parent_id" in result:
        result["parent_id"] = None
    if kind == CategoryChangeRequest.Kind.UPDATE and not result:
        raise CategoryChangeInvalid(_("Nothing to change."))
    return result


def _category_apply(change: CategoryChangeRequest) -> Category:
    """Apply an approved tree change; raise ``CategoryChangeInvalid`` if it no longer fits."""
    payload = change.payload
    Kind_ = CategoryChangeRequest.Kind
    if change.kind == Kind_.CREATE:
        if Category.objects.filter(code=payload["code"]).exists():
            raise CategoryChangeInvalid(fields={"code": [_("This category code is taken.")]})
        parent = _category_parent(payload.get("parent_id"))
        level = parent.level + 1 if parent else 1
        return _create_unique(
            Category,
            field="code",
            message=_("This category code is taken."),
            error=CategoryChangeInvalid,
            code=payload["code"],
            name=payload["name"],
            parent=parent,
            level=level,
            sort_order=payload.get("sort_order", 0),
        )
    category = Category.objects.select_for_update().get(pk=change.category_id)
    if change.kind == Kind_.UPDATE:
        fields = []
        if "parent_id" in payload and payload["parent_id"] != category.parent_id:
            parent = _category_parent(payload["parent_id"])
            new_level = parent.level + 1 if parent else 1
            if new_level != category.level:
                raise CategoryChangeInvalid(
                    fields={"parent_id": [_("A category can only move within its level.")]}
                )
            category.parent = parent
            fields.append("parent")
        for name in ("name", "sort_order"):
            if name in payload:
                setattr(category, name, payload[name])
                fields.append(name)
        category.save(update_fields=[*fields, "updated_at"])
    elif change.kind == Kind_.DEACTIVATE:
        if category.children.filter(is_active=True).exists():
            raise CategoryChangeInvalid(_("Deactivate the sub-categories first."))
        if category.products.filter(status=Product.Status.ON_SHELF).exists():
            raise CategoryChangeInvalid(_("Products on shelf still use this category."))
        category.is_active = False
        category.save(update_fields=["is_active", "updated_at"])
    elif change.kind == Kind_.ACTIVATE:
        if category.parent and not category.parent.is_active:
            raise CategoryChangeInvalid(_("Activate the parent category first."))
        category.is_active = True
        category.save(update_fields=["is_active", "updated_at"])
    return category


def _category_parent(parent_id) -> Category | None:
    if parent_id in (None, ""):
        return None
    parent = Category.objects.filter(pk=parent_id).first()
    if parent is None:
        raise CategoryChangeInvalid(fields={"parent_id": [_("No such category.")]})
    if parent.level >= Category.MAX_LEVEL:
        raise CategoryChangeInvalid(
            fields={"parent_id": [_("Third-level categories cannot have children.")]}
        )
    if not parent.is_active:
        raise CategoryChangeInvalid(fields={"parent_id": [_("The parent is not active.")]})
    return parent


def category_change_request(
    *,
    actor,
    kind: str,
    category: Category | None = None,
    payload: dict | None = None,
    reason: str = "",
) -> CategoryChangeRequest:
    """Ask for a change of the category tree; it applies only once the ops lead approves.

    The values are validated now (and again when applied). Approvers are notified.
    """
    _require(actor, perms.REQUEST_CATEGORY_CHANGE)
    if kind not in CategoryChangeRequest.Kind.values:
        raise CategoryChangeInvalid(fields={"kind": [_("Unknown change.")]})
    cleaned = _clean_category_payload(kind, category, payload or {})
    if "parent_id" in cleaned:
        parent = _category_parent(cleaned["parent_id"])
        new_level = parent.level + 1 if parent else 1
        if kind == CategoryChangeRequest.Kind.UPDATE and new_level != category.level:
            raise CategoryChangeInvalid(
                fields={"parent_id": [_("A category can only move within its level.")]}
            )
    if (
        kind == CategoryChangeRequest.Kind.CREATE
        and Category.objects.filter(code=cleaned["code"]).exists()
    ):
        raise CategoryChangeInvalid(fields={"code": [_("This category code is taken.")]})
    with transaction.atomic():
        change = CategoryChangeRequest.objects.create(
            kind=kind,
            category=category,
            payload=cleaned,
            reason=_clean_text(reason, "reason", max_length=500),
            requested_by=actor,
        )
        audit(
            actor=actor,
            action="category_change.request",
            target=change,
            after=snapshot(change),
        )
        user_model = get_user_model()
        approvers = (
            user_model.objects.filter(is_active=True, is_staff=True)
            .filter(
                Q(user_permissions__codename="approve_category_change")
                | Q(groups__permissions__codename="approve_category_change")
            )
            .exclude(pk=actor.pk)
            .values_list("pk", flat=True)
            .distinct()
        )
        _notify(
            actor=actor,
            recipients=list(approvers),
            kind="catalog.category_change_waiting",
            title=_("Category change waiting for approval"),
            link=f"/admin/catalog/categorychangerequest/{change.pk}/change/",
            key=f"catalog.category_change:{change.pk}",
            subject=change,
        )
    return change


def _decide_category_change(
    *, actor, change: CategoryChangeRequest, approve: bool, note: str
) -> CategoryChangeRequest:
    _require(actor, perms.APPROVE_CATEGORY_CHANGE)
    with transaction.atomic():
        change = CategoryChangeRequest.objects.select_for_update().get(pk=change.pk)
        if change.status != Status.PENDING:
            raise CategoryChangeConflict()
        if change.requested_by_id == actor.pk and not is_system_actor(actor):
            raise CatalogPermissionDenied(_("Nobody approves their own change request."))
        category = _category_apply(change) if approve else None
        changes: dict[str, Any] = {
            "decided_by": actor,
            "decided_at": timezone.now(),
            "decision_note": note,
        }
        if category is not None and change.category_id is None:
            changes["category"] = category
        transition(
            change,
            Status.APPROVED if approve else Status.REJECTED,
            actor=actor,
            action="category_change.approve" if approve else "category_change.reject",
            data={"category_id": category.pk if category else change.category_id},
            **changes,
        )
        _resolve(actor=actor, subject=change, kinds=["catalog.category_change_waiting"])
        _notify(
            actor=actor,
            recipients=[change.requested_by_id],
            kind="catalog.category_change_decided",
            title=_("Category change approved") if approve else _("Category change rejected"),
            body=note,
            key=f"catalog.category_change_decided:{change.pk}",
        )
    return change


def category_change_approve(
    *, actor, change: CategoryChangeRequest, note: str = ""
) -> CategoryChangeRequest:
    """Approve and apply a tree change (never one's own request)."""
    note = _clean_text(note, "note", max_length=500)
    return _decide_category_change(actor=actor, change=change, approve=True, note=note)


def category_change_reject(
    *, actor, change: CategoryChangeRequest, note: str
) -> CategoryChangeRequest:
    """Reject a tree change with a note."""
    note = _clean_text(note, "note", max_length=500, required=True)
    return _decide_category_change(actor=actor, change=change, approve=False, note=note)


def category_seed(*, actor, code: str, name: str, parent: Category | None = None, sort_order=0):
    """Create a category directly (demo data and migrations only, audited).

    Ops change the tree through :func:`category_change_request`; this exists for
    ``seed_demo`` where a whole initial tree is loaded at once by the system actor.
    """
    if not is_system_actor(actor) and not getattr(actor, "is_superuser", False):
        raise CatalogPermissionDenied()
    with transaction.atomic():
        category, created = Category.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "parent": parent,
                "level": parent.level + 1 if parent else 1,
                "sort_order": sort_order,
            },
        )
        if created:
            audit(actor=actor, action="category.seed", target=category, after=snapshot(category))
    return category
