"""RFM as staff read it: the marketing export (scoped, masked, audited, by segment),
the member list's segment and win-back filters and columns, the workbench charts and
the member 360° section."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from mall.core.models import FileJob
from members.models import RfmSegment
from ops.models import AuditEntry, SystemParameter
from ops.workbench import workbench
from tests.members.test_rfm import paid_order, run

pytestmark = pytest.mark.django_db

READ = ["members.view_member", "members.view_memberrfm"]
EXPORT = [*READ, "members.export_rfm"]


def staff(username, perms, regions=None):
    from mall.core.actors import system_actor
    from rbac import services
    from rbac.models import SalesRegion

    role = services.role_create(
        actor=system_actor(),
        code=f"role-{username}",
        name=username,
        scope_kind="regions" if regions else "all",
        regions=[SalesRegion.objects.get(code=code) for code in regions or []],
        permissions=perms,
    )
    user = get_user_model().objects.create_user(username, password="x-pass-123", is_staff=True)
    services.role_assign(actor=system_actor(), user=user, role=role)
    return get_user_model().objects.get(pk=user.pk)


@pytest.fixture
def scored(make_member):
    """Two east members (important value; general win-back) and one north member
    (important value), scored by one run."""
    members = {
        "east_best": make_member("13911110001", province="上海"),
        "east_lapsed": make_member("13911110002", province="上海"),
        "north_best": make_member("13911110003", province="北京"),
    }
    for name in ("east_best", "north_best"):
        for days in (3, 4, 5):
            paid_order(members[name], days_ago=days, amount="300")
    paid_order(members["east_lapsed"], days_ago=300, amount="20")
    for days in (400, 410, 420):
        paid_order(members["east_lapsed"], days_ago=days, amount="20")
    run()
    return members


def _csv(response) -> list[dict]:
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(body)))


def test_the_export_of_a_segment_is_scoped_masked_and_audited(staff_client, scored):
    east = staff("mkt-east", EXPORT, regions=["east"])
    response = staff_client(east).get(
        reverse("member-rfm-export"), {"format": "csv", "segment": "important_value"}
    )
    assert response.status_code == 200
    rows = _csv(response)
    assert [(row["id"], row["phone"], row["segment"]) for row in rows] == [
        (str(scored["east_best"].pk), "139****0001", "important_value")
    ]
    assert (rows[0]["frequency"], rows[0]["monetary_amount"]) == ("3", "900.00")
    entry = AuditEntry.objects.get(action="data.export", actor=east)
    assert entry.data["rows"] == 1 and entry.data["filters"] == {"segment": "important_value"}
    assert not AuditEntry.objects.filter(action="pii.reveal").exists()


def test_the_export_reveals_phones_only_to_pii_holders_and_audits_the_reveal(staff_client, scored):
    lead = staff("lead", [*EXPORT, "members.view_member_pii"])
    rows = _csv(
        staff_client(lead).get(
            reverse("member-rfm-export"), {"format": "csv", "segment": "important_value"}
        )
    )
    assert sorted(row["phone"] for row in rows) == ["13911110001", "13911110003"]
    reveal = AuditEntry.objects.get(action="pii.reveal", actor=lead)
    assert reveal.object_type == "members.member"


def test_a_large_export_is_a_job_that_stays_scoped_and_masked(
    staff_client, scored, django_capture_on_commit_callbacks
):
    SystemParameter.objects.create(key="core.export_sync_max_rows", value=0)
    client = staff_client(staff("mkt-east", EXPORT, regions=["east"]))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.get(reverse("member-rfm-export"), {"format": "csv"})
    assert response.status_code == 202
    job = client.get(response.json()["status_url"]).json()
    assert (job["status"], job["rows_done"]) == ("succeeded", 2)
    rows = _csv(client.get(job["download_url"]))
    assert sorted(row["phone"] for row in rows) == ["139****0001", "139****0002"]
    assert FileJob.objects.count() == 1


def test_the_export_needs_the_rfm_export_permission(staff_client, scored):
    response = staff_client(staff("reader", READ)).get(
        reverse("member-rfm-export"), {"format": "csv"}
    )
    assert response.status_code == 403
    assert not AuditEntry.objects.filter(action="data.export").exists()


def test_an_unknown_segment_is_a_400_and_an_empty_one_no_filter(staff_client, scored):
    client = staff_client(staff("reader", READ))
    bad = client.get(reverse("member-rfm-list"), {"segment": "vip"})
    assert bad.status_code == 400
    everyone = client.get(reverse("member-rfm-list"), {"segment": ""})
    assert everyone.status_code == 200 and len(everyone.json()["results"]) == 3


def test_the_list_filters_by_win_back_and_hides_other_regions(staff_client, scored):
    client = staff_client(staff("reader-east", READ, regions=["east"]))
    body = client.get(reverse("member-rfm-list"), {"win_back": "true"}).json()
    assert [(row["id"], row["segment"], row["is_win_back"]) for row in body["results"]] == [
        (scored["east_lapsed"].pk, RfmSegment.GENERAL_RETAIN, True)
    ]
    north = client.get(reverse("member-rfm-detail", args=[scored["north_best"].pk]))
    assert north.status_code == 404


def test_the_member_list_filters_by_segment_and_win_back(admin_client_for, scored):
    client = admin_client_for(staff("ops-reader", READ))
    url = reverse("admin:members_member_changelist")
    by_segment = client.get(url, {"rfm_segment": "important_value"})
    assert by_segment.status_code == 200
    shown = {member.pk for member in by_segment.context["cl"].result_list}
    assert shown == {scored["east_best"].pk, scored["north_best"].pk}
    win_back = client.get(url, {"rfm_win_back": "yes"})
    assert {m.pk for m in win_back.context["cl"].result_list} == {scored["east_lapsed"].pk}
    assert "rfm_segment" in by_segment.context["cl"].list_display


def test_the_member_list_shows_rfm_only_to_its_readers(admin_client_for, scored):
    client = admin_client_for(staff("cs", ["members.view_member"]))
    url = reverse("admin:members_member_changelist")
    page = client.get(url)
    assert page.status_code == 200
    assert "rfm_segment" not in page.context["cl"].list_display
    assert client.get(url, {"rfm_segment": "important_value"}).status_code == 400


def test_the_segment_chart_counts_members_in_the_readers_scope(scored):
    from members.selectors_rfm import rfm_segment_distribution

    east = dict(rfm_segment_distribution(actor=staff("east", READ, regions=["east"])))
    everyone = dict(rfm_segment_distribution(actor=staff("all", READ)))
    assert (east["important_value"], east["general_retain"]) == (1, 1)
    assert (everyone["important_value"], everyone["general_retain"]) == (2, 1)
    assert list(everyone) == list(RfmSegment.values)


def test_the_rfm_charts_show_only_to_readers_of_rfm(scored):
    reader = staff("mkt", READ)
    charts = {chart["key"]: chart for chart in workbench(actor=reader)["charts"]}
    assert not charts["members.rfm_segments"]["error"]
    data = json.loads(charts["members.rfm_segments"]["data"])
    assert data["datasets"][0]["data"][0] == 2  # important value, first of the eight
    assert not charts["members.levels"]["error"]
    others = {c["key"] for c in workbench(actor=staff("cs", ["members.view_member"]))["charts"]}
    assert "members.rfm_segments" not in others and "members.levels" not in others


def test_the_rfm_charts_read_in_chinese(scored):
    charts = {chart["key"]: chart for chart in workbench(actor=staff("mkt", READ))["charts"]}
    data = json.loads(charts["members.rfm_segments"]["data"])
    assert data["labels"][0] == "重要价值客户"
    assert charts["members.rfm_segments"]["title"] == "RFM 客户分层人数（最近一次夜间计算）"


def test_the_member_360_page_shows_the_rfm_section_to_its_readers(scored):
    from django.utils.translation import gettext

    from members.member_360 import member_360_sections

    member = scored["east_lapsed"]
    title = gettext("RFM (latest nightly run)")
    sections = member_360_sections(member=member, actor=staff("mkt", READ))
    rfm = [section for section in sections if section["title"] == title]
    assert len(rfm) == 1
    assert [cell["text"] for cell in rfm[0]["rows"][0]][2:6] == ["300", "1", "20.00", "3"]
    others = member_360_sections(member=member, actor=staff("cs", ["members.view_member"]))
    assert title not in [section["title"] for section in others]


def test_the_runs_show_read_only_to_holders_of_the_run_permission(admin_client_for, scored):
    url = reverse("admin:members_rfmrun_changelist")
    lead = admin_client_for(staff("lead", [*READ, "members.view_rfmrun"]))
    page = lead.get(url)
    assert page.status_code == 200
    assert [run.members_scored for run in page.context["cl"].result_list] == [3]
    assert not page.context["has_add_permission"]
    assert admin_client_for(staff("mkt", READ)).get(url).status_code == 403


def test_a_win_back_filter_other_than_true_or_false_is_a_400(staff_client, scored):
    client = staff_client(staff("reader", READ))
    assert client.get(reverse("member-rfm-list"), {"win_back": "maybe"}).status_code == 400
    assert client.get(reverse("member-rfm-list"), {"win_back": ""}).status_code == 200
