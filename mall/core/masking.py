"""Masking of personal data (脱敏) for people without ``members.view_member_pii``."""

from __future__ import annotations

PII_PERMISSION = "members.view_member_pii"


def mask_phone(phone: str | None) -> str:
    if not phone:
        return ""
    if len(phone) >= 7:
        return f"{phone[:3]}****{phone[-4:]}"
    return "*" * len(phone)


def mask_name(name: str | None) -> str:
    if not name:
        return ""
    if len(name) == 1:
        return "*"
    return name[0] + "*" * (len(name) - 1)


def mask_id_number(number: str | None) -> str:
    if not number:
        return ""
    if len(number) <= 8:
        return "*" * len(number)
    return f"{number[:4]}{'*' * (len(number) - 8)}{number[-4:]}"


def mask_address(detail: str | None) -> str:
    if not detail:
        return ""
    keep = min(6, max(1, len(detail) // 3))
    return detail[:keep] + "****"


def can_view_pii(user) -> bool:
    return bool(user and getattr(user, "is_active", False) and user.has_perm(PII_PERMISSION))
