"""The run report: summary, the reader's discrepancies only, matched totals; CSV
injection guarded; audited."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from ops.models import AuditEntry
from payments.exceptions import InvalidPaymentInput, PaymentsPermissionDenied
from payments.reconciliation.reports import matched_totals, report
from rbac.models import SalesRegion
from tests.payments.reconciliation.queue_factories import (
    make_discrepancy,
    make_finance,
    make_line,
    make_run,
    make_txn,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    east = SalesRegion.objects.get(code="east")
    north = SalesRegion.objects.get(code="north")
    run = make_run()
    for amount in ("9.00", "11.50"):
        make_line(run, txn=make_txn(region=east, amount=amount), amount=amount)
    make_line(run, txn=make_txn(region=east), amount="3.00", outcome="amount_mismatch")
    near = make_discrepancy(run, region=east)
    far = make_discrepancy(run, region=north)
    evil = make_discrepancy(run, region=east)
    type(evil).objects.filter(pk=evil.pk).update(detail='=HYPERLINK("http://x","y")')
    return {"run": run, "near": near, "far": far}


def test_matched_totals_count_and_sum_matched_lines_per_kind(world):
    figures = matched_totals(world["run"])
    assert figures["payment"]["count"] == 2
    assert str(figures["payment"]["amount"]) == "20.50"
    assert figures["refund"]["count"] == 0


def test_csv_holds_the_summary_the_readers_items_and_the_totals(world):
    east = make_finance("rep_east", regions=("east",))
    content, name = report(world["run"], east, "csv")
    text = content.decode("utf-8-sig")
    assert name.endswith(".csv")
    assert world["near"].transaction_no in text
    assert world["far"].transaction_no not in text  # another region's item
    assert "20.50" in text  # matched payments
    assert "'=HYPERLINK" in text and ",=HYPERLINK" not in text
    entry = AuditEntry.objects.get(action="reconciliation.export", object_id=str(world["run"].pk))
    assert entry is not None


def test_xlsx_has_three_sheets(world):
    content, name = report(world["run"], make_finance("rep_all"), "xlsx")
    book = load_workbook(io.BytesIO(content))
    assert len(book.sheetnames) == 3 and name.endswith(".xlsx")
    rows = list(book.worksheets[1].iter_rows(values_only=True))
    assert len(rows) == 1 + 3  # header and every item (scope all)


def test_report_refuses_other_formats_and_readers_without_permission(world):
    with pytest.raises(InvalidPaymentInput):
        report(world["run"], make_finance("rep_fmt"), "pdf")
    viewer = make_finance("rep_view", perms=("payments.view_reconciliation",))
    with pytest.raises(PaymentsPermissionDenied):
        report(world["run"], viewer, "csv")
