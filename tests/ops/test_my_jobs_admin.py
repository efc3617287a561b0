"""我的任务 (my jobs) in the admin: only the reader's own jobs, with progress and a download."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.test import Client

from mall.core.actors import system_actor
from mall.core.filejobs import file_job_start, file_job_succeed
from mall.core.models import FileJob
from ops.models import AuditEntry


def _staff(name: str):
    return get_user_model().objects.create_user(name, password="x", is_staff=True)


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_changelist_shows_only_the_readers_jobs_with_a_progress_bar(db):
    me, other = _staff("me"), _staff("other")
    mine = FileJob.objects.create(
        kind="export",
        name="x",
        requested_by=me,
        parameters={"model": "members.member"},
        status="running",
        progress=40,
        rows_done=400,
        rows_total=1000,
    )
    theirs = FileJob.objects.create(kind="export", name="secret-export", requested_by=other)
    response = _client(me).get("/admin/core/filejob/")
    assert response.status_code == 200
    content = response.content.decode()
    assert "我的任务" in content  # the changelist speaks Chinese
    assert '<progress value="40" max="100"' in content
    assert "400 / 1000" in content
    assert 'http-equiv="refresh"' in content  # a running job: the page reloads itself
    assert f"/admin/core/filejob/{mine.pk}/change/" in content
    assert f"/admin/core/filejob/{theirs.pk}/change/" not in content
    assert _client(me).get(f"/admin/core/filejob/{theirs.pk}/change/").status_code in (302, 404)


def test_the_owner_downloads_the_file_from_the_admin_and_the_download_is_audited(db):
    me, other = _staff("me"), _staff("other")
    job = FileJob.objects.create(kind="export", name="x", requested_by=me)
    job = file_job_start(actor=system_actor(), job_id=job.pk)
    file_job_succeed(
        actor=system_actor(),
        job=job,
        result={"rows": 1},
        file=ContentFile(b"id\n1\n"),
        file_name="x.csv",
    )
    url = f"/admin/core/filejob/{job.pk}/download/"
    response = _client(me).get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"id\n1\n"
    assert AuditEntry.objects.filter(action="file_job.download", actor=me).count() == 1
    assert _client(other).get(url).status_code == 404
