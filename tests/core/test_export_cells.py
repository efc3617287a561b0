"""Exports never fail on stored data: every cell is sanitised and escaped against formulas."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

from mall.core.api import ExportColumn, export_response
from mall.core.cells import export_cell, imported_text

STORED = ['=HYPERLINK("http://evil.example","click")', "+1", "-2", "@SUM(A1:A2)", "\x07bell"]


def test_formula_starts_are_escaped_and_xlsx_illegal_controls_replaced():
    assert export_cell('=HYPERLINK("x")') == '\'=HYPERLINK("x")'
    assert export_cell("+1") == "'+1"
    assert export_cell("-2") == "'-2"
    assert export_cell("@SUM(A1)") == "'@SUM(A1)"
    assert export_cell("\tcmd") == "'\tcmd"
    assert export_cell("\rcmd") == "'\rcmd"
    assert export_cell("\x07bell\x00") == "\ufffdbell\ufffd"
    assert export_cell("line one\nline two\tend") == "line one\nline two\tend"


def test_numbers_booleans_and_plain_text_pass_unchanged():
    assert export_cell(-2) == -2
    assert export_cell(1.5) == 1.5
    assert export_cell(True) is True
    assert export_cell(None) is None
    assert export_cell("智能电饭煲 a=b") == "智能电饭煲 a=b"


def test_an_escaped_value_reads_back_as_it_was_stored():
    for value in ["=1+1", "+1", "-2", "@x", "plain", "'quoted"]:
        assert imported_text(str(export_cell(value))) == value


@pytest.fixture
def stored_tickets(db):
    from rbac.models import SalesRegion
    from tests.scopetest.models import Ticket

    region, _ = SalesRegion.objects.get_or_create(code="export-cells", defaults={"name": "x"})
    # Stored as an old row or a direct database write would be (no input hygiene on the way).
    Ticket.objects.bulk_create(Ticket(title=title, region=region) for title in STORED)
    return Ticket.objects.order_by("id")


COLUMNS = [ExportColumn("id", "id"), ExportColumn("title", "title")]
ESCAPED = [
    '\'=HYPERLINK("http://evil.example","click")',
    "'+1",
    "'-2",
    "'@SUM(A1:A2)",
    "\ufffdbell",
]


def test_a_csv_export_of_stored_formulas_and_controls_is_escaped(stored_tickets, admin_user):
    response = export_response(
        user=admin_user, queryset=stored_tickets, columns=COLUMNS, filename="t", fmt="csv"
    )
    text = b"".join(response.streaming_content).decode("utf-8").lstrip("\ufeff")
    rows = list(csv.reader(io.StringIO(text)))
    assert [row[1] for row in rows[1:]] == ESCAPED
    assert all(isinstance(int(row[0]), int) for row in rows[1:])


def test_an_xlsx_export_of_stored_formulas_and_controls_is_a_valid_workbook(
    stored_tickets, admin_user
):
    response = export_response(
        user=admin_user, queryset=stored_tickets, columns=COLUMNS, filename="t", fmt="xlsx"
    )
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    cells = list(sheet.iter_rows(min_row=2))
    assert [row[1].value for row in cells] == ESCAPED
    assert all(row[1].data_type == "s" for row in cells)  # text, never a formula
