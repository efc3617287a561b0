"""The report archive: kept at least two years, purged after that; downloads only for
readers with the report permission and scope "all", each one audited."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from mall.core.actors import system_actor
from ops.models import AuditEntry
from ops.parameters import parameter_spec
from ops.reports.exceptions import ReportNotFound
from ops.reports.models import ReportArchive, ReportKind
from ops.reports.parameters import ARCHIVE_RETENTION_DAYS
from ops.reports.services import report_archives_purge, report_download, report_generate

pytestmark = pytest.mark.django_db
PASSWORD = "mall-demo-2026"


@pytest.fixture
def archive(db):
    day = timezone.localdate() - timedelta(days=1)
    return report_generate(actor=system_actor(), kind=ReportKind.DAILY, period_start=day)[0]


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_retention_parameter_refuses_less_than_two_years():
    spec = parameter_spec(ARCHIVE_RETENTION_DAYS)

    assert spec.default == 730
    with pytest.raises(ValueError):
        spec.coerce(729)
    assert spec.coerce(730) == 730


def test_reports_older_than_the_retention_are_purged_with_their_files(db):
    today = timezone.localdate()
    old, _c = report_generate(
        actor=system_actor(), kind="daily", period_start=today - timedelta(days=731)
    )
    kept, _c = report_generate(
        actor=system_actor(), kind="daily", period_start=today - timedelta(days=730)
    )
    old_name = old.file.name
    storage = old.file.storage

    assert report_archives_purge(actor=system_actor()) == 1

    assert list(ReportArchive.objects.values_list("pk", flat=True)) == [kept.pk]
    assert not storage.exists(old_name)
    assert storage.exists(kept.file.name)
    entry = AuditEntry.objects.get(action="report.purge")
    assert entry.data["reports"] == [["daily", old.period_start.isoformat()]]
    assert report_archives_purge(actor=system_actor()) == 0
    assert AuditEntry.objects.filter(action="report.purge").count() == 1


def test_a_reader_with_scope_all_downloads_the_report_and_the_download_is_audited(
    all_reader, archive
):
    handle, name = report_download(actor=all_reader, archive=archive)
    handle.close()

    assert name == f"daily-core-data-{archive.period_start:%Y%m%d}.xlsx"
    entry = AuditEntry.objects.get(action="report.download")
    assert entry.actor_id == all_reader.pk
    assert entry.object_id == str(archive.pk)


def test_a_regional_reader_with_the_report_permission_cannot_download(east_reader, archive):
    with pytest.raises(ReportNotFound):
        report_download(actor=east_reader, archive=archive)
    assert not AuditEntry.objects.filter(action="report.download").exists()


def test_the_admin_download_sends_the_file_to_a_scope_all_reader(all_reader, archive):
    url = reverse("admin:reports_reportarchive_download", args=[archive.pk])

    response = _client(all_reader).get(url)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert b"".join(response.streaming_content)[:2] == b"PK"
    assert AuditEntry.objects.filter(action="report.download", actor=all_reader).count() == 1


def test_the_admin_archive_and_download_are_not_found_for_a_regional_reader(east_reader, archive):
    client = _client(east_reader)
    download = reverse("admin:reports_reportarchive_download", args=[archive.pk])
    changelist = reverse("admin:reports_reportarchive_changelist")

    assert client.get(download).status_code == 404
    assert client.get(changelist).status_code == 403
    assert not AuditEntry.objects.filter(action="report.download").exists()


def test_the_admin_archive_lists_reports_for_a_scope_all_reader(all_reader, archive):
    response = _client(all_reader).get(reverse("admin:reports_reportarchive_changelist"))

    assert response.status_code == 200
    assert reverse("admin:reports_reportarchive_download", args=[archive.pk]) in (
        response.content.decode()
    )


def test_the_api_lists_and_downloads_reports_for_a_scope_all_reader(
    all_reader, archive, staff_client
):
    client = staff_client(all_reader)

    listed = client.get("/api/v1/reports/archives/")
    download = client.get(f"/api/v1/reports/archives/{archive.pk}/download/")

    assert listed.status_code == 200
    assert [row["id"] for row in listed.json()["results"]] == [archive.pk]
    assert listed.json()["results"][0]["kind"] == "daily"
    assert download.status_code == 200
    assert AuditEntry.objects.filter(action="report.download").count() == 1


def test_the_api_hides_reports_from_a_regional_reader_as_not_found(
    east_reader, archive, staff_client
):
    client = staff_client(east_reader)

    listed = client.get("/api/v1/reports/archives/")
    detail = client.get(f"/api/v1/reports/archives/{archive.pk}/")
    download = client.get(f"/api/v1/reports/archives/{archive.pk}/download/")
    missing = client.get("/api/v1/reports/archives/999999/download/")
    malformed = client.get("/api/v1/reports/archives/x1/download/")

    assert listed.status_code == 200 and listed.json()["results"] == []
    assert detail.status_code == 404 and detail.json()["error"]["code"] == "not_found"
    assert download.status_code == 404 and download.json() == missing.json()
    assert malformed.status_code == 404
    assert not AuditEntry.objects.filter(action="report.download").exists()


def test_the_api_refuses_the_archive_without_the_report_permission(
    no_perm_reader, archive, staff_client
):
    response = staff_client(no_perm_reader).get("/api/v1/reports/archives/")
    assert response.status_code == 403
