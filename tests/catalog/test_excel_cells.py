"""The catalog's Excel export and import error report are escaped against formulas."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook, load_workbook

from catalog.excel import COLUMNS, product_export, product_import
from catalog.models import Product, ProductImport

pytestmark = pytest.mark.django_db


def test_export_of_stored_formulas_and_controls_is_valid_escaped_and_imports_back(
    author, make_product
):
    product = make_product(author)
    Product.objects.filter(pk=product.pk).update(
        title='=HYPERLINK("http://evil.example")', brand="@SUM(A1)", subtitle="\x07bell"
    )
    content = product_export(actor=author, products=Product.objects.filter(pk=product.pk))
    sheet = load_workbook(io.BytesIO(content)).active
    header, line = (list(row) for row in sheet.iter_rows(values_only=True))
    values = dict(zip(header, line, strict=True))
    assert values["title"] == '\'=HYPERLINK("http://evil.example")'
    assert values["brand"] == "'@SUM(A1)"
    assert "\x07" not in str(values.get("subtitle", ""))
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)

    again = product_import(actor=author, file=SimpleUploadedFile("again.xlsx", content))
    assert again.status == ProductImport.Status.APPLIED
    product.refresh_from_db()
    assert product.title == '=HYPERLINK("http://evil.example")'


def test_the_import_error_report_escapes_what_the_uploader_typed(author, tree):
    book = Workbook()
    sheet = book.active
    sheet.append(list(COLUMNS))
    for column, typed in enumerate(["=1+1", "-title", "@cat"], start=1):
        cell = sheet.cell(row=2, column=column, value=typed)
        cell.data_type = "s"  # typed as text by the uploader, not a formula
    buffer = io.BytesIO()
    book.save(buffer)
    record = product_import(actor=author, file=SimpleUploadedFile("bad.xlsx", buffer.getvalue()))

    assert record.status == ProductImport.Status.FAILED
    report = load_workbook(record.report.open("rb")).active
    lines = list(report.iter_rows(min_row=2))
    assert lines[0][1].value == "'=1+1" and lines[0][2].value == "'-title"
    assert all(cell.data_type != "f" for row in report.iter_rows() for cell in row)
