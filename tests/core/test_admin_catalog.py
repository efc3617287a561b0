"""The zh_Hans catalog of third-party admin strings (locale/third_party).

django-unfold ships no translations; ``make third-party-messages`` extracts its strings
(and extra_strings.py) and keeps ours. These tests hold the committed catalog to that:
complete, in Chinese, current with the installed package, and never contradicting an
app's own catalog (LOCALE_PATHS override the apps' catalogs for the same msgid).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import polib
import pytest
from django.utils import translation

ROOT = Path(__file__).resolve().parents[2]
CATALOG = ROOT / "locale" / "third_party" / "zh_Hans" / "LC_MESSAGES" / "django.po"
CJK = re.compile(r"[\u4e00-\u9fff]")


def _entries():
    return [entry for entry in polib.pofile(str(CATALOG)) if not entry.obsolete]


def test_every_third_party_string_is_translated_into_chinese():
    entries = _entries()
    assert len(entries) > 50  # unfold's strings are in it
    bad = []
    for entry in entries:
        texts = list(entry.msgstr_plural.values()) if entry.msgid_plural else [entry.msgstr]
        if "fuzzy" in entry.flags or not all(CJK.search(text) for text in texts):
            bad.append(entry.msgid)
    assert not bad


def test_theme_strings_read_in_chinese_on_pages():
    with translation.override("zh-hans"):
        assert translation.gettext("Filters") == "筛选"
        assert translation.gettext("Welcome back to") == "欢迎回到"
        assert translation.gettext("True") == "是"


def test_catalog_never_contradicts_an_app_catalog():
    ours = {(e.msgctxt, e.msgid): e.msgstr for e in _entries() if not e.msgid_plural}
    conflicts = []
    for po_path in ROOT.glob("*/locale/zh_Hans/LC_MESSAGES/django.po"):
        for entry in polib.pofile(str(po_path)):
            key = (entry.msgctxt, entry.msgid)
            if entry.msgstr and key in ours and ours[key] != entry.msgstr:
                conflicts.append((str(po_path.relative_to(ROOT)), entry.msgid, entry.msgstr))
    for po_path in (ROOT / "mall" / "core", ROOT / "templates"):
        path = po_path / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
        for entry in polib.pofile(str(path)):
            key = (entry.msgctxt, entry.msgid)
            if entry.msgstr and key in ours and ours[key] != entry.msgstr:
                conflicts.append((str(path.relative_to(ROOT)), entry.msgid, entry.msgstr))
    assert not conflicts


@pytest.mark.skipif(shutil.which("msgmerge") is None, reason="needs GNU gettext")
def test_catalog_is_current_with_the_installed_theme(tmp_path):
    """Rebuilding from the installed packages changes nothing in the committed catalog."""
    copy = tmp_path / "locale" / "third_party"
    shutil.copytree(ROOT / "locale" / "third_party", copy)
    (tmp_path / ".venv").symlink_to(ROOT / ".venv")
    result = subprocess.run(
        ["bash", str(copy / "update.sh")], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    rebuilt = copy / "zh_Hans" / "LC_MESSAGES"
    assert (rebuilt / "django.po").read_text() == CATALOG.read_text()
    assert (rebuilt / "django.mo").read_bytes() == CATALOG.with_suffix(".mo").read_bytes()
