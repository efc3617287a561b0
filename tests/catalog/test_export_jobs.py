"""A product export with more rows than the threshold runs as a job, scoped and audited."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from catalog.excel import COLUMNS
from ops.models import AuditEntry, SystemParameter

EXPORT_URL = "/api/v1/catalog/products/export/"


@pytest.fixture
def threshold(db):
    SystemParameter.objects.create(key="core.export_sync_max_rows", value=2)


def test_a_small_product_export_still_downloads_at_once(
    threshold, staff_client, author, make_product
):
    make_product(author, with_image=False)
    response = staff_client(author).get(EXPORT_URL)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")


def test_a_large_product_export_is_a_job_with_the_owners_scope_and_one_row_per_sku(
    threshold, staff_client, author, reviewer, make_product, django_capture_on_commit_callbacks
):
    mine = [make_product(author, with_image=False) for _ in range(3)]
    make_product(reviewer, with_image=False, code="NOT-MINE")  # outside author's "self" scope
    client = staff_client(author)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.get(EXPORT_URL, {"q": "电饭煲"})
    assert response.status_code == 202
    job = client.get(response.json()["status_url"]).json()
    assert job["status"] == "succeeded"
    assert (job["progress"], job["rows_done"], job["rows_total"]) == (100, 3, 3)

    download = client.get(job["download_url"])
    sheet = load_workbook(io.BytesIO(b"".join(download.streaming_content))).active
    values = list(sheet.iter_rows(values_only=True))
    assert list(values[0]) == COLUMNS
    assert sorted(row[0] for row in values[1:]) == sorted(p.code for p in mine)
    entry = AuditEntry.objects.get(action="product.export")
    assert entry.actor_id == author.pk
    assert entry.data == {"filters": {"q": "电饭煲"}, "rows": 3, "job": job["id"]}
    assert staff_client(reviewer).get(job["download_url"]).status_code == 404
