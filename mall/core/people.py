"""How a person is named on screen: Chinese order (姓 + 名, no space) for Chinese names.

``person_name(user)`` is the one spelling: "刘运营" for last_name 刘 / first_name 运营,
"Ada Lovelace" for Latin names, the username when no name is set. ``mall.core`` makes
``User.get_full_name`` return it, so Django's and the theme's own pages (user menu,
history, "changed by") follow the same rule; admin dropdowns of users show
"刘运营（ops_lead）" (:func:`person_label`).
"""

from __future__ import annotations

import re

_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def full_name(first: str, last: str) -> str:
    first, last = (first or "").strip(), (last or "").strip()
    if _CJK.search(first + last):
        return f"{last}{first}"
    return " ".join(part for part in (first, last) if part)


def person_name(user) -> str:
    """The name staff read for ``user`` (never empty for a saved user)."""
    if user is None:
        return ""
    name = full_name(getattr(user, "first_name", ""), getattr(user, "last_name", ""))
    return name or getattr(user, "username", "") or ""


def person_label(user) -> str:
    """A user in a dropdown: the name, then the login name to tell namesakes apart."""
    name = full_name(getattr(user, "first_name", ""), getattr(user, "last_name", ""))
    return f"{name}（{user.username}）" if name else user.username
