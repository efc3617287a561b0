"""The one cell sanitiser (``export_cell``) of every file the system writes for a person to open.

Every CSV and Excel cell written from stored data (the kernel's exports, the
catalog's export and its import error report) passes through :func:`export_cell`:

* **Formula injection** (OWASP "CSV injection"): a text starting with ``=``, ``+``,
  ``-``, ``@``, tab or carriage return is something Excel or LibreOffice may run as a
  formula (``=HYPERLINK(…)``, ``@SUM(…)``, ``-2+3``); it is written with a leading
  apostrophe, so it is shown as text. Numbers stay numbers (``-2`` as an ``int`` is
  a number, not a formula).
* **Control characters**: C0 controls other than tab, newline and carriage return
  are illegal in an XLSX file (openpyxl raises ``IllegalCharacterError`` and the
  whole export would be a 500); they are replaced with U+FFFD in both formats, so
  a value stored before input hygiene existed still exports.

An import that reads such a file back undoes the apostrophe with
:func:`imported_text`, so an export → edit → import round trip keeps values.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
ESCAPE = "'"
REPLACEMENT = "\ufffd"
# Exactly what XLSX refuses (openpyxl's ILLEGAL_CHARACTERS_RE): C0 minus \t \n \r.
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def export_cell(value: Any) -> str | int | float | Decimal | bool | None:
    """Return ``value`` safe to write as one CSV or XLSX cell.

    Numbers, booleans and ``None`` pass unchanged; anything else becomes text
    without XLSX-illegal control characters and escaped against formulas.
    """
    if value is None or isinstance(value, bool | int | float | Decimal):
        return value
    text = _ILLEGAL.sub(REPLACEMENT, str(value))
    if text.startswith(FORMULA_PREFIXES):
        return ESCAPE + text
    return text


def imported_text(text: str) -> str:
    """Undo :func:`export_cell`'s escape on a text read back from an exported file."""
    if text.startswith(ESCAPE) and text[1:].startswith(FORMULA_PREFIXES):
        return text[1:]
    return text
