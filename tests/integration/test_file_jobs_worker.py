"""An export and an import as jobs with progress, run by a real Celery worker on Redis."""

from __future__ import annotations

import csv
import io
import time

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from openpyxl import Workbook
from rest_framework.test import APIClient

from catalog.excel import COLUMNS
from catalog.models import Sku
from mall.core.actors import system_actor
from mall.core.models import FileJob
from ops.models import AuditEntry, SystemParameter
from rbac import services as rbac_services
from tests.integration.test_celery_worker import worker  # noqa: F401 - the worker fixture

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not settings.REDIS_URL, reason="needs REDIS_URL (Redis as Celery broker)"),
    pytest.mark.skipif(
        not settings.IS_POSTGRES,
        reason="needs PostgreSQL: the worker process cannot see pytest's in-memory SQLite",
    ),
]


@pytest.fixture
def jobs_worker(request, monkeypatch, transactional_db):
    """The real worker, sharing this process's private and media file locations."""
    monkeypatch.setenv("PRIVATE_MEDIA_ROOT", str(settings.PRIVATE_MEDIA_ROOT))
    monkeypatch.setenv("MEDIA_ROOT", str(settings.MEDIA_ROOT))
    process = request.getfixturevalue("worker")
    from mall.celery import app

    app.control.purge()
    return process


@pytest.fixture
def requester(transactional_db):
    user = get_user_model().objects.create_superuser("exporter", password="x")
    client = APIClient()
    client.force_authenticate(user)
    return user, client


def _wait(client, status_url: str, process, timeout: float = 120) -> tuple[dict, list[int]]:
    """Poll the status resource until the job ends; return it and the progress seen."""
    seen: list[int] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        body = client.get(status_url).json()
        seen.append(body["progress"])
        if body["status"] in ("succeeded", "failed"):
            return body, seen
        time.sleep(0.05)
    process.terminate()
    output = process.communicate(timeout=20)[0]
    pytest.fail(f"the job did not end; worker output:\n{output[-4000:]}")


def test_a_large_export_runs_on_the_worker_and_downloads_for_the_requester(jobs_worker, requester):
    user, client = requester
    system = system_actor()
    for number in range(12):
        rbac_services.staff_create(
            actor=system,
            username=f"clerk{number}",
            employee_number=f"W{number:04d}",
            password="mall-demo-2026",
        )
    SystemParameter.objects.create(key="core.export_sync_max_rows", value=5)

    response = client.get("/api/v1/rbac/staff/export/", {"format": "csv"})
    assert response.status_code == 202
    job, seen = _wait(client, response.json()["status_url"], jobs_worker)

    assert job["status"] == "succeeded", job
    assert (job["progress"], job["rows_done"], job["rows_total"]) == (100, 12, 12)
    assert seen == sorted(seen)  # progress never goes back
    assert FileJob.objects.get(pk=job["id"]).task_id  # run by the worker, not in-process
    download = client.get(job["download_url"])
    content = b"".join(download.streaming_content).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(content)))
    assert sorted(row["username"] for row in rows) == sorted(f"clerk{n}" for n in range(12))
    export = AuditEntry.objects.get(action="data.export", actor=user)
    assert export.data["job"] == job["id"] and export.data["rows"] == 12
    assert jobs_worker.poll() is None


def test_an_excel_import_runs_on_the_worker_with_progress(jobs_worker, requester):
    from catalog import services as catalog_services

    user, client = requester
    system = system_actor()
    root = catalog_services.category_seed(actor=system, code="appliance", name="家用电器")
    middle = catalog_services.category_seed(
        actor=system, code="kitchen", name="厨房电器", parent=root
    )
    catalog_services.category_seed(actor=system, code="rice-cooker", name="电饭煲", parent=middle)
    book = Workbook()
    book.active.append(COLUMNS)
    rows = 120
    for number in range(rows):
        values = {
            "product_code": f"W-{number // 4}",
            "title": "电饭煲",
            "category_code": "rice-cooker",
            "sku_code": f"W-{number}-S",
            "spec": f"颜色:色{number}",
            "price": "99.00",
        }
        book.active.append([values.get(column) for column in COLUMNS])
    buffer = io.BytesIO()
    book.save(buffer)
    buffer.seek(0)
    buffer.name = "products.xlsx"

    response = client.post("/api/v1/catalog/products/import/", {"file": buffer}, format="multipart")
    assert response.status_code == 202
    job, seen = _wait(client, response.json()["status_url"], jobs_worker)

    assert job["status"] == "succeeded", job
    assert (job["progress"], job["rows_done"], job["rows_total"]) == (100, rows, rows)
    assert job["result"]["skus_created"] == rows
    assert seen == sorted(seen)
    # seen while the import's one transaction was still open (written on its own connection)
    assert any(0 < value < 100 for value in seen), seen
    assert Sku.objects.filter(code__startswith="W-").count() == rows
    assert AuditEntry.objects.filter(action="product.import", actor=user).exists()
