"""The listing review and the shelf: submit, approve, reject, schedule, on/off shelf.

Every status change goes through :func:`.products._product_transition` (the kernel's
``transition()`` plus the product's ``ProductEvent`` row).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from mall.core.audit import audit, snapshot
from mall.core.times import is_beyond_horizon
from mall.core.transitions import InvalidTransition as StatusRefused

from .. import permissions as perms
from ..compliance import product_compliance_problems
from ..exceptions import (
    CatalogPermissionDenied,
    ComplianceCheckFailed,
    InvalidProductData,
    InvalidTransition,
    ReviewerIsAuthor,
)
from ..models import Category, Product, ProductEvent
from .common import _clean_text, _lock_product, _notify, _product_link, _require, _resolve
from .products import Kind, Status, _product_transition

# Inbox kinds of the listing review (ops notification types, translated in ops).
REVIEW_WAITING = "catalog.review_waiting"
REVIEW_REJECTED = "catalog.review_rejected"


def _too_far_ahead() -> str:
    return _("This time lies more than a year ahead.")


def _reviewers_to_notify(product: Product) -> list[int]:
    user_model = get_user_model()
    holders = user_model.objects.filter(is_active=True, is_staff=True).filter(
        Q(user_permissions__codename="review_product")
        | Q(groups__permissions__codename="review_product")
        | Q(is_superuser=True)
    )
    exclude = {product.created_by_id, product.submitted_by_id}
    return [pk for pk in holders.values_list("pk", flat=True).distinct() if pk not in exclude]


def product_submit(*, actor, product: Product) -> Product:
    """Send a draft or rejected product to listing review (a new review round).

    Runs the compliance checks first; raises ``ComplianceCheckFailed`` with the
    problems per field. Reviewers get an inbox notification.
    """
    _require(actor, perms.SUBMIT_PRODUCT)
    with transaction.atomic():
        product = _lock_product(product)
        if product.status not in (Status.DRAFT, Status.REJECTED):
            raise InvalidTransition(
                _("Only draft or rejected products can be submitted."),
                extra={"status": product.status},
            )
        problems = product_compliance_problems(product)
        if problems:
            raise ComplianceCheckFailed(fields=problems)
        _product_transition(
            product,
            Status.PENDING_REVIEW,
            actor=actor,
            kind=Kind.SUBMITTED,
            action="product.submit",
            review_round=product.review_round + 1,
            submitted_by=actor,
            submitted_at=timezone.now(),
        )
        # The rejection being answered is no longer open work for the author.
        _resolve(actor=actor, subject=product, kinds=[REVIEW_REJECTED])
        _notify(
            actor=actor,
            recipients=_reviewers_to_notify(product),
            kind=REVIEW_WAITING,
            title=_("Listing review waiting: %(title)s") % {"title": product.title},
            link=_product_link(product),
            key=f"catalog.review:{product.pk}:{product.review_round}",
            subject=product,
        )
    return product


def _check_reviewer(actor, product: Product) -> None:
    if actor.pk in (product.created_by_id, product.submitted_by_id):
        raise ReviewerIsAuthor()


def product_approve(
    *, actor, product: Product, note: str = "", scheduled_listing_at: datetime | None = None
) -> Product:
    """Approve a product in review; optionally schedule its listing time.

    The reviewer is never the author or the submitter (``ReviewerIsAuthor``).
    """
    _require(actor, perms.REVIEW_PRODUCT)
    note = _clean_text(note, "note", max_length=500)
    with transaction.atomic():
        product = _lock_product(product)
        _check_reviewer(actor, product)
        if product.status != Status.PENDING_REVIEW:
            raise InvalidTransition(_("Only products in review can be approved."))
        changes: dict = {}
        if scheduled_listing_at is not None:
            if timezone.is_naive(scheduled_listing_at):
                raise InvalidProductData(
                    fields={"scheduled_listing_at": [_("Give a time with time zone.")]}
                )
            if is_beyond_horizon(scheduled_listing_at):
                raise InvalidProductData(fields={"scheduled_listing_at": [_too_far_ahead()]})
            changes["scheduled_listing_at"] = scheduled_listing_at
        _product_transition(
            product,
            Status.APPROVED,
            actor=actor,
            kind=Kind.APPROVED,
            action="product.approve",
            reason=note,
            data={"scheduled_listing_at": scheduled_listing_at.isoformat()}
            if scheduled_listing_at
            else {},
            **changes,
        )
        _resolve(actor=actor, subject=product, kinds=[REVIEW_WAITING])
        _notify(
            actor=actor,
            recipients=[product.submitted_by_id, product.owner_id],
            kind="catalog.review_approved",
            title=_("Listing approved: %(title)s") % {"title": product.title},
            link=_product_link(product),
            key=f"catalog.approved:{product.pk}:{product.review_round}",
        )
    return product


def product_reject(*, actor, product: Product, reason: str) -> Product:
    """Reject a product in review with a reason; the author fixes it and resubmits."""
    _require(actor, perms.REVIEW_PRODUCT)
    reason = _clean_text(reason, "reason", max_length=500, required=True)
    with transaction.atomic():
        product = _lock_product(product)
        _check_reviewer(actor, product)
        if product.status != Status.PENDING_REVIEW:
            raise InvalidTransition(_("Only products in review can be rejected."))
        _product_transition(
            product,
            Status.REJECTED,
            actor=actor,
            kind=Kind.REJECTED,
            action="product.reject",
            reason=reason,
        )
        _resolve(actor=actor, subject=product, kinds=[REVIEW_WAITING])
        _notify(
            actor=actor,
            recipients=[product.created_by_id, product.submitted_by_id],
            kind=REVIEW_REJECTED,
            title=_("Listing rejected: %(title)s") % {"title": product.title},
            body=reason,
            link=_product_link(product),
            key=f"catalog.rejected:{product.pk}:{product.review_round}",
            subject=product,
        )
    return product


def product_schedule_listing(*, actor, product: Product, listing_at: datetime | None) -> Product:
    """Set (or with ``None`` clear) the time an approved product goes on shelf.

    The time lies at most ``mall.core.times.SCHEDULE_HORIZON`` (a year) ahead.
    """
    _require(actor, perms.PUBLISH_PRODUCT)
    if listing_at is not None and timezone.is_naive(listing_at):
        raise InvalidProductData(fields={"listing_at": [_("Give a time with time zone.")]})
    if listing_at is not None and is_beyond_horizon(listing_at):
        raise InvalidProductData(fields={"listing_at": [_too_far_ahead()]})
    with transaction.atomic():
        product = _lock_product(product)
        if product.status != Status.APPROVED:
            raise InvalidTransition(_("Only approved products can be scheduled."))
        before = snapshot(product)
        product.scheduled_listing_at = listing_at
        product.save(update_fields=["scheduled_listing_at", "updated_at"])
        ProductEvent.objects.create(
            product=product,
            kind=Kind.SCHEDULED,
            from_status=product.status,
            to_status=product.status,
            review_round=product.review_round,
            actor=actor,
            data={"listing_at": listing_at.isoformat() if listing_at else None},
        )
        audit(
            actor=actor,
            action="product.schedule_listing",
            target=product,
            before=before,
            after=snapshot(product),
        )
    return product


def product_on_shelf(*, actor, product: Product) -> Product:
    """Put an approved or off-shelf product on shelf (visible in the storefront)."""
    _require(actor, perms.PUBLISH_PRODUCT)
    with transaction.atomic():
        product = _lock_product(product)
        if product.status == Status.ON_SHELF:
            return product
        category = Category.objects.get(pk=product.category_id)
        if not category.is_active:
            # The storefront hides inactive categories: "on shelf" would sell nothing.
            raise InvalidTransition(
                _("The category “%(category)s” is no longer active; move the product first.")
                % {"category": category.name},
                extra={"category_id": category.pk},
            )
        _product_transition(
            product,
            Status.ON_SHELF,
            actor=actor,
            kind=Kind.ON_SHELF,
            action="product.on_shelf",
            listed_at=timezone.now(),
            scheduled_listing_at=None,
        )
    return product


def product_off_shelf(*, actor, product: Product, reason: str = "") -> Product:
    """Take an on-shelf product off shelf; an off-shelf product is returned unchanged.

    Dispatch calls this (with the system actor) when sellable stock reaches zero.
    """
    _require(actor, perms.PUBLISH_PRODUCT)
    reason = _clean_text(reason, "reason", max_length=500)
    with transaction.atomic():
        product = _lock_product(product)
        if product.status == Status.OFF_SHELF:
            return product
        _product_transition(
            product,
            Status.OFF_SHELF,
            actor=actor,
            kind=Kind.OFF_SHELF,
            action="product.off_shelf",
            reason=reason,
        )
    return product


def products_bulk_shelf(
    *, actor, products: Iterable[Product], on_shelf: bool, reason: str = ""
) -> tuple[list[Product], dict[int, str]]:
    """Put many products on (or off) shelf, each in its own transaction.

    Returns the products changed and ``{product id: error message}`` for the rest.
    """
    _require(actor, perms.PUBLISH_PRODUCT)
    done: list[Product] = []
    failed: dict[int, str] = {}
    for product in sorted(products, key=lambda p: p.pk):
        try:
            if on_shelf:
                done.append(product_on_shelf(actor=actor, product=product))
            else:
                done.append(product_off_shelf(actor=actor, product=product, reason=reason))
        except (StatusRefused, CatalogPermissionDenied) as exc:
            failed[product.pk] = exc.message
    return done, failed


def products_publish_scheduled(*, actor, now: datetime | None = None) -> list[int]:
    """Put every approved product whose listing time has come on shelf; return ids.

    Idempotent: a product already on shelf is no longer ``approved`` and is skipped.
    """
    now = now or timezone.now()
    due = list(
        Product.objects.filter(status=Status.APPROVED, scheduled_listing_at__lte=now).values_list(
            "pk", flat=True
        )
    )
    published: list[int] = []
    for pk in due:
        product = Product.objects.get(pk=pk)
        try:
            product_on_shelf(actor=actor, product=product)
        except StatusRefused:
            continue  # changed meanwhile (edited back to draft)
        published.append(pk)
    return published
