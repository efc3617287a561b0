"""Exports above the row threshold run as jobs: 202, status, a download for the requester only."""

from __future__ import annotations

import csv
import io

import pytest

from mall.core.exports import export_job_request
from mall.core.models import FileJob
from mall.core.tasks import export_job_run_task
from ops.models import AuditEntry, SystemParameter
from rbac import services
from tests.rbac.conftest import fresh
from tests.scopetest.models import Ticket

pytestmark = pytest.mark.urls("tests.scopetest.urls")

EXPORT_URL = "/api/v1/scopetest/tickets/export/"


@pytest.fixture
def threshold(db):
    SystemParameter.objects.create(key="core.export_sync_max_rows", value=2)


@pytest.fixture
def tickets(regions):
    east = [
        Ticket.objects.create(
            title=f"east {i}",
            region=regions["east"],
            phone=f"1381234567{i}",
            customer_name="张三丰",
        )
        for i in range(3)
    ]
    north = Ticket.objects.create(title="north", region=regions["north"], phone="13900000000")
    return {"east": east, "north": north}


@pytest.fixture
def reader(system, tree, make_user, make_role):
    def make(name: str, *, pii: bool = False, kind: str = "all", region_codes=()):
        perms = ["scopetest.view_ticket"] + (["scopetest.view_ticket_pii"] if pii else [])
        role = make_role(f"r-{name}", kind, perms, region_codes=region_codes)
        user = make_user(name, tree["ops"])
        services.role_assign(actor=system, user=user, role=role)
        return fresh(user)

    return make


def _export(client, capture, **params):
    with capture(execute=True):
        response = client.get(EXPORT_URL, {"format": "csv", **params})
    return response


def _rows(client, job_body) -> list[dict]:
    response = client.get(job_body["download_url"])
    assert response.status_code == 200
    content = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(content)))


def test_an_export_at_or_below_the_threshold_is_still_streamed_at_once(
    threshold, regions, reader, staff_client
):
    Ticket.objects.create(title="one", region=regions["east"])
    response = staff_client(reader("agent")).get(EXPORT_URL, {"format": "csv"})
    assert response.status_code == 200
    assert response["X-Export-Rows"] == "1"
    assert not FileJob.objects.exists()


def test_a_large_export_answers_202_with_a_status_url_then_the_file_downloads(
    threshold, tickets, reader, staff_client, django_capture_on_commit_callbacks
):
    client = staff_client(reader("agent"))
    response = _export(client, django_capture_on_commit_callbacks, region="x")
    assert response.status_code == 202
    body = response.json()
    job = FileJob.objects.get(pk=body["job"])
    assert body["status_url"].endswith(f"/api/v1/jobs/{job.pk}/")
    assert job.parameters["query"] == [["format", "csv"], ["region", "x"]]

    status = client.get(body["status_url"]).json()
    assert status["status"] == "succeeded"
    assert (status["progress"], status["rows_done"], status["rows_total"]) == (100, 4, 4)
    assert status["expires_at"]
    rows = _rows(client, status)
    assert sorted(row["title"] for row in rows) == ["east 0", "east 1", "east 2", "north"]


def test_the_job_reapplies_the_requesters_scope_and_filters(
    threshold, tickets, regions, reader, staff_client, django_capture_on_commit_callbacks
):
    for i in range(2):
        Ticket.objects.create(title=f"north {i}", region=regions["north"])
    regional = reader("east-agent", kind="regions", region_codes=["east"])
    client = staff_client(regional)
    body = _export(client, django_capture_on_commit_callbacks).json()
    status = client.get(body["status_url"]).json()
    rows = _rows(client, status)
    assert sorted(row["title"] for row in rows) == ["east 0", "east 1", "east 2"]
    assert status["rows_done"] == 3


def test_the_job_file_is_masked_without_the_pii_permission_and_reveals_are_audited_with_it(
    threshold, tickets, reader, staff_client, django_capture_on_commit_callbacks
):
    agent = staff_client(reader("agent"))
    body = _export(agent, django_capture_on_commit_callbacks).json()
    masked = _rows(agent, agent.get(body["status_url"]).json())
    assert "138****5670" in {row["phone"] for row in masked}
    assert all("****" in row["phone"] for row in masked)
    assert {row["customer"] for row in masked} == {"张**", ""}
    assert not AuditEntry.objects.filter(action="pii.reveal").exists()

    lead = reader("lead", pii=True)
    client = staff_client(lead)
    with django_capture_on_commit_callbacks(execute=True):
        body = client.get(EXPORT_URL, {"format": "csv"}, HTTP_X_PII_REASON="audit of calls").json()
    shown = _rows(client, client.get(body["status_url"]).json())
    assert "13812345670" in {row["phone"] for row in shown}
    [reveal] = AuditEntry.objects.filter(action="pii.reveal")
    assert reveal.actor_id == lead.pk
    assert reveal.data["reason"] == "audit of calls"
    assert len(reveal.data["records"]) == 4
    assert reveal.data["context"].startswith(f"export job {body['job']}")


def test_the_job_audits_the_export_and_the_download(
    threshold, tickets, reader, staff_client, django_capture_on_commit_callbacks
):
    user = reader("agent")
    client = staff_client(user)
    body = _export(client, django_capture_on_commit_callbacks, region="x").json()
    _rows(client, client.get(body["status_url"]).json())
    export = AuditEntry.objects.get(action="data.export")
    assert export.actor_id == user.pk
    assert export.data == {
        "format": "csv",
        "filters": {"region": "x"},
        "rows": 4,
        "job": body["job"],
    }
    download = AuditEntry.objects.get(action="file_job.download")
    assert (download.actor_id, download.object_id) == (user.pk, str(body["job"]))


def test_another_user_gets_404_on_the_status_and_the_download(
    threshold, tickets, reader, staff_client, django_capture_on_commit_callbacks
):
    owner = staff_client(reader("agent"))
    body = _export(owner, django_capture_on_commit_callbacks).json()
    other = staff_client(reader("colleague", pii=True))
    status = other.get(body["status_url"])
    download = other.get(f"/api/v1/jobs/{body['job']}/download/")
    assert (status.status_code, download.status_code) == (404, 404)
    assert status.json()["error"]["code"] == "job_not_found"
    assert other.get("/api/v1/jobs/").json()["results"] == []
    assert not AuditEntry.objects.filter(action="file_job.download").exists()


def test_a_job_whose_owner_lost_the_permission_meanwhile_fails_without_a_file(
    threshold,
    tickets,
    reader,
    staff_client,
    system,
):
    from rbac.models import Role

    user = reader("agent")
    job = export_job_request(
        actor=user, export_name="tests.scopetest.api.TicketViewSet", fmt="csv", query=[]
    )
    services.role_revoke(actor=system, user=user, role=Role.objects.get(code="r-agent"))
    export_job_run_task.delay(job.pk)

    job.refresh_from_db()
    assert job.status == "failed"
    assert job.result == {"code": "permission_denied"}
    assert not job.result_file
    client = staff_client(fresh(user))
    assert client.get(f"/api/v1/jobs/{job.pk}/").json()["error"]
    assert client.get(f"/api/v1/jobs/{job.pk}/download/").status_code == 410
    assert not AuditEntry.objects.filter(action="data.export").exists()


def test_an_ended_job_is_not_run_twice(
    threshold, tickets, reader, staff_client, django_capture_on_commit_callbacks
):
    client = staff_client(reader("agent"))
    body = _export(client, django_capture_on_commit_callbacks).json()
    export_job_run_task.delay(body["job"])  # a redelivered message
    assert AuditEntry.objects.filter(action="data.export").count() == 1
