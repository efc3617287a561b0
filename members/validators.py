"""Pure checks and normalisation of what people type (phones, ID numbers, coupon
template rules).

No database access: used by the services, the selectors (a phone search hashes the
normalised number) and the admin search alike.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mall.core.money import ZERO, to_money
from mall.core.times import is_beyond_horizon

from .exceptions import InvalidPhone
from .models import CouponTemplate

PHONE_RE = re.compile(r"^1[3-9][0-9]{9}$")
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK_CODES = "10X98765432"


def normalize_phone(phone: str) -> str:
    """Return the 11-digit mainland mobile number (``+86``/spaces/dashes removed).

    Raises ``InvalidPhone`` when it is not one.
    """
    digits = re.sub(r"[\s-]", "", str(phone or ""))
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("0086"):
        digits = digits[4:]
    if not PHONE_RE.match(digits):
        raise InvalidPhone(fields={"phone": [str(InvalidPhone.default_message)]})
    return digits


def id_number_is_valid(number: str) -> bool:
    """True for an 18-character PRC resident ID with a correct check character
    (GB 11643) and a real birth date."""
    number = (number or "").strip().upper()
    if len(number) != 18 or not number[:17].isdigit() or not number[:17].isascii():
        return False
    try:
        date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return False
    total = sum(int(digit) * weight for digit, weight in zip(number[:17], ID_WEIGHTS, strict=True))
    return ID_CHECK_CODES[total % 11] == number[17]


MAX_VALID_DAYS = 3650


def _aware(value) -> bool:
    return isinstance(value, datetime) and timezone.is_aware(value)


TEMPLATE_FIELDS = (
    "name",
    "kind",
    "discount_amount",
    "threshold_amount",
    "discount_rate",
    "max_discount_amount",
    "validity",
    "valid_from",
    "valid_until",
    "valid_days",
    "total_stock",
    "per_member_limit",
    "is_claimable",
    "is_active",
)


def coupon_template_errors(values: dict, issued_count: int = 0) -> dict[str, list[str]]:
    """The rule violations of a coupon template's ``values``, by field (empty: valid).

    Shared by the services (which refuse with ``InvalidCouponTemplate``) and the
    admin form (which shows them on the fields).
    """
    errors: dict[str, list[str]] = {}

    def add(field: str, message) -> None:
        errors.setdefault(field, []).append(str(message))

    kind = values.get("kind")
    if not (values.get("name") or "").strip():
        add("name", _("This field is required."))
    if kind not in CouponTemplate.Kind.values:
        add("kind", _("Unknown coupon kind."))
    threshold = values.get("threshold_amount") or ZERO
    if to_money(threshold) < ZERO:
        add("threshold_amount", _("Must not be negative."))
    if kind == CouponTemplate.Kind.AMOUNT_OFF:
        amount = values.get("discount_amount")
        if amount is None or to_money(amount) <= ZERO:
            add("discount_amount", _("An amount-off coupon needs a positive amount."))
        elif to_money(threshold) > ZERO and to_money(amount) > to_money(threshold):
            add("discount_amount", _("Cannot take off more than the minimum order amount."))
    if kind == CouponTemplate.Kind.PERCENT_OFF:
        rate = values.get("discount_rate")
        if rate is None or not (Decimal(0) < Decimal(rate) < Decimal(1)):
            add("discount_rate", _("A percentage coupon needs a rate between 0 and 1."))
    if (
        values.get("max_discount_amount") is not None
        and to_money(values["max_discount_amount"]) <= ZERO
    ):
        add("max_discount_amount", _("Must be positive."))
    validity = values.get("validity")
    if validity == CouponTemplate.Validity.WINDOW:
        start, end = values.get("valid_from"), values.get("valid_until")
        if end is None:
            add("valid_until", _("A fixed window needs an end."))
        elif start is not None and end <= start:
            add("valid_until", _("Must be after the start."))
        elif _aware(start) and is_beyond_horizon(start):
            add("valid_from", _("This time lies more than a year ahead."))
        elif _aware(end) and end > timezone.now() + timedelta(days=MAX_VALID_DAYS):
            # As for "valid for N days": a window ends within ten years.
            add("valid_until", _("At most ten years ahead."))
    elif validity == CouponTemplate.Validity.DAYS:
        if not values.get("valid_days"):
            add("valid_days", _("Give the number of days the coupon stays valid."))
        elif int(values["valid_days"]) > MAX_VALID_DAYS:
            # A claim computes its end date from this: keep it a real date.
            add("valid_days", _("At most 3650 days (ten years)."))
    else:
        add("validity", _("Unknown validity."))
    stock = values.get("total_stock")
    if stock is None or int(stock) < 1:
        add("total_stock", _("Must be at least 1."))
    elif int(stock) < issued_count:
        add("total_stock", _("Cannot be below the number already issued."))
    if int(values.get("per_member_limit") or 0) < 1:
        add("per_member_limit", _("Must be at least 1."))
    return errors
