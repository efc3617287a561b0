"""Files of export and import jobs are deleted after the retention parameter; rows stay."""

from __future__ import annotations

import os
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.utils import timezone
from rest_framework.test import APIClient

from mall.core.actors import system_actor
from mall.core.filejobs import file_job_start, file_job_succeed, file_jobs_purge_expired
from mall.core.models import FileJob
from mall.core.schedule import collect_schedule
from mall.core.tasks import file_jobs_purge_task
from ops.models import AuditEntry, SystemParameter


def _finished_job(user, content: bytes = b"a,b\n") -> FileJob:
    job = FileJob.objects.create(kind="export", name="test", requested_by=user)
    job = file_job_start(actor=system_actor(), job_id=job.pk)
    return file_job_succeed(
        actor=system_actor(), job=job, result={}, file=ContentFile(content), file_name="x.csv"
    )


def test_a_finished_job_keeps_its_file_for_the_retention_parameter(db):
    SystemParameter.objects.create(key="core.file_job_retention_hours", value=5)
    user = get_user_model().objects.create_user("u", is_staff=True)
    job = _finished_job(user)
    assert timedelta(hours=4, minutes=59) < job.expires_at - timezone.now() <= timedelta(hours=5)


def test_the_clean_up_deletes_expired_files_only_and_the_download_then_answers_410(db):
    user = get_user_model().objects.create_user("u", is_staff=True)
    old, fresh = _finished_job(user), _finished_job(user)
    old_path = old.result_file.path
    FileJob.objects.filter(pk=old.pk).update(expires_at=timezone.now() - timedelta(minutes=1))

    assert file_jobs_purge_task.delay().get() == 1
    [purge] = AuditEntry.objects.filter(action="file_job.purge")
    assert purge.data == {"jobs": [old.pk]}

    old.refresh_from_db()
    fresh.refresh_from_db()
    assert not old.result_file and fresh.result_file
    assert not os.path.exists(old_path)
    client = APIClient()
    client.force_authenticate(user)
    response = client.get(f"/api/v1/jobs/{old.pk}/download/")
    assert response.status_code == 410
    assert response.json()["error"]["code"] == "job_file_expired"
    assert client.get(f"/api/v1/jobs/{fresh.pk}/download/").status_code == 200
    assert file_jobs_purge_expired(actor=system_actor()) == 0  # nothing left to delete


def test_the_clean_up_is_in_the_beat_schedule():
    entry = collect_schedule()["core: delete expired export and import files"]
    assert entry["task"] == "mall.core.tasks.file_jobs_purge_task"
