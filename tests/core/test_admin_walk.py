"""Walk the whole admin as each demo role: no 500, no untranslated label, no raw code.

Two halves:

* Structural, over ``admin.site._registry`` under zh-hans: every registered model's
  ``verbose_name`` / ``verbose_name_plural``, every field's ``verbose_name`` and every
  choice label reads in Chinese.
* Pages, on the demo data (``seed_demo``), as the superuser and each demo staff user:
  every sidebar entry the user sees (each model admin they may view, and each extra
  link), the first row's change page and the add page where they may add. No page
  answers 500 (or 403/404 for an entry the sidebar offered), every column header and
  form label is in Chinese, and no table cell or read-only value shows a raw code
  (``tests.e2e.helpers.raw_codes``) other than data that is code-like by nature; nor
  does the workbench.
"""

from __future__ import annotations

import io
import re
from html.parser import HTMLParser

import pytest
from django.conf import settings
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import transaction
from django.test import RequestFactory
from django.urls import reverse
from django.utils import translation

from catalog.demo import SPECIALISTS
from mall.core import navigation
from rbac.demo import STAFF
from tests.e2e.helpers import raw_codes

CJK = re.compile(r"[\u4e00-\u9fff]")

# Demo logins: the superuser, every demo staff user (rbac/demo.py STAFF) and the product
# specialists catalog's demo adds (catalog/demo.py SPECIALISTS).
DEMO_USERS = ("admin", *STAFF, *(row[0] for row in SPECIALISTS))


# --- structural: the labels themselves -----------------------------------------------------


def _text(value) -> str:
    return str(value) if value is not None else ""


# A label with no Chinese is still fine when it is an acronym people say as such.
ACRONYM = re.compile(r"^[A-Z0-9]{2,5}$")


def _reads_chinese(value) -> bool:
    text = _text(value)
    return bool(CJK.search(text) or ACRONYM.match(text))


def _project_admins():
    """Registered admins, minus test-only apps (``tests.*``)."""
    for model, model_admin in admin.site._registry.items():
        if model.__module__.startswith("tests."):
            continue
        yield model, model_admin


def _label_gaps() -> list[str]:
    gaps = []
    with translation.override("zh-hans"):
        for model, _model_admin in _project_admins():
            opts = model._meta
            name = f"{opts.app_label}.{opts.model_name}"
            for attr in ("verbose_name", "verbose_name_plural"):
                if not _reads_chinese(getattr(opts, attr)):
                    gaps.append(f"{name} {attr}: {getattr(opts, attr)!r}")
            for field in opts.get_fields():
                if field.auto_created and not field.concrete:
                    continue  # reverse relations: named by the other side
                if field.auto_created and field.primary_key:
                    continue  # the implicit id
                verbose = getattr(field, "verbose_name", None)
                if not _reads_chinese(verbose):
                    gaps.append(f"{name}.{field.name} verbose_name: {verbose!r}")
                for value, label in getattr(field, "flatchoices", None) or ():
                    if value in (None, "") or _reads_chinese(label):
                        continue
                    if not isinstance(value, str | int):
                        continue  # e.g. time zones: proper names, shown as such
                    if (value, str(label)) in AUTONYMS:
                        continue  # a language switch names each language in itself
                    gaps.append(f"{name}.{field.name} choice {value!r}: {label!r}")
    return gaps


# settings.LANGUAGES: "English" in a language picker is English's own name, as every
# language switch shows it.
AUTONYMS = frozenset((code, str(name)) for code, name in settings.LANGUAGES)


def test_every_registered_model_field_and_choice_label_is_chinese():
    gaps = _label_gaps()
    assert not gaps, "untranslated labels:\n" + "\n".join(gaps)


# --- pages ----------------------------------------------------------------------------------


ICON_CLASSES = frozenset({"material-symbols-outlined", "material-symbols"})


class _Page(HTMLParser):
    """Collects what the checks read from an admin page (stdlib parser, no extra deps)."""

    VOID = frozenset(
        [
            "area",
            "base",
            "br",
            "col",
            "embed",
            "hr",
            "img",
            "input",
            "link",
            "meta",
            "param",
            "source",
            "track",
            "wbr",
        ]
    )

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, dict]] = []
        self.headers: list[str] = []  # result table column headers
        self.cells: list[str] = []  # result table cells
        self.labels: list[str] = []  # form labels
        self.readonly: list[str] = []  # read-only values on change pages
        self.panels: list[str] = []  # the workbench's tiles, lists and charts
        self.row_links: list[str] = []  # links inside the result table rows
        self._buffers: list[tuple[str, int, list[str]]] = []

    def _inside(self, tag: str, **attrs) -> bool:
        for name, node_attrs in self.stack:
            if name != tag:
                continue
            if all(value in (node_attrs.get(key) or "").split() for key, value in attrs.items()):
                return True
        return False

    def _in_result_list(self) -> bool:
        return any(node_attrs.get("id") == "result_list" for _n, node_attrs in self.stack)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in self.VOID:
            return
        self.stack.append((tag, attrs))
        depth = len(self.stack)
        classes = (attrs.get("class") or "").split()
        if self._in_result_list() and tag == "th" and self._inside("thead"):
            self._buffers.append(("header", depth, []))
        elif self._in_result_list() and tag in ("td", "th") and self._inside("tbody"):
            self._buffers.append(("cell", depth, []))
        elif tag == "label":
            self._buffers.append(("label", depth, []))
        elif "readonly" in classes:
            self._buffers.append(("readonly", depth, []))
        elif attrs.get("id") == "workbench":
            self._buffers.append(("panel", depth, []))
        if tag == "a" and self._in_result_list() and self._inside("tbody") and attrs.get("href"):
            self.row_links.append(attrs["href"])

    def handle_endtag(self, tag):
        if tag in self.VOID:
            return
        while self.stack:
            name, _attrs = self.stack.pop()
            depth = len(self.stack) + 1
            while self._buffers and self._buffers[-1][1] >= depth:
                kind, _depth, parts = self._buffers.pop()
                text = " ".join("".join(parts).split())
                {
                    "header": self.headers,
                    "cell": self.cells,
                    "label": self.labels,
                    "readonly": self.readonly,
                    "panel": self.panels,
                }[kind].append(text)
            if name == tag:
                break

    def _hidden(self) -> bool:
        """Scripts, and icon ligatures (``check_small``): names of glyphs, not words."""
        for name, attrs in self.stack:
            if name in ("script", "style", "template"):
                return True
            if ICON_CLASSES & set((attrs.get("class") or "").split()):
                return True
        return False

    def handle_data(self, data):
        if self._hidden():
            return
        for _kind, _depth, parts in self._buffers:
            parts.append(data)


def _parse(html: str) -> _Page:
    page = _Page()
    page.feed(html)
    page.close()
    return page


@pytest.fixture
def demo(db):
    call_command("seed_demo", stdout=io.StringIO())


def _code_like_data() -> frozenset[str]:
    """Values that are codes by nature and shown as data (none yet: SKU codes and order
    numbers are upper case; e-mail, URLs and a login in brackets after its person's name
    are skipped by ``raw_codes``)."""
    return frozenset()


def _role_codes() -> frozenset[str]:
    from rbac.models import Role

    return frozenset(Role.objects.values_list("code", flat=True))


def _logins() -> frozenset[str]:
    return frozenset(get_user_model().objects.values_list("username", flat=True))


# Pages whose table has a column of codes that are the data itself (the login column of
# the user list), filled in by the test from the database.
PAGE_DATA: dict[str, frozenset[str]] = {}


def _entries(user) -> list[tuple[str, str, object]]:
    """(title, changelist url, model admin or None) for each sidebar entry of ``user``."""
    request = RequestFactory().get("/admin/")
    request.user = user
    urls = {}
    for group in navigation.sidebar(request):
        for item in group["items"]:
            urls[item["link"]] = item["title"]
    entries = []
    for model, model_admin in admin.site._registry.items():
        opts = model._meta
        url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        if model.__module__.startswith("tests."):
            urls.pop(url, None)  # test-only apps (tests.*) are not part of the product
            continue
        if url in urls:
            entries.append((urls.pop(url), url, model_admin))
    entries.extend((title, url, None) for url, title in urls.items())
    return entries


def _no_chinese(texts) -> list[str]:
    """Texts with letters but no Chinese (digits folded: sort priorities, counts)."""
    gaps = []
    for text in texts:
        words = re.sub(r"[\d\s*:：]+", " ", text).strip()
        if re.search(r"[A-Za-z]", words) and not _reads_chinese(words):
            gaps.append(text)
    return gaps


def _walk(client, user, allowed) -> list[str]:
    """Problems seen by ``user`` as "url: what" lines (ids in urls and codes folded to N)."""
    problems: list[str] = []
    request = RequestFactory().get("/admin/")
    request.user = user

    def get(url: str, what: str):
        where = re.sub(r"\d+", "N", url)  # one line per kind of page, not per row
        try:
            with transaction.atomic():  # a crash must not poison the next page's queries
                response = client.get(url)
        except Exception as exc:  # noqa: BLE001 - the test client re-raises a 500's cause
            problems.append(f"{where}: {what}: 500 {type(exc).__name__}: {exc}")
            return None
        if response.status_code != 200:
            problems.append(f"{where}: {what}: HTTP {response.status_code}")
            return None
        page = _parse(response.content.decode())
        for text in _no_chinese(page.headers):
            problems.append(f"{where}: column header {text!r}")
        for text in _no_chinese(page.labels):
            problems.append(f"{where}: label {text!r}")
        data = allowed | PAGE_DATA.get(where, frozenset())
        for text in page.cells + page.readonly + page.panels:
            for code in raw_codes(text, data):
                problems.append(f"{where}: raw code {re.sub(r'[0-9]+', 'N', code)!r}")
        return page

    get(reverse("admin:index"), "workbench")
    # every workbench tile's link opens (a tile pointing at a filter the list refuses
    # answers 400 or bounces: the reader's first click of the morning)
    from ops.workbench import workbench

    for tile in workbench(actor=user)["tiles"]:
        if tile.get("link"):
            get(tile["link"], f"tile {tile['key']}")
    entries = _entries(user)
    if not entries:
        problems.append("/admin/: the sidebar is empty")
    for title, url, model_admin in entries:
        page = get(url, f"list {title}")
        if page is None or model_admin is None:
            continue
        opts = model_admin.model._meta
        change_prefix = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        first = next(
            (
                link
                for link in page.row_links
                if link.startswith(change_prefix) and link.rstrip("/").endswith("change")
            ),
            None,
        )
        if first:
            get(first.split("?")[0], f"change {title}")
        if model_admin.has_add_permission(request):
            get(reverse(f"admin:{opts.app_label}_{opts.model_name}_add"), f"add {title}")
    return sorted(set(problems))


# Gaps owned by other apps, open while their engineers fix them (issue 11): a regular
# expression over the problem line, and whose it is. Not xfail: every other problem
# fails the test, and an entry that no longer matches anything fails it too, so the
# list only shrinks. Empty is the goal.
KNOWN_GAPS: list[tuple[str, str]] = []


def test_each_demo_role_walks_its_admin_without_errors_or_raw_codes(demo, client):
    allowed = _code_like_data()
    # The account lists (users, staff profiles) have a login column: logins are their data.
    PAGE_DATA["/admin/auth/user/"] = _logins()
    PAGE_DATA["/admin/rbac/staffprofile/"] = _logins()
    # A role's own page shows its code (the identifier the API and grants use).
    PAGE_DATA["/admin/rbac/role/N/change/"] = _role_codes()
    found: dict[str, set[str]] = {}
    for username in DEMO_USERS:
        user = get_user_model().objects.get(username=username)
        client.force_login(user)
        with translation.override("zh-hans"):
            for problem in _walk(client, user, allowed):
                found.setdefault(problem, set()).add(username)
        client.logout()
    gaps = [re.compile(pattern) for pattern, _owner in KNOWN_GAPS]
    unexpected = {
        problem: users
        for problem, users in found.items()
        if not any(gap.search(problem) for gap in gaps)
    }
    stale = [gap.pattern for gap in gaps if not any(gap.search(problem) for problem in found)]
    report = [
        f"{problem}  [{', '.join(sorted(users))}]" for problem, users in sorted(unexpected.items())
    ]
    report += [f"KNOWN_GAPS entry no longer seen (remove it): {pattern}" for pattern in stale]
    if report:
        pytest.fail(f"{len(report)} problems:\n" + "\n".join(report), pytrace=False)
