"""Private helpers shared by the catalog's services: permission check, input cleaning, inbox.

Nothing here is a service; every name is private to the ``catalog.services`` package.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from mall.core.actors import is_system_actor
from mall.core.money import to_money

from ..exceptions import CatalogPermissionDenied, InvalidProductData
from ..models import Product


def _require(actor, *needed: str) -> None:
    """Raise unless ``actor`` holds every permission (the system actor always may)."""
    if is_system_actor(actor):
        return
    if not (actor and actor.is_active and actor.is_staff and actor.has_perms(needed)):
        raise CatalogPermissionDenied()


def _notify(
    *,
    actor,
    recipients,
    kind: str,
    title: str,
    body: str = "",
    link: str = "",
    key: str = "",
    subject=None,
):
    """Put a staff notification into the inbox once the transaction commits.

    ``subject`` is what the notice is about (a product waiting for review, a change
    request): the service that decides it resolves the notice (:func:`_resolve`).
    """
    from ops.services.notifications import staff_notify

    ids = sorted({getattr(r, "pk", r) for r in recipients if r is not None})
    if not ids:
        return

    def send() -> None:
        staff_notify(
            actor=actor,
            recipients=ids,
            kind=kind,
            title=title,
            body=body,
            link=link,
            dedupe_key=key,
            subject=subject,
        )

    # robust: a failing inbox must not turn a committed decision into an error
    transaction.on_commit(send, robust=True)


def _resolve(*, actor, subject, kinds: list[str]) -> None:
    """Resolve the open notices of ``kinds`` about ``subject`` (inside the deciding
    transaction: they leave every inbox's open work when the decision commits)."""
    from ops.services.notifications import notifications_resolve

    notifications_resolve(actor=actor, subject=subject, kinds=kinds)


def _product_link(product: Product) -> str:
    return f"/admin/catalog/product/{product.pk}/change/"


def _lock_product(product: Product) -> Product:
    """Reload ``product`` under a row lock so concurrent transitions serialise."""
    return Product.objects.select_for_update().get(pk=product.pk)


def _clean_text(value: Any, field: str, *, max_length: int, required: bool = False) -> str:
    """Return ``value`` stripped; too long (or missing when required) is a field error."""
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
