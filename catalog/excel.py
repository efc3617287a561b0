"""Excel import and export of products and SKUs (one row per SKU).

Import is all-or-nothing: the whole file is validated first; if any row has a
problem nothing is written and an error report (the rows plus an ``errors``
column) can be downloaded. Otherwise every row is applied through the product
and SKU services in one transaction. Export writes the same columns, so an
exported file can be edited and imported again.
"""

from __future__ import annotations

import io
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile, File
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook

from mall.core.actors import system_actor
from mall.core.audit import audit
from mall.core.cells import export_cell, imported_text
from mall.core.exceptions import ApplicationError
from mall.core.filejobs import file_job_create, file_job_fail, file_job_succeed
from mall.core.models import FileJob
from mall.core.money import to_money
from ops.parameters import get_parameter

from . import parameters as params
from . import permissions as perms
from .exceptions import ImportFileInvalid
from .models import Category, Product, ProductImport, Sku
from .selectors import product_visible_to
from .services import (
    CONTENT_EDITABLE,
    CONTENT_REOPENS,
    MAX_WEIGHT_GRAMS,
    _require,
    product_create,
    product_update,
    sku_create,
    sku_update,
)

COLUMNS = [
    "product_code",
    "title",
    "subtitle",
    "category_code",
    "brand",
    "description",
    "is_virtual",
    "owner",
    "sku_code",
    "spec",
    "price",
    "cost_price",
    "weight_grams",
    "is_available",
]
REQUIRED_COLUMNS = {"product_code", "sku_code", "price"}
PRODUCT_COLUMNS = (
    "title",
    "subtitle",
    "category_code",
    "brand",
    "description",
    "is_virtual",
    "owner",
)

Progress = Callable[[int], None]

_TRUE = {"1", "true", "yes", "y", "是", "Y"}
_FALSE = {"0", "false", "no", "n", "否", "N"}


@dataclass
class ImportRow:
    number: int  # the spreadsheet's row number (header is row 1)
    raw: dict[str, Any]
    values: dict[str, Any] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return imported_text(str(value).strip())


def _bool(value: Any, default: bool | None) -> bool | None:
    text = _text(value)
    if text == "":
        return default
    if text.lower() in _TRUE or text in _TRUE:
        return True
    if text.lower() in _FALSE or text in _FALSE:
        return False
    raise ValueError


def parse_spec(text: str) -> dict[str, str]:
    """Parse ``颜色:红; 尺码:L`` (also full-width ``：`` and ``；``) into a dict."""
    spec: dict[str, str] = {}
    for part in text.replace("；", ";").replace("：", ":").split(";"):
        part = part.strip()
        if not part:
            continue
        if ":" not in part:
            raise ValueError(part)
        key, value = part.split(":", 1)
        if not key.strip() or len(key.strip()) > 30 or len(value.strip()) > 60:
            raise ValueError(part)
        spec[key.strip()] = value.strip()
    return spec


def _read_rows(file) -> tuple[list[str], list[ImportRow]]:
    try:
        workbook = load_workbook(file, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a non-workbook
        raise ImportFileInvalid() from exc
    sheet = workbook.worksheets[0] if workbook.worksheets else None
    if sheet is None:
        raise ImportFileInvalid()
    rows_iter = sheet.iter_rows(values_only=True)
    header_row = next(rows_iter, None)
    if not header_row:
        raise ImportFileInvalid(_("The first row must hold the column names."))
    header = [_text(cell) for cell in header_row]
    missing = sorted(REQUIRED_COLUMNS - set(header))
    if missing:
        raise ImportFileInvalid(
            _("Missing columns: %(columns)s") % {"columns": ", ".join(missing)},
            fields={"file": [_("Missing columns: %(columns)s") % {"columns": ", ".join(missing)}]},
        )
    limit = get_parameter(params.IMPORT_MAX_ROWS)
    rows: list[ImportRow] = []
    for number, cells in enumerate(rows_iter, start=2):
        if cells is None or all(_text(cell) == "" for cell in cells):
            continue
        raw = {name: cells[i] if i < len(cells) else None for i, name in enumerate(header) if name}
        rows.append(ImportRow(number=number, raw=raw))
        if len(rows) > limit:
            raise ImportFileInvalid(
                _("A file may hold at most %(n)d rows.") % {"n": limit},
                fields={"file": [_("A file may hold at most %(n)d rows.") % {"n": limit}]},
            )
    workbook.close()
    if not rows:
        raise ImportFileInvalid(_("The file holds no rows."), fields={"file": [_("No rows.")]})
    return header, rows


def _parse_row(row: ImportRow) -> None:
    raw, values, errors = row.raw, row.values, row.errors
    values["product_code"] = _text(raw.get("product_code"))
    values["sku_code"] = _text(raw.get("sku_code"))
    if not values["product_code"]:
        errors.append(_("product_code: required."))
    elif len(values["product_code"]) > 40:
        errors.append(_("product_code: at most 40 characters."))
    if not values["sku_code"]:
        errors.append(_("sku_code: required."))
    elif len(values["sku_code"]) > 40:
        errors.append(_("sku_code: at most 40 characters."))
    for name, limit in (("title", 120), ("subtitle", 200), ("brand", 80)):
        if name in raw:
            values[name] = _text(raw.get(name))
            if len(values[name]) > limit:
                errors.append(_("%(col)s: at most %(n)d characters.") % {"col": name, "n": limit})
    if "description" in raw:
        values["description"] = _text(raw.get("description"))
    if "category_code" in raw:
        values["category_code"] = _text(raw.get("category_code"))
    if "owner" in raw:
        values["owner"] = _text(raw.get("owner"))
    for name, money_key in (("price", "price_amount"), ("cost_price", "cost_amount")):
        text = _text(raw.get(name))
        if name == "cost_price" and (name not in raw or text == ""):
            continue
        try:
            amount = to_money(text)
        except ValueError:
            errors.append(_("%(col)s: not an amount.") % {"col": name})
            continue
        if amount < 0 or (name == "price" and amount <= 0):
            errors.append(_("%(col)s: must be above zero.") % {"col": name})
        elif amount >= Decimal("1000000000000"):
            errors.append(_("%(col)s: too large.") % {"col": name})
        else:
            values[money_key] = amount
    text = _text(raw.get("weight_grams"))
    if "weight_grams" in raw and text != "":
        try:
            weight = int(Decimal(text))
            if not 0 <= weight <= MAX_WEIGHT_GRAMS or Decimal(text) != weight:
                raise ValueError
            values["weight_grams"] = weight
        except (ValueError, ArithmeticError):
            errors.append(
                _("weight_grams: a whole number of grams from 0 to %(max)d.")
                % {"max": MAX_WEIGHT_GRAMS}
            )
    for name in ("is_virtual", "is_available"):
        if name in raw:
            try:
                parsed = _bool(raw.get(name), None)
            except ValueError:
                errors.append(_("%(col)s: use 是/否 (yes/no).") % {"col": name})
                continue
            if parsed is not None:
                values[name] = parsed
    if "spec" in raw and _text(raw.get("spec")) != "":  # a blank cell changes nothing
        try:
            values["spec"] = parse_spec(_text(raw.get("spec")))
        except ValueError:
            errors.append(
                _(
                    "spec: write name:value pairs separated by ';' "
                    "(names ≤ 30, values ≤ 60 characters)."
                )
            )


def _validate(actor, rows: list[ImportRow]) -> dict[str, dict]:
    """Check every row against the database and the other rows; return the plan."""
    product_codes = {row.values["product_code"] for row in rows if row.values.get("product_code")}
    sku_codes = [row.values["sku_code"] for row in rows if row.values.get("sku_code")]
    existing_products = {p.code: p for p in Product.objects.filter(code__in=product_codes)}
    visible_ids = set(
        product_visible_to(actor=actor).filter(code__in=product_codes).values_list("pk", flat=True)
    )
    existing_skus = {
        s.code: s for s in Sku.objects.select_related("product").filter(code__in=sku_codes)
    }
    # Products of existing SKUs the importer may see; others are never named in errors.
    visible_ids |= set(
        product_visible_to(actor=actor)
        .filter(pk__in={sku.product_id for sku in existing_skus.values()})
        .values_list("pk", flat=True)
    )
    category_codes = {row.values.get("category_code") for row in rows} - {None, ""}
    categories = {c.code: c for c in Category.objects.filter(code__in=category_codes)}
    owner_names = {row.values.get("owner") for row in rows} - {None, ""}
    owners = {
        u.username: u
        for u in get_user_model().objects.filter(
            username__in=owner_names, is_active=True, is_staff=True
        )
    }

    seen_skus: dict[str, int] = {}
    plan: dict[str, dict] = {}
    for row in rows:
        values, errors = row.values, row.errors
        code, sku_code = values.get("product_code"), values.get("sku_code")
        if sku_code:
            if sku_code in seen_skus:
                errors.append(_("sku_code: also on row %(n)d.") % {"n": seen_skus[sku_code]})
            else:
                seen_skus[sku_code] = row.number
        if not code:
            continue
        product = existing_products.get(code)
        if product is not None and product.pk not in visible_ids:
            errors.append(_("product_code: this code is used by a product outside your scope."))
            continue
        product_values: dict[str, Any] = {}
        for name in ("title", "subtitle", "brand", "description", "is_virtual"):
            if name in values and values[name] != "":
                product_values[name] = values[name]
        if values.get("category_code"):
            category = categories.get(values["category_code"])
            if category is None:
                errors.append(_("category_code: no such category."))
            elif category.level != Category.MAX_LEVEL or not category.is_active:
                errors.append(_("category_code: choose an active third-level category."))
            else:
                product_values["category"] = category
        if values.get("owner"):
            owner = owners.get(values["owner"])
            if owner is None:
                errors.append(_("owner: no active staff member with this username."))
            else:
                product_values["owner"] = owner
        entry = plan.setdefault(
            code, {"product": product, "values": product_values, "rows": [], "first": row}
        )
        if entry["first"] is not row:
            for name, value in product_values.items():
                if name in entry["values"] and entry["values"][name] != value:
                    errors.append(
                        _("%(col)s: differs from row %(n)d of the same product.")
                        % {"col": name, "n": entry["first"].number}
                    )
                else:
                    entry["values"].setdefault(name, value)
        entry["rows"].append(row)
        if sku_code:
            sku = existing_skus.get(sku_code)
            if sku is not None and sku.product.code != code:
                if sku.product_id in visible_ids:
                    errors.append(
                        _("sku_code: belongs to product %(code)s.") % {"code": sku.product.code}
                    )
                else:
                    errors.append(_("sku_code: this SKU code is taken."))

    for entry in plan.values():
        product = entry["product"]
        first = entry["first"]
        if product is None:
            if not entry["values"].get("title"):
                first.errors.append(_("title: required for a new product."))
            if not any(r.values.get("category_code") for r in entry["rows"]):
                first.errors.append(_("category_code: required for a new product."))
            continue
        content = _product_content_changes(product, entry["values"])
        for row in entry["rows"]:
            sku = existing_skus.get(row.values.get("sku_code"))
            if sku is None or (
                ("spec" in row.values and row.values["spec"] != sku.spec)
                or ("weight_grams" in row.values and row.values["weight_grams"] != sku.weight_grams)
            ):
                content = True
        if content and product.status not in CONTENT_EDITABLE | CONTENT_REOPENS:
            first.errors.append(
                _("product_code: a “%(status)s” product cannot be edited; only prices can change.")
                % {"status": product.get_status_display()}
            )
    return plan


def _product_content_changes(product: Product, values: dict[str, Any]) -> bool:
    for name, value in values.items():
        if name == "owner":
            continue
        current = product.category if name == "category" else getattr(product, name)
        if current != value:
            return True
    return False


def _report_workbook(header: list[str], rows: list[ImportRow]) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("errors")
    sheet.append(["row", *header, "errors"])
    for row in rows:
        sheet.append(
            [
                row.number,
                *[export_cell(row.raw.get(name)) for name in header],
                export_cell("\n".join(row.errors)),
            ]
        )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _apply(actor, plan: dict[str, dict], progress: Progress | None = None) -> dict[str, int]:
    counts = {"products_created": 0, "products_updated": 0, "skus_created": 0, "skus_updated": 0}
    done = 0
    for code, entry in plan.items():
        product = entry["product"]
        values = dict(entry["values"])
        if product is None:
            product = product_create(
                actor=actor,
                code=code,
                title=values.pop("title"),
                category=values.pop("category"),
                owner=values.pop("owner", None),
                **values,
            )
            counts["products_created"] += 1
        else:
            before = product.updated_at
            product = product_update(actor=actor, product=product, **values)
            counts["products_updated"] += int(product.updated_at != before)
        for row in entry["rows"]:
            sku_values = {
                name: row.values[name]
                for name in ("spec", "price_amount", "cost_amount", "weight_grams", "is_available")
                if name in row.values
            }
            sku = Sku.objects.filter(code=row.values["sku_code"]).first()
            if sku is None:
                sku_create(actor=actor, product=product, code=row.values["sku_code"], **sku_values)
                counts["skus_created"] += 1
            else:
                before = sku.updated_at
                sku = sku_update(actor=actor, sku=sku, reason="excel import", **sku_values)
                counts["skus_updated"] += int(sku.updated_at != before)
            done += 1
            if progress is not None:
                progress(done)
    return counts


def product_import(
    *, actor, file, file_name: str = "", progress: Progress | None = None
) -> ProductImport:
    """Import products and SKUs from an Excel file: every row or none.

    Raises ``ImportFileInvalid`` when the file is not a workbook with the columns.
    Returns the ``ProductImport``: ``applied`` with counts, or ``failed`` with the
    per-row errors and a downloadable report. Audited either way. ``progress(rows
    done)`` is called after each row is applied (a job shows it to the importer).
    """
    _require(actor, perms.IMPORT_PRODUCT)
    file_name = (file_name or getattr(file, "name", "") or "import.xlsx")[:200]
    header, rows = _read_rows(file)
    for row in rows:
        _parse_row(row)
    plan = _validate(actor, rows)
    bad = [row for row in rows if row.errors]
    if not bad:
        try:
            with transaction.atomic():
                counts = _apply(actor, plan, progress)
                record = ProductImport.objects.create(
                    file_name=file_name,
                    status=ProductImport.Status.APPLIED,
                    row_count=len(rows),
                    summary=counts,
                    created_by=actor,
                )
                audit(
                    actor=actor,
                    action="product.import",
                    target=record,
                    data={"file": file_name, "rows": len(rows), **counts},
                )
            return record
        except ApplicationError as exc:
            # A rule refused a row after validation (e.g. a concurrent change):
            # everything was rolled back; report it against the file.
            rows[0].errors.append(exc.message)
            bad = [rows[0]]
    with transaction.atomic():
        record = ProductImport.objects.create(
            file_name=file_name,
            status=ProductImport.Status.FAILED,
            row_count=len(rows),
            error_count=len(bad),
            errors=[{"row": row.number, "errors": row.errors} for row in bad],
            created_by=actor,
        )
        stamp = timezone.now().strftime("%Y%m%d%H%M%S")
        record.report.save(
            f"import-{record.pk}-{stamp}-errors.xlsx",
            ContentFile(_report_workbook(header, rows)),
            save=False,
        )
        record.save(update_fields=["report", "updated_at"])
        audit(
            actor=actor,
            action="product.import_failed",
            target=record,
            data={"file": file_name, "rows": len(rows), "rows_with_errors": len(bad)},
        )
    return record


IMPORT_JOB_NAME = "catalog.product_import"


def product_import_request(*, actor, file, file_name: str = "") -> FileJob:
    """Check the file's shape and queue its import as a job; return the ``FileJob``.

    A file that is not a workbook with the columns, has no rows or too many is
    refused at once (``ImportFileInvalid``); the rows themselves are checked and
    applied by :func:`product_import_job_run` on the ``heavy`` queue.
    """
    from .tasks import product_import_job_task

    _require(actor, perms.IMPORT_PRODUCT)
    file_name = (file_name or getattr(file, "name", "") or "import.xlsx")[:200]
    _header, rows = _read_rows(file)
    file.seek(0)
    return file_job_create(
        actor=actor,
        kind=FileJob.Kind.IMPORT,
        name=IMPORT_JOB_NAME,
        task=product_import_job_task,
        parameters={"model": "catalog.product", "file_name": file_name, "rows": len(rows)},
        input_file=file,
        input_name=file_name,
    )


def product_import_job_run(*, job: FileJob, progress) -> ProductImport:
    """Run a queued import as the person who uploaded it (permission checked again).

    An applied import ends the job ``succeeded`` with the counts; a rejected one ends
    it ``failed`` with the per-row errors and the error report as the job's file.
    """
    actor = get_user_model().objects.get(pk=job.requested_by_id)  # fresh permissions
    progress.rows_total = job.parameters.get("rows")
    progress(0)
    with job.input_file.open("rb") as handle:
        record = product_import(
            actor=actor,
            file=handle,
            file_name=job.parameters.get("file_name", ""),
            progress=progress,
        )
    result = {
        "import": record.pk,
        "status": record.status,
        "rows": record.row_count,
        "rows_with_errors": record.error_count,
        **record.summary,
    }
    if record.status == ProductImport.Status.APPLIED:
        job.rows_total = record.row_count
        file_job_succeed(actor=system_actor(), job=job, result=result)
        return record
    report = None
    if record.report:
        with record.report.open("rb") as source:
            report = ContentFile(source.read())
    file_job_fail(
        actor=system_actor(),
        job=job,
        error=_("%(n)d row(s) have errors; nothing was imported. Download the error report.")
        % {"n": record.error_count},
        result={**result, "code": "import_rejected", "errors": record.errors[:100]},
        file=report,
        file_name=f"import-{record.pk}-errors.xlsx",
    )
    return record


def product_export(*, actor, products: QuerySet[Product], filters: dict | None = None) -> bytes:
    """Write the products (already scoped by the caller's selector) as an Excel file.

    Audited with the filters and the row count.
    """
    buffer = io.BytesIO()
    product_export_write(actor=actor, products=products, out=buffer, filters=filters)
    return buffer.getvalue()


def product_export_write(
    *,
    actor,
    products: QuerySet[Product],
    out,
    filters: dict | None = None,
    progress: Progress | None = None,
    job_id: int | None = None,
) -> int:
    """Write the products as an Excel file into ``out`` (one row per SKU); return the rows.

    ``progress(rows)`` is called after each row. Audited (``product.export``) with the
    filters, the row count and the job, if any.
    """
    _require(actor, perms.EXPORT_PRODUCT)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("products")
    sheet.append(COLUMNS)
    count = 0
    products = products.select_related("category", "owner").prefetch_related("skus")
    for product in products.order_by("id").iterator(chunk_size=500):
        for sku in product.skus.all():
            row = [
                product.code,
                product.title,
                product.subtitle,
                product.category.code,
                product.brand,
                product.description,
                "是" if product.is_virtual else "否",
                product.owner.username if product.owner else "",
                sku.code,
                sku.spec_text,
                f"{sku.price_amount:.2f}",
                f"{sku.cost_amount:.2f}",
                sku.weight_grams,
                "是" if sku.is_available else "否",
            ]
            sheet.append([export_cell(value) for value in row])
            count += 1
            if progress is not None:
                progress(count)
    workbook.save(out)
    data = {"filters": filters or {}, "rows": count}
    if job_id is not None:
        data["job"] = job_id
    audit(actor=actor, action="product.export", object_type="catalog.product", data=data)
    return count


EXPORT_JOB_NAME = "catalog.product_export"


def product_export_rows(products: QuerySet[Product]) -> int:
    """The rows an export of ``products`` would write (one per SKU)."""
    return Sku.objects.filter(product__in=products.values("pk")).count()


def product_export_request(*, actor, query: list[tuple[str, str]]) -> FileJob:
    """Queue a large product export as a job for ``actor``; return the ``FileJob``.

    ``query`` is the request's query string (the list filters: status, category,
    owner, q — ids and words, no personal data), replayed by the job.
    """
    from .tasks import product_export_job_task

    _require(actor, perms.EXPORT_PRODUCT)
    return file_job_create(
        actor=actor,
        kind=FileJob.Kind.EXPORT,
        name=EXPORT_JOB_NAME,
        task=product_export_job_task,
        parameters={
            "model": "catalog.product",
            "format": "xlsx",
            "query": [list(pair) for pair in query],
        },
    )


def product_export_job_run(*, job: FileJob, progress) -> int:
    """Write a queued product export as its owner would get it now (scope, permission).

    The product viewset is rebuilt for the owner with the stored query string
    (``mall.core.exports.export_job_queryset``), so the filters are the list's own.
    """
    from mall.core.exports import export_job_queryset

    actor = get_user_model().objects.get(pk=job.requested_by_id)  # fresh permissions
    _view, products = export_job_queryset(job=job, user=actor)
    filters = {key: value for key, value in job.parameters.get("query", []) if key != "format"}
    progress.rows_total = product_export_rows(products)
    progress(0)
    with tempfile.TemporaryFile() as out:
        rows = product_export_write(
            actor=actor,
            products=products,
            out=out,
            filters=filters,
            progress=progress,
            job_id=job.pk,
        )
        out.seek(0)
        job.rows_total = rows
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
        file_job_succeed(
            actor=system_actor(),
            job=job,
            result={"rows": rows},
            file=File(out),
            file_name=f"products-{stamp}.xlsx",
        )
    return rows
