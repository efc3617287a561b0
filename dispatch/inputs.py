"""Input of the dispatch services: SKU lines, uploaded count files, document numbers.

Not services (they write nothing): the services, the API and the admin call them to
turn what a person typed or uploaded into checked values.
"""

from __future__ import annotations

import csv
import io
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from .exceptions import InvalidDispatchInput

# The most units one line (or one SKU of a document, after merging) may carry: far above
# any real quantity, far below the database integer range of the stock figures.
MAX_LINE_QUANTITY = 1_000_000


def document_no(prefix: str) -> str:
    """Return a readable unique document number: ``PI20260601`` + 8 hex digits."""
    return f"{prefix}{timezone.localdate():%Y%m%d}{secrets.token_hex(4).upper()}"


@dataclass(frozen=True)
class SkuLine:
    sku_id: int
    sku_code: str
    quantity: int


def _line_parts(line) -> tuple[object, object]:
    if isinstance(line, dict):
        return line.get("sku"), line.get("quantity")
    if isinstance(line, list | tuple) and len(line) == 2:
        return line[0], line[1]
    raise InvalidDispatchInput(fields={"lines": [_("Each line needs a SKU and a quantity.")]})


def _too_many() -> InvalidDispatchInput:
    return InvalidDispatchInput(
        fields={"lines": [_("Quantities must be at most %(n)s.") % {"n": MAX_LINE_QUANTITY}]}
    )


def parse_lines(lines: Iterable, *, allow_zero: bool = False, merge: bool = True) -> list[SkuLine]:
    """Resolve ``[(sku or sku code, quantity)]`` (or dicts) in one query.

    Quantities must be whole numbers ≥ 1 (≥ 0 with ``allow_zero``) and at most
    ``MAX_LINE_QUANTITY`` (also after adding up); lines of the same SKU are added up
    when ``merge``, else a repeated SKU is refused.
    Raises ``InvalidDispatchInput`` naming the offending field.
    """
    from catalog.models import Sku

    raw = [_line_parts(line) for line in (lines or [])]
    if not raw:
        raise InvalidDispatchInput(fields={"lines": [_("At least one line is needed.")]})
    codes, ids = set(), set()
    for sku, quantity in raw:
        if isinstance(quantity, bool) or not isinstance(quantity, int):
            raise InvalidDispatchInput(fields={"lines": [_("Quantities must be whole numbers.")]})
        if quantity < (0 if allow_zero else 1):
            raise InvalidDispatchInput(
                fields={
                    "lines": [
                        _("Quantities must be at least %(n)s.") % {"n": 0 if allow_zero else 1}
                    ]
                }
            )
        if quantity > MAX_LINE_QUANTITY:
            raise _too_many()
        if isinstance(sku, Sku):
            ids.add(sku.pk)
        elif isinstance(sku, int) and not isinstance(sku, bool):
            ids.add(sku)
        elif isinstance(sku, str) and sku.strip():
            codes.add(sku.strip())
        else:
            raise InvalidDispatchInput(fields={"lines": [_("Each line needs a SKU code.")]})
    found = list(Sku.objects.filter(Q(code__in=codes) | Q(pk__in=ids)).values_list("pk", "code"))
    by_code = {code: pk for pk, code in found}
    by_id = dict(found)
    result: dict[int, SkuLine] = {}
    for sku, quantity in raw:
        if isinstance(sku, Sku):
            sku_id = sku.pk
        elif isinstance(sku, int):
            sku_id = sku
        else:
            sku_id = by_code.get(sku.strip())
        if sku_id is None or sku_id not in by_id:
            raise InvalidDispatchInput(
                fields={"lines": [_("Unknown SKU: %(sku)s") % {"sku": sku}]},
                code="unknown_sku",
            )
        if sku_id in result:
            if not merge:
                raise InvalidDispatchInput(
                    fields={"lines": [_("SKU %(sku)s appears twice.") % {"sku": by_id[sku_id]}]}
                )
            quantity += result[sku_id].quantity
            if quantity > MAX_LINE_QUANTITY:
                raise _too_many()
        result[sku_id] = SkuLine(sku_id, by_id[sku_id], quantity)
    return list(result.values())


MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_LINES = 20000


def snapshot_lines_from_file(upload) -> list[tuple[str, int]]:
    """Read ``sku,on_hand`` rows from an uploaded CSV (UTF-8, header optional)."""
    if upload.size > MAX_FILE_BYTES:
        raise InvalidDispatchInput(fields={"file": [_("The file is larger than 5 MB.")]})
    try:
        text = upload.read().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidDispatchInput(fields={"file": [_("The file is not UTF-8 text.")]}) from exc
    try:
        return _csv_rows(text)
    except csv.Error as exc:  # a field beyond the csv module's limit, a broken quote, …
        raise InvalidDispatchInput(
            fields={"file": [_("The file is not a readable CSV file.")]}
        ) from exc


def _csv_rows(text: str) -> list[tuple[str, int]]:
    rows = []
    for number, row in enumerate(csv.reader(io.StringIO(text)), start=1):
        if not row or not any(cell.strip() for cell in row):
            continue
        if number == 1 and row[0].strip().lower() in {"sku", "sku_code", "code"}:
            continue
        if len(row) < 2:
            raise InvalidDispatchInput(
                fields={"file": [_("Line %(n)s: expected SKU code and quantity.") % {"n": number}]}
            )
        try:
            quantity = int(row[1].strip())
        except ValueError as exc:
            raise InvalidDispatchInput(
                fields={"file": [_("Line %(n)s: the quantity is not a number.") % {"n": number}]}
            ) from exc
        rows.append((row[0].strip(), quantity))
        if len(rows) > MAX_LINES:
            raise InvalidDispatchInput(fields={"file": [_("Too many lines in one file.")]})
    return rows


def checked_text(model, name: str, value: str | None) -> str:
    """Return ``value`` (``""`` for ``None``) if it fits ``model.<name>``; else refuse it.

    A text too long is an error naming the field (400), never silently cut.
    """
    value = value or ""
    limit = model._meta.get_field(name).max_length
    if limit is not None and len(value) > limit:
        raise InvalidDispatchInput(
            fields={name: [_("Ensure this value has at most %(n)s characters.") % {"n": limit}]}
        )
    return value
