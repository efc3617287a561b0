"""Pure checks and normalisation of what members type (phones, ID numbers).

No database access: used by the services, the selectors (a phone search hashes the
normalised number) and the admin search alike.
"""

from __future__ import annotations

import re
from datetime import date

from .exceptions import InvalidPhone

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
