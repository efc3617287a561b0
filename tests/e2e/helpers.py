"""Steps shared by browser tests."""

from __future__ import annotations

import contextlib
import re
from pathlib import Path

from playwright.sync_api import TimeoutError as PlaywrightTimeoutError


def admin_login(page, base_url: str, username: str, password: str) -> None:
    """Log into the Django admin through its login form and wait for the index."""
    page.goto(f"{base_url}/admin/login/?next=/admin/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("[type=submit]")
    page.wait_for_url(f"{base_url}/admin/")


# Viewports every journey is photographed at (the two laptop sizes).
VIEWPORTS = ((1440, 900), (1280, 800))

# What a raw code looks like on a page meant for people: snake_case words
# (purchase_inbound), dotted codes (auth.login, members.member,
# catalog.review_waiting) and "model:id" references (member:100).
RAW_CODE = re.compile(
    r"\b[a-z]+(?:_[a-z0-9]+)+\b"  # snake_case
    r"|\b[a-z]+\.[a-z_]+(?:\.[a-z_]+)*\b"  # dotted code
    r"|\b[a-z]+:\d+\b"  # model:id
)


def shoot(page, name: str) -> list[Path]:
    """Save a screenshot of the page at each of :data:`VIEWPORTS` under artifacts/e2e/."""
    from .conftest import ARTIFACTS

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    original = page.viewport_size
    saved = []
    for width, height in VIEWPORTS:
        page.set_viewport_size({"width": width, "height": height})
        # charts resize a moment after the viewport: wait until the page fits (a page
        # that is really wider, e.g. a long table, is photographed as it is after 5 s)
        with contextlib.suppress(PlaywrightTimeoutError):
            page.wait_for_function(
                f"document.documentElement.scrollWidth <= {width}", timeout=5_000
            )
        path = ARTIFACTS / f"{name}-{width}x{height}.png"
        # a full page after a resize can take a while on a loaded 2-core CI machine (one
        # journey timed out at the default 20 s while the page itself was complete)
        page.screenshot(path=str(path), full_page=True, timeout=60_000)
        saved.append(path)
    if original:
        page.set_viewport_size(original)
    return saved


# Icon fonts draw a glyph from a ligature word ("chevron_right"): the word is in the DOM
# and in innerText, but a person sees a picture.
_TEXT_WITHOUT_ICONS = """() => {
    const icons = [...document.querySelectorAll(
        '.material-symbols-outlined, .material-symbols-rounded, .material-icons')];
    const words = icons.map((icon) => icon.textContent);
    icons.forEach((icon) => { icon.textContent = ''; });
    const text = document.body.innerText;
    icons.forEach((icon, i) => { icon.textContent = words[i]; });
    return text;
}"""


def visible_text(page) -> str:
    """The text a person reads on the page (no scripts, no hidden nodes, no icon words)."""
    return page.evaluate(_TEXT_WITHOUT_ICONS)


# Not raw codes: a link written out (a carrier's tracking URL) and the login in brackets
# after a person's name ("刘运营（ops_lead）", how namesakes are told apart). A bare
# login in a cell still counts.
URL = re.compile(r"https?://\S+")
LOGIN_AFTER_NAME = re.compile(r"(?<=[\u4e00-\u9fff*])\s*[（(][a-z0-9_.@+-]+[）)]")


def raw_codes(text: str, allowed: frozenset[str] = frozenset()) -> list[str]:
    """Raw codes found in ``text`` (minus ``allowed`` ones such as SKU codes or e-mail)."""
    text = LOGIN_AFTER_NAME.sub(" ", URL.sub(" ", text))
    found = []
    for match in RAW_CODE.finditer(text):
        code = match.group(0)
        if code in allowed or "@" in text[max(0, match.start() - 40) : match.end() + 40]:
            continue
        found.append(code)
    return found


def assert_no_raw_codes(page, allowed: frozenset[str] = frozenset()) -> None:
    """Fail when the visible page shows a raw code (see :data:`RAW_CODE`)."""
    codes = raw_codes(visible_text(page), allowed)
    assert not codes, f"raw codes on {page.url}: {sorted(set(codes))[:20]}"
