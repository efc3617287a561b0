"""Two workers generating the same report at once (the schedule delivered twice) leave
one archive row and one file: the loser of the unique constraint removes its file."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from mall.core.actors import system_actor
from ops.models import AuditEntry
from ops.reports.models import ReportArchive
from ops.reports.services import report_generate
from tests.conftest import requires_postgres


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_generations_of_one_report_keep_one_row_and_one_file():
    day = timezone.localdate() - timedelta(days=400)
    storage = ReportArchive._meta.get_field("file").storage
    prefix = f"daily-core-data-{day:%Y%m%d}"

    def files() -> set[str]:
        if not storage.exists("reports"):
            return set()
        return {name for name in storage.listdir("reports")[1] if name.startswith(prefix)}

    before = files()
    barrier = threading.Barrier(2)
    results: list = []
    errors: list[Exception] = []

    def generate():
        try:
            barrier.wait(timeout=10)
            results.append(report_generate(actor=system_actor(), kind="daily", period_start=day))
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=generate) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert len({archive.pk for archive, _created in results}) == 1
    assert sorted(created for _archive, created in results) == [False, True]
    assert ReportArchive.objects.filter(kind="daily", period_start=day).count() == 1
    assert AuditEntry.objects.filter(action="report.generate").count() == 1
    assert len(files() - before) == 1
