"""A large member export runs as a job; one filtered by a phone number never does."""

from __future__ import annotations

import csv
import io

from django.urls import reverse

from mall.core.models import FileJob
from ops.models import SystemParameter
from tests.members.test_staff_api import regional_staff  # noqa: F401 - the fixture


def test_a_member_export_above_the_threshold_is_a_masked_job_of_the_scope(
    staff_client,
    regional_staff,  # noqa: F811 - the fixture imported above
    make_member,
    django_capture_on_commit_callbacks,
):
    SystemParameter.objects.create(key="core.export_sync_max_rows", value=1)
    make_member("13911112222", province="上海")
    make_member("13911114444", province="上海")
    make_member("13911113333", province="北京")
    client = staff_client(regional_staff("cs"))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.get(reverse("member-export"), {"format": "csv"})
    assert response.status_code == 202
    job = client.get(response.json()["status_url"]).json()
    assert (job["status"], job["rows_done"]) == ("succeeded", 2)
    download = client.get(job["download_url"])
    rows = list(
        csv.DictReader(io.StringIO(b"".join(download.streaming_content).decode("utf-8-sig")))
    )
    assert sorted(row["phone"] for row in rows) == ["139****2222", "139****4444"]


def test_an_export_filtered_by_a_phone_number_is_answered_at_once_and_stores_no_job(
    staff_client,
    regional_staff,  # noqa: F811 - the fixture imported above
    make_member,
):
    SystemParameter.objects.create(key="core.export_sync_max_rows", value=0)
    make_member("13911112222", province="上海")
    response = staff_client(regional_staff("cs")).get(
        reverse("member-export"), {"format": "csv", "phone": "13911112222"}
    )
    assert response.status_code == 200
    assert "139****2222" in b"".join(response.streaming_content).decode()
    assert not FileJob.objects.exists()
