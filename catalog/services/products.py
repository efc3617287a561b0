"""Products and their SKUs: create, edit content, pictures; the listing state machine.

The product's status table (:data:`PRODUCT_TRANSITIONS`) and its one transition
helper live here; the review and shelf services in :mod:`.listing` use it too.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import transaction
from django.utils.translation import gettext as _

from mall.core.audit import audit, snapshot
from mall.core.transitions import register_transitions, transition

from .. import permissions as perms
from ..exceptions import InvalidProductData, ProductLocked
from ..models import Category, Product, ProductEvent, ProductImage, Sku
from ..validators import validate_image_file
from .common import (
    _clean_text,
    _create_unique,
    _lock_product,
    _money,
    _require,
    _whole_number,
)
from .pricing import _record_price

Status = Product.Status
Kind = ProductEvent.Kind

# The listing workflow (docs/CATALOG.md "The review workflow"): every status change
# of a product goes through :func:`_product_transition` and this table.
PRODUCT_TRANSITIONS = register_transitions(
    Product,
    {
        Status.DRAFT: {Status.PENDING_REVIEW},
        Status.REJECTED: {Status.PENDING_REVIEW},
        Status.PENDING_REVIEW: {Status.APPROVED, Status.REJECTED},
        Status.APPROVED: {Status.ON_SHELF, Status.DRAFT},
        Status.ON_SHELF: {Status.OFF_SHELF},
        Status.OFF_SHELF: {Status.ON_SHELF, Status.DRAFT},
    },
    initial=[Status.DRAFT],
)

# Content (what the review looked at) may change in these statuses; in APPROVED and
# OFF_SHELF a content change sends the product back to draft for a new review.
CONTENT_EDITABLE = {Status.DRAFT, Status.REJECTED}
CONTENT_REOPENS = {Status.APPROVED, Status.OFF_SHELF}

PRODUCT_FIELDS = (
    "title",
    "subtitle",
    "description",
    "category",
    "brand",
    "owner",
    "is_virtual",
    "is_presale",
    "presale_deposit_amount",
    "presale_final_payment_starts_at",
    "presale_final_payment_ends_at",
    "presale_ship_date",
)
SKU_CONTENT_FIELDS = ("spec", "weight_grams", "sort_order")
# Bounds of the whole-number SKU fields (the API serializers use the same numbers).
MAX_WEIGHT_GRAMS = 10_000_000
MAX_SORT_ORDER = 10_000

# --- the state machine -----------------------------------------------------------------


def _product_transition(
    product: Product,
    to: str,
    *,
    actor,
    kind: str,
    action: str,
    reason: str = "",
    data: dict | None = None,
    **changes: Any,
) -> ProductEvent:
    """Move ``product`` to ``to`` through the kernel's ``transition()``; append its event.

    ``transition()`` refuses a move the table does not allow (``InvalidTransition``,
    409), saves the status and ``changes`` and writes the audit entry ``action``
    (with ``data`` and the review round); the product's own history row
    (``ProductEvent``: kind, from, to, round, actor, reason, ``data``) follows.
    """
    current = product.status
    review_round = changes.get("review_round", product.review_round)
    transition(
        product,
        to,
        actor=actor,
        action=action,
        reason=reason,
        data={"round": review_round, **(data or {})},
        **changes,
    )
    return ProductEvent.objects.create(
        product=product,
        kind=kind,
        from_status=current,
        to_status=to,
        review_round=product.review_round,
        actor=actor,
        reason=reason or "",
        data=data or {},
    )


# --- checks ----------------------------------------------------------------------------


def _check_category(category: Category | None) -> None:
    if category is None:
        raise InvalidProductData(fields={"category": [_("This field is required.")]})
    if category.level != Category.MAX_LEVEL or not category.is_active:
        raise InvalidProductData(fields={"category": [_("Choose an active third-level category.")]})


def _clean_spec(spec: Any) -> dict[str, str]:
    if spec in (None, ""):
        return {}
    if not isinstance(spec, dict):
        raise InvalidProductData(
            fields={"spec": [_("Give the specification as name/value pairs.")]}
        )
    cleaned: dict[str, str] = {}
    for key, value in spec.items():
        name = str(key).strip()
        if not name or len(name) > 30 or len(str(value)) > 60:
            raise InvalidProductData(fields={"spec": [_("Invalid specification entry.")]})
        cleaned[name] = str(value).strip()
    return cleaned


# --- products --------------------------------------------------------------------------


def _clean_product_values(values: dict[str, Any]) -> dict[str, Any]:
    cleaned: dict[str, Any] = {}
    for name, value in values.items():
        if name not in PRODUCT_FIELDS:
            raise InvalidProductData(fields={name: [_("Unknown field.")]})
        if name == "title":
            value = _clean_text(value, name, max_length=120, required=True)
        elif name == "subtitle":
            value = _clean_text(value, name, max_length=200)
        elif name == "brand":
            value = _clean_text(value, name, max_length=80)
        elif name == "description":
            value = "" if value is None else str(value)
        elif name == "category":
            _check_category(value)
        elif name == "owner":
            if value is not None and not (value.is_active and value.is_staff):
                raise InvalidProductData(fields={"owner": [_("The owner must be active staff.")]})
        elif name in ("is_virtual", "is_presale"):
            value = bool(value)
        elif name == "presale_deposit_amount":
            value = _money(value, name, allow_none=True)
        cleaned[name] = value
    return cleaned


def product_create(
    *,
    actor,
    code: str,
    title: str,
    category: Category,
    owner=None,
    skus: Iterable[dict[str, Any]] = (),
    **values: Any,
) -> Product:
    """Create a draft product (and its SKUs) authored by ``actor``.

    ``owner`` defaults to the author. ``skus`` are keyword dicts for :func:`sku_create`.
    Raises ``InvalidProductData`` for bad fields or a taken code.
    """
    _require(actor, perms.ADD_PRODUCT)
    code = _clean_text(code, "code", max_length=40, required=True)
    cleaned = _clean_product_values(
        {"title": title, "category": category, "owner": owner or actor, **values}
    )
    with transaction.atomic():
        if Product.objects.filter(code=code).exists():
            raise InvalidProductData(fields={"code": [_("This product code is taken.")]})
        product = _create_unique(
            Product,
            field="code",
            message=_("This product code is taken."),
            code=code,
            created_by=actor,
            **cleaned,
        )
        ProductEvent.objects.create(
            product=product,
            kind=Kind.CREATED,
            to_status=product.status,
            actor=actor,
        )
        for sku_values in skus:
            sku_create(actor=actor, product=product, **sku_values)
        audit(actor=actor, action="product.create", target=product, after=snapshot(product))
    return product


def _content_change(product: Product, *, actor, changed: list[str]) -> None:
    """Refuse content edits while reviewed or on shelf; reopen an approved product."""
    if product.status in CONTENT_EDITABLE:
        return
    if product.status in CONTENT_REOPENS:
        # A scheduled listing was approved for the old content: it goes too.
        schedule = {"scheduled_listing_at": None} if product.scheduled_listing_at else {}
        _product_transition(
            product,
            Status.DRAFT,
            actor=actor,
            kind=Kind.REOPENED,
            action="product.reopen",
            data={"changed": changed},
            **schedule,
        )
        return
    raise ProductLocked(
        _("“%(status)s” products cannot be edited; take it off shelf or wait for the review.")
        % {"status": product.get_status_display()},
        extra={"status": product.status},
    )


def product_update(*, actor, product: Product, **values: Any) -> Product:
    """Change a product's content fields.

    Editable in draft and rejected; an approved or off-shelf product goes back to
    draft and needs a new review; pending-review and on-shelf products are locked
    (``ProductLocked``). Changing only the owner never reopens the review.
    """
    _require(actor, perms.CHANGE_PRODUCT)
    cleaned = _clean_product_values(values)
    with transaction.atomic():
        product = _lock_product(product)
        before = snapshot(product)
        changed = [
            name
            for name, value in cleaned.items()
            if getattr(product, name if name not in ("category", "owner") else f"{name}_id")
            != (getattr(value, "pk", value) if name in ("category", "owner") else value)
        ]
        if not changed:
            return product
        if set(changed) - {"owner"}:
            _content_change(product, actor=actor, changed=changed)
        for name in changed:
            setattr(product, name, cleaned[name])
        product.save(update_fields=[*changed, "updated_at"])
        ProductEvent.objects.create(
            product=product,
            kind=Kind.UPDATED,
            from_status=product.status,
            to_status=product.status,
            review_round=product.review_round,
            actor=actor,
            data={"changed": changed},
        )
        audit(
            actor=actor,
            action="product.update",
            target=product,
            before=before,
            after=snapshot(product),
        )
    return product


def product_image_add(
    *, actor, product: Product, image, alt_text: str = "", sort_order: int | None = None
) -> ProductImage:
    """Attach a picture (JPEG/PNG/GIF/WebP, checked by content) to ``product``."""
    _require(actor, perms.CHANGE_PRODUCT)
    try:
        validate_image_file(image)
    except ValidationError as exc:
        raise InvalidProductData(fields={"image": exc.messages}) from None
    with transaction.atomic():
        product = _lock_product(product)
        _content_change(product, actor=actor, changed=["images"])
        if sort_order is None:
            sort_order = product.images.count()
        if not isinstance(image, File) or not image.name:
            name = getattr(image, "name", None) or "image"
            image = File(getattr(image, "file", image), name=name)
        # Saving the row stores the uncommitted file first (the storage picks a free name).
        picture = ProductImage(
            product=product,
            image=image,
            alt_text=_clean_text(alt_text, "alt_text", max_length=120),
            sort_order=sort_order,
        )
        picture.save(force_insert=True)
        audit(
            actor=actor,
            action="product.image_add",
            target=product,
            data={"image_id": picture.pk, "name": picture.image.name},
        )
    return picture


def product_image_remove(*, actor, image: ProductImage) -> None:
    """Remove a picture; the stored file is deleted after commit."""
    _require(actor, perms.CHANGE_PRODUCT)
    with transaction.atomic():
        product = _lock_product(image.product)
        _content_change(product, actor=actor, changed=["images"])
        name, storage = image.image.name, image.image.storage
        image_id = image.pk
        image.delete()
        audit(
            actor=actor,
            action="product.image_remove",
            target=product,
            data={"image_id": image_id, "name": name},
        )
        transaction.on_commit(lambda: storage.delete(name))


# --- SKUs ------------------------------------------------------------------------------


def sku_create(
    *,
    actor,
    product: Product,
    code: str,
    price_amount,
    cost_amount=0,
    spec: dict | None = None,
    weight_grams: int = 0,
    is_available: bool = True,
    sort_order: int = 0,
) -> Sku:
    """Add a SKU to ``product`` and start its price history.

    Adding a SKU is a content change (see :func:`product_update`).
    """
    _require(actor, perms.ADD_SKU)
    code = _clean_text(code, "code", max_length=40, required=True)
    price = _money(price_amount, "price_amount")
    cost = _money(cost_amount, "cost_amount")
    weight = _whole_number(weight_grams, "weight_grams", minimum=0, maximum=MAX_WEIGHT_GRAMS)
    sort_order = _whole_number(
        sort_order, "sort_order", minimum=-MAX_SORT_ORDER, maximum=MAX_SORT_ORDER
    )
    with transaction.atomic():
        product = _lock_product(product)
        _content_change(product, actor=actor, changed=["skus"])
        if Sku.objects.filter(code=code).exists():
            raise InvalidProductData(fields={"code": [_("This SKU code is taken.")]})
        sku = _create_unique(
            Sku,
            field="code",
            message=_("This SKU code is taken."),
            product=product,
            code=code,
            spec=_clean_spec(spec),
            cost_amount=cost,
            price_amount=price,
            weight_grams=weight,
            is_available=bool(is_available),
            sort_order=sort_order,
        )
        _record_price(sku, old=None, new=price, actor=actor, reason=_("SKU created"))
        audit(actor=actor, action="sku.create", target=sku, after=snapshot(sku))
    return sku


def sku_update(*, actor, sku: Sku, reason: str = "", **values: Any) -> Sku:
    """Change a SKU. Price, cost and availability may change in any status.

    Every sale-price change lands in the price history (who, when, old, new).
    Specification, weight and order are content (see :func:`product_update`).
    """
    _require(actor, perms.CHANGE_SKU)
    reason = _clean_text(reason, "reason", max_length=200)
    cleaned: dict[str, Any] = {}
    for name, value in values.items():
        if name in ("price_amount", "cost_amount"):
            cleaned[name] = _money(value, name)
        elif name == "is_available":
            cleaned[name] = bool(value)
        elif name == "spec":
            cleaned[name] = _clean_spec(value)
        elif name == "weight_grams":
            cleaned[name] = _whole_number(value, name, minimum=0, maximum=MAX_WEIGHT_GRAMS)
        elif name == "sort_order":
            cleaned[name] = _whole_number(
                value, name, minimum=-MAX_SORT_ORDER, maximum=MAX_SORT_ORDER
            )
        else:
            raise InvalidProductData(fields={name: [_("Unknown field.")]})
    with transaction.atomic():
        product = _lock_product(sku.product)
        sku = Sku.objects.select_for_update().get(pk=sku.pk)
        before = snapshot(sku)
        changed = [name for name, value in cleaned.items() if getattr(sku, name) != value]
        if not changed:
            return sku
        if (
            "price_amount" in changed
            and cleaned["price_amount"] <= 0
            and product.status not in CONTENT_EDITABLE
        ):
            # The listing check "price above zero" must hold after the review too.
            raise InvalidProductData(
                fields={
                    "price_amount": [_("A product in review or past it needs a price above zero.")]
                }
            )
        content = [name for name in changed if name in SKU_CONTENT_FIELDS]
        if content:
            _content_change(product, actor=actor, changed=[f"sku.{name}" for name in content])
        old_price = sku.price_amount
        for name in changed:
            setattr(sku, name, cleaned[name])
        sku.save(update_fields=[*changed, "updated_at"])
        if "price_amount" in changed:
            _record_price(sku, old=old_price, new=sku.price_amount, actor=actor, reason=reason)
        audit(actor=actor, action="sku.update", target=sku, before=before, after=snapshot(sku))
    return sku
