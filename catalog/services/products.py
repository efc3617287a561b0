"""Every write of the catalog: products, SKUs, the listing review, prices, the tree.

Each service is atomic, checks the actor's function permission (data scope is the
caller's job: it loads the objects through ``selectors``), validates its rules,
writes with ``update_fields``, records a ``ProductEvent`` where the product's
history changes and an audit entry as its last step.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from mall.core.actors import is_system_actor
from mall.core.audit import audit, snapshot
from mall.core.money import to_money
from ops.parameters import get_parameter

from . import parameters as params
from . import permissions as perms
from .exceptions import (
    CatalogPermissionDenied,
    CategoryChangeConflict,
    CategoryChangeInvalid,
    ComplianceCheckFailed,
    InvalidProductData,
    InvalidTransition,
    ProductLocked,
    PromotionOverlap,
    PromotionPriceRefused,
    ReviewerIsAuthor,
)
from .models import (
    Category,
    CategoryChangeRequest,
    Product,
    ProductEvent,
    ProductImage,
    PromotionPrice,
    Sku,
    SkuPriceChange,
)
from .validators import validate_image_file

logger = logging.getLogger(__name__)

Status = Product.Status
Kind = ProductEvent.Kind

ALLOWED_TRANSITIONS: dict[str, set[str]] = {
    Status.DRAFT: {Status.PENDING_REVIEW},
    Status.REJECTED: {Status.PENDING_REVIEW},
    Status.PENDING_REVIEW: {Status.APPROVED, Status.REJECTED},
    Status.APPROVED: {Status.ON_SHELF, Status.DRAFT},
    Status.ON_SHELF: {Status.OFF_SHELF},
    Status.OFF_SHELF: {Status.ON_SHELF, Status.DRAFT},
}

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
SKU_PRICE_FIELDS = ("price_amount", "cost_amount", "is_available")
# Bounds of the whole-number SKU fields (the API serializers use the same numbers).
MAX_WEIGHT_GRAMS = 10_000_000
MAX_SORT_ORDER = 10_000


# --- helpers ---------------------------------------------------------------------------


def _require(actor, *needed: str) -> None:
    """Raise unless ``actor`` holds every permission (the system actor always may)."""
    if is_system_actor(actor):
        return
    if not (actor and actor.is_active and actor.is_staff and actor.has_perms(needed)):
        raise CatalogPermissionDenied()


def _notify(*, recipients, kind: str, title: str, body: str = "", link: str = "", key: str = ""):
    """Put a staff notification into the inbox once the transaction commits."""
    from ops.services.notifications import staff_notify

    ids = sorted({getattr(r, "pk", r) for r in recipients if r is not None})
    if not ids:
        return

    def send() -> None:
        staff_notify(recipients=ids, kind=kind, title=title, body=body, link=link, dedupe_key=key)

    # robust: a failing inbox must not turn a committed decision into an error
    transaction.on_commit(send, robust=True)


def _product_link(product: Product) -> str:
    return f"/admin/catalog/product/{product.pk}/change/"


def _transition(
    product: Product,
    *,
    to: str,
    actor,
    kind: str,
    reason: str = "",
    data: dict | None = None,
    update_fields: Iterable[str] = (),
) -> ProductEvent:
    """Move ``product`` to ``to`` if the table allows it; save and append an event."""
    current = product.status
    if to not in ALLOWED_TRANSITIONS.get(current, set()):
        raise InvalidTransition(
            _("A product cannot go from “%(from)s” to “%(to)s”.")
            % {"from": Status(current).label, "to": Status(to).label},
            extra={"from_status": current, "to_status": to},
        )
    product.status = to
    product.save(update_fields=["status", "updated_at", *update_fields])
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


def _lock_product(product: Product) -> Product:
    """Reload ``product`` under a row lock so concurrent transitions serialise."""
    return Product.objects.select_for_update().get(pk=product.pk)


def _clean_text(value: Any, field: str, *, max_length: int, required: bool = False) -> str:
    text = "" if value is None else str(value).strip()
    if required and not text:
        raise InvalidProductData(fields={field: [_("This field is required.")]})
    if len(text) > max_length:
        raise InvalidProductData(
            fields={field: [_("At most %(n)d characters.") % {"n": max_length}]}
        )
    return text


def _money(value: Any, field: str, *, allow_none: bool = False) -> Decimal | None:
    if value is None or value == "":
        if allow_none:
            return None
        raise InvalidProductData(fields={field: [_("This field is required.")]})
    try:
        amount = to_money(value)
    except ValueError:
        raise InvalidProductData(fields={field: [_("Enter a valid amount.")]}) from None
    if amount < 0:
        raise InvalidProductData(fields={field: [_("The amount cannot be negative.")]})
    if amount >= Decimal("1000000000000"):
        raise InvalidProductData(fields={field: [_("The amount is too large.")]})
    return amount


def _whole_number(value: Any, field: str, *, minimum: int, maximum: int) -> int:
    """Return ``value`` as an int within ``[minimum, maximum]`` or raise a field error."""
    if isinstance(value, bool):
        raise InvalidProductData(fields={field: [_("Enter a whole number.")]})
    try:
        number = int(value or 0)
    except (TypeError, ValueError, OverflowError):
        raise InvalidProductData(fields={field: [_("Enter a whole number.")]}) from None
    if not minimum <= number <= maximum:
        raise InvalidProductData(
            fields={
                field: [
                    _("Enter a whole number from %(min)d to %(max)d.")
                    % {"min": minimum, "max": maximum}
                ]
            }
        )
    return number


def _create_unique(model, *, field: str, message: str, error=InvalidProductData, **values):
    """Create a row whose ``code`` is unique; a concurrent taker is a field error, not a 500.

    The caller checked the code first; this closes the race between that check and
    the INSERT (another transaction committing the same code in between).
    """
    try:
        with transaction.atomic():
            return model.objects.create(**values)
    except IntegrityError:
        if model.objects.filter(code=values["code"]).exists():
            raise error(fields={field: [message]}) from None
        raise


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
        _transition(
            product,
            to=Status.DRAFT,
            actor=actor,
            kind=Kind.REOPENED,
            data={"changed": changed},
            update_fields=["scheduled_listing_at"] if _clear_schedule(product) else (),
        )
        return
    raise ProductLocked(
        _("“%(status)s” products cannot be edited; take it off shelf or wait for the review.")
        % {"status": product.get_status_display()},
        extra={"status": product.status},
    )


def _clear_schedule(product: Product) -> bool:
    if product.scheduled_listing_at is None:
        return False
    product.scheduled_listing_at = None
    return True


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
        picture = ProductImage(
            product=product,
            alt_text=_clean_text(alt_text, "alt_text", max_length=120),
            sort_order=sort_order,
        )
        picture.image.save(getattr(image, "name", "image"), image, save=False)
        picture.save()
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


# --- SKUs and prices -------------------------------------------------------------------


def _record_price(sku: Sku, *, old, new, actor, reason: str = "") -> SkuPriceChange:
    return SkuPriceChange.objects.create(
        sku=sku,
        old_price_amount=old,
        new_price_amount=new,
        changed_by=actor,
        changed_at=timezone.now(),
        reason=reason[:200],
    )


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


def sku_lowest_price(sku: Sku, *, start: datetime, end: datetime) -> Decimal | None:
    """Return the lowest price ``sku`` sold at during ``[start, end)``, or ``None``.

    Counts the sale price in force at ``start`` (the last change at or before it),
    every sale-price change inside the window, and every active promotion price
    whose period overlaps the window. A SKU without history counts its current price.
    """
    history = SkuPriceChange.objects.filter(sku=sku)
    candidates: list[Decimal] = list(
        history.filter(changed_at__gt=start, changed_at__lt=end).values_list(
            "new_price_amount", flat=True
        )
    )
    in_force = (
        history.filter(changed_at__lte=start)
        .order_by("-changed_at", "-id")
        .values_list("new_price_amount", flat=True)
        .first()
    )
    if in_force is not None:
        candidates.append(in_force)
    candidates += list(
        PromotionPrice.objects.filter(
            sku=sku,
            status=PromotionPrice.Status.ACTIVE,
            starts_at__lt=end,
            ends_at__gt=start,
        ).values_list("price_amount", flat=True)
    )
    if not candidates and not history.exists():
        candidates.append(sku.price_amount)
    return min(candidates) if candidates else None


def promotion_price_create(
    *,
    actor,
    sku: Sku,
    price_amount,
    starts_at: datetime,
    ends_at: datetime,
    note: str = "",
) -> PromotionPrice:
    """Set a promotion price for ``sku`` from ``starts_at`` until ``ends_at``.

    Compliance rule: the price must be strictly lower than the lowest price of the
    ``catalog.promotion_lookback_days`` days (default 30) before ``starts_at`` (up to
    now when the start is already past);
    otherwise ``PromotionPriceRefused`` names that price. Promotions of one SKU may
    not overlap (``PromotionOverlap``).
    """
    _require(actor, perms.ADD_PROMOTION)
    price = _money(price_amount, "price_amount")
    if price <= 0:
        raise InvalidProductData(fields={"price_amount": [_("The price must be above zero.")]})
    if (
        starts_at is None
        or ends_at is None
        or timezone.is_naive(starts_at)
        or timezone.is_naive(ends_at)
    ):
        raise InvalidProductData(
            fields={"starts_at": [_("Give a start and an end with time zone.")]}
        )
    if ends_at <= starts_at:
        raise InvalidProductData(fields={"ends_at": [_("The end must be after the start.")]})
    if ends_at <= timezone.now():
        raise InvalidProductData(fields={"ends_at": [_("The end must be in the future.")]})
    days = get_parameter(params.PROMOTION_LOOKBACK_DAYS)
    try:
        window_start = starts_at - timedelta(days=days)
    except OverflowError:  # a start within the look-back of the year 1
        raise InvalidProductData(
            fields={"starts_at": [_("The start is out of the supported range.")]}
        ) from None
    with transaction.atomic():
        sku = Sku.objects.select_for_update().get(pk=sku.pk)
        # A promotion that starts now (or is entered late) is also measured against
        # every price up to this moment.
        lowest = sku_lowest_price(sku, start=window_start, end=max(starts_at, timezone.now()))
        if lowest is None:
            raise PromotionPriceRefused(
                _("The SKU has no price history in the %(days)d days before the start.")
                % {"days": days},
                extra={"lookback_days": days},
            )
        if price >= lowest:
            raise PromotionPriceRefused(
                _(
                    "A promotion price must be lower than %(lowest)s, the lowest price of "
                    "the %(days)d days before %(start)s."
                )
                % {
                    "lowest": f"{lowest:.2f}",
                    "days": days,
                    "start": timezone.localtime(starts_at).strftime("%Y-%m-%d %H:%M"),
                },
                fields={
                    "price_amount": [_("Must be below %(lowest)s.") % {"lowest": f"{lowest:.2f}"}]
                },
                extra={"lowest_price": f"{lowest:.2f}", "lookback_days": days},
            )
        overlapping = PromotionPrice.objects.filter(
            sku=sku,
            status=PromotionPrice.Status.ACTIVE,
            starts_at__lt=ends_at,
            ends_at__gt=starts_at,
        ).first()
        if overlapping is not None:
            raise PromotionOverlap(extra={"promotion_id": overlapping.pk})
        promotion = PromotionPrice.objects.create(
            sku=sku,
            price_amount=price,
            starts_at=starts_at,
            ends_at=ends_at,
            reference_price_amount=lowest,
            note=_clean_text(note, "note", max_length=200),
            created_by=actor,
        )
        audit(
            actor=actor,
            action="promotion_price.create",
            target=promotion,
            after=snapshot(promotion),
        )
    return promotion


def promotion_price_cancel(*, actor, promotion: PromotionPrice, reason: str = "") -> PromotionPrice:
    """Cancel a promotion price (idempotent); an ended one stays as history."""
    _require(actor, perms.CHANGE_PROMOTION)
    with transaction.atomic():
        promotion = PromotionPrice.objects.select_for_update().get(pk=promotion.pk)
        if promotion.status == PromotionPrice.Status.CANCELLED:
            return promotion
        if promotion.ends_at <= timezone.now():
            raise InvalidTransition(_("The promotion has already ended."))
        before = snapshot(promotion)
        promotion.status = PromotionPrice.Status.CANCELLED
        promotion.save(update_fields=["status", "updated_at"])
        audit(
            actor=actor,
            action="promotion_price.cancel",
            target=promotion,
            before=before,
            after=snapshot(promotion),
            data={"reason": reason},
        )
    return promotion


# --- listing review --------------------------------------------------------------------


def product_compliance_problems(product: Product) -> dict[str, list[str]]:
    """Return the listing checks ``product`` fails, per field (empty when it passes).

    Required fields, at least ``catalog.min_images`` pictures, at least one SKU,
    every SKU price above zero (and a weight for physical goods), no banned absolute
    words (``catalog.banned_title_words``) in title or subtitle, complete presale
    settings.
    """
    problems: dict[str, list[str]] = {}

    def add(field: str, message: str) -> None:
        problems.setdefault(field, []).append(message)

    if not product.title.strip():
        add("title", _("The title is required."))
    if not product.description.strip():
        add("description", _("The description is required."))
    category = product.category
    if category.level != Category.MAX_LEVEL or not category.is_active:
        add("category", _("Choose an active third-level category."))
    banned = [word for word in get_parameter(params.BANNED_TITLE_WORDS) if word]
    for field in ("title", "subtitle"):
        text = getattr(product, field).casefold()
        found = [word for word in banned if word.casefold() in text]
        if found:
            add(
                field,
                _("Contains words the advertising law forbids: %(words)s")
                % {"words": "、".join(found)},
            )
    needed = get_parameter(params.MIN_IMAGES)
    if product.images.count() < needed:
        add("images", _("Upload at least %(n)d picture(s).") % {"n": needed})
    skus = list(product.skus.all())
    if not skus:
        add("skus", _("Add at least one SKU."))
    for sku in skus:
        if sku.price_amount <= 0:
            add(f"skus.{sku.code}.price_amount", _("The price must be above zero."))
        if not product.is_virtual and sku.weight_grams <= 0:
            add(f"skus.{sku.code}.weight_grams", _("Physical goods need a weight."))
    if product.is_presale:
        deposit = product.presale_deposit_amount
        if deposit is None or deposit <= 0:
            add("presale_deposit_amount", _("A presale needs a deposit above zero."))
        elif skus and deposit >= min(sku.price_amount for sku in skus):
            add("presale_deposit_amount", _("The deposit must be below the lowest SKU price."))
        starts, ends = (
            product.presale_final_payment_starts_at,
            product.presale_final_payment_ends_at,
        )
        if starts is None or ends is None:
            add("presale_final_payment_ends_at", _("A presale needs a final-payment window."))
        elif ends <= starts:
            add("presale_final_payment_ends_at", _("The window must end after it starts."))
        ship = product.presale_ship_date
        if ship is None:
            add("presale_ship_date", _("A presale needs a ship date."))
        elif ends is not None and ship < timezone.localdate(ends):
            add("presale_ship_date", _("The ship date cannot be before the final payment ends."))
    return problems


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
        before = snapshot(product)
        product.review_round += 1
        product.submitted_by = actor
        product.submitted_at = timezone.now()
        event = _transition(
            product,
            to=Status.PENDING_REVIEW,
            actor=actor,
            kind=Kind.SUBMITTED,
            update_fields=["review_round", "submitted_by", "submitted_at"],
        )
        audit(
            actor=actor,
            action="product.submit",
            target=product,
            before=before,
            after=snapshot(product),
            data={"round": product.review_round, "event_id": event.pk},
        )
        _notify(
            recipients=_reviewers_to_notify(product),
            kind="catalog.review_waiting",
            title=_("Listing review waiting: %(title)s") % {"title": product.title},
            link=_product_link(product),
            key=f"catalog.review:{product.pk}:{product.review_round}",
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
    with transaction.atomic():
        product = _lock_product(product)
        _check_reviewer(actor, product)
        if product.status != Status.PENDING_REVIEW:
            raise InvalidTransition(_("Only products in review can be approved."))
        before = snapshot(product)
        fields: list[str] = []
        if scheduled_listing_at is not None:
            if timezone.is_naive(scheduled_listing_at):
                raise InvalidProductData(
                    fields={"scheduled_listing_at": [_("Give a time with time zone.")]}
                )
            product.scheduled_listing_at = scheduled_listing_at
            fields.append("scheduled_listing_at")
        _transition(
            product,
            to=Status.APPROVED,
            actor=actor,
            kind=Kind.APPROVED,
            reason=_clean_text(note, "note", max_length=500),
            data={"scheduled_listing_at": scheduled_listing_at.isoformat()}
            if scheduled_listing_at
            else {},
            update_fields=fields,
        )
        audit(
            actor=actor,
            action="product.approve",
            target=product,
            before=before,
            after=snapshot(product),
            data={"round": product.review_round},
        )
        _notify(
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
        before = snapshot(product)
        _transition(product, to=Status.REJECTED, actor=actor, kind=Kind.REJECTED, reason=reason)
        audit(
            actor=actor,
            action="product.reject",
            target=product,
            before=before,
            after=snapshot(product),
            data={"round": product.review_round, "reason": reason},
        )
        _notify(
            recipients=[product.created_by_id, product.submitted_by_id],
            kind="catalog.review_rejected",
            title=_("Listing rejected: %(title)s") % {"title": product.title},
            body=reason,
            link=_product_link(product),
            key=f"catalog.rejected:{product.pk}:{product.review_round}",
        )
    return product


def product_schedule_listing(*, actor, product: Product, listing_at: datetime | None) -> Product:
    """Set (or with ``None`` clear) the time an approved product goes on shelf."""
    _require(actor, perms.PUBLISH_PRODUCT)
    if listing_at is not None and timezone.is_naive(listing_at):
        raise InvalidProductData(fields={"listing_at": [_("Give a time with time zone.")]})
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
        before = snapshot(product)
        product.listed_at = timezone.now()
        product.scheduled_listing_at = None
        _transition(
            product,
            to=Status.ON_SHELF,
            actor=actor,
            kind=Kind.ON_SHELF,
            update_fields=["listed_at", "scheduled_listing_at"],
        )
        audit(
            actor=actor,
            action="product.on_shelf",
            target=product,
            before=before,
            after=snapshot(product),
        )
    return product


def product_off_shelf(*, actor, product: Product, reason: str = "") -> Product:
    """Take an on-shelf product off shelf; an off-shelf product is returned unchanged.

    Dispatch calls this (with the system actor) when sellable stock reaches zero.
    """
    _require(actor, perms.PUBLISH_PRODUCT)
    with transaction.atomic():
        product = _lock_product(product)
        if product.status == Status.OFF_SHELF:
            return product
        before = snapshot(product)
        _transition(
            product,
            to=Status.OFF_SHELF,
            actor=actor,
            kind=Kind.OFF_SHELF,
            reason=_clean_text(reason, "reason", max_length=500),
        )
        audit(
            actor=actor,
            action="product.off_shelf",
            target=product,
            before=before,
            after=snapshot(product),
            data={"reason": reason},
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
        except (InvalidTransition, CatalogPermissionDenied) as exc:
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
        except InvalidTransition:
            continue  # changed meanwhile (edited back to draft)
        published.append(pk)
    return published


# --- category tree ---------------------------------------------------------------------


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
        if category.products.filter(status=Status.ON_SHELF).exists():
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
            recipients=list(approvers),
            kind="catalog.category_change_waiting",
            title=_("Category change waiting for approval"),
            link=f"/admin/catalog/categorychangerequest/{change.pk}/change/",
            key=f"catalog.category_change:{change.pk}",
        )
    return change


def _decide_category_change(
    *, actor, change: CategoryChangeRequest, approve: bool, note: str
) -> CategoryChangeRequest:
    _require(actor, perms.APPROVE_CATEGORY_CHANGE)
    with transaction.atomic():
        change = CategoryChangeRequest.objects.select_for_update().get(pk=change.pk)
        if change.status != CategoryChangeRequest.Status.PENDING:
            raise CategoryChangeConflict()
        if change.requested_by_id == actor.pk and not is_system_actor(actor):
            raise CatalogPermissionDenied(_("Nobody approves their own change request."))
        before = snapshot(change)
        category = _category_apply(change) if approve else None
        change.status = (
            CategoryChangeRequest.Status.APPROVED
            if approve
            else CategoryChangeRequest.Status.REJECTED
        )
        change.decided_by = actor
        change.decided_at = timezone.now()
        change.decision_note = note[:500]
        update = ["status", "decided_by", "decided_at", "decision_note", "updated_at"]
        if category is not None and change.category_id is None:
            change.category = category
            update.append("category")
        change.save(update_fields=update)
        audit(
            actor=actor,
            action="category_change.approve" if approve else "category_change.reject",
            target=change,
            before=before,
            after=snapshot(change),
            data={"category_id": category.pk if category else change.category_id},
        )
        _notify(
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
