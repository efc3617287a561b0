"""Every Excel product import runs as a job: 202, progress, the outcome and the error report."""

from __future__ import annotations

import io

import pytest
from openpyxl import Workbook, load_workbook

from catalog import permissions as perms
from catalog.excel import COLUMNS
from catalog.models import Product, ProductImport, Sku
from mall.core.models import FileJob
from ops.models import AuditEntry

IMPORT_URL = "/api/v1/catalog/products/import/"


@pytest.fixture
def importer(staff_with_role):
    return staff_with_role("importer", perms=perms.PRODUCT_OPS_PERMISSIONS, scope="self")


def _file(rows: list[dict], name: str = "products.xlsx") -> io.BytesIO:
    book = Workbook()
    book.active.append(COLUMNS)
    for values in rows:
        book.active.append([values.get(column) for column in COLUMNS])
    buffer = io.BytesIO()
    book.save(buffer)
    buffer.seek(0)
    buffer.name = name
    return buffer


def _row(number: int, **values) -> dict:
    return {
        "product_code": f"JOB-{number // 2}",
        "title": "电饭煲",
        "category_code": "rice-cooker",
        "sku_code": f"JOB-{number}-S",
        "spec": f"颜色:色{number}",
        "price": "99.00",
        **values,
    }


def _post(client, capture, buffer):
    with capture(execute=True):
        return client.post(IMPORT_URL, {"file": buffer}, format="multipart")


def test_an_import_answers_202_and_its_job_reaches_100_percent_with_the_counts(
    staff_client, importer, tree, django_capture_on_commit_callbacks
):
    client = staff_client(importer)
    response = _post(client, django_capture_on_commit_callbacks, _file([_row(i) for i in range(6)]))
    assert response.status_code == 202
    body = response.json()
    assert body["status"] in {"queued", "running", "succeeded"}
    job = client.get(body["status_url"]).json()
    assert job["status"] == "succeeded"
    assert (job["progress"], job["rows_done"], job["rows_total"]) == (100, 6, 6)
    assert job["result"]["products_created"] == 3
    assert job["result"]["skus_created"] == 6
    assert job["download_url"] is None  # nothing to download: the rows are in the catalog
    record = ProductImport.objects.get(pk=job["result"]["import"])
    assert record.status == "applied" and record.created_by == importer
    assert Sku.objects.filter(code__startswith="JOB-").count() == 6
    assert AuditEntry.objects.filter(action="product.import", actor=importer).exists()


def test_an_import_with_errors_fails_its_job_and_offers_the_error_report_to_its_owner_only(
    staff_client, importer, staff_with_role, tree, django_capture_on_commit_callbacks
):
    client = staff_client(importer)
    rows = [_row(0), _row(1, price="free"), _row(2, category_code="nope")]
    body = _post(client, django_capture_on_commit_callbacks, _file(rows)).json()
    job = client.get(body["status_url"]).json()
    assert job["status"] == "failed"
    assert job["error"] == "2 行有错误，未导入任何数据。请下载错误报告。"
    assert [item["row"] for item in job["result"]["errors"]] == [3, 4]
    report = client.get(job["download_url"])
    assert report.status_code == 200
    sheet = load_workbook(io.BytesIO(b"".join(report.streaming_content))).active
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][-1] == "errors" and "price" in values[2][-1]
    assert not Product.objects.filter(code__startswith="JOB-").exists()

    other = staff_client(staff_with_role("other", perms=perms.PRODUCT_OPS_PERMISSIONS))
    assert other.get(body["status_url"]).status_code == 404
    assert other.get(f"/api/v1/jobs/{body['job']}/download/").status_code == 404


def test_a_file_that_is_not_a_workbook_is_refused_at_once_without_a_job(
    staff_client, importer, tree
):
    buffer = io.BytesIO(b"not excel")
    buffer.name = "x.xlsx"
    response = staff_client(importer).post(IMPORT_URL, {"file": buffer}, format="multipart")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "import_file_invalid"
    assert not FileJob.objects.exists()


def test_the_import_job_reports_progress_row_by_row(importer, tree):
    from catalog.excel import product_import_job_run, product_import_request
    from mall.core.actors import system_actor
    from mall.core.filejobs import file_job_start

    buffer = _file([_row(i) for i in range(4)])
    job = product_import_request(actor=importer, file=buffer, file_name="p.xlsx")
    job = file_job_start(actor=system_actor(), job_id=job.pk)
    seen: list[tuple[int, int | None]] = []

    class Recorder:
        rows_total = None

        def __call__(self, done: int) -> None:
            seen.append((done, self.rows_total))

    product_import_job_run(job=job, progress=Recorder())
    assert seen == [(0, 4), (1, 4), (2, 4), (3, 4), (4, 4)]
    job.refresh_from_db()
    assert (job.status, job.progress, job.rows_done) == ("succeeded", 100, 4)
