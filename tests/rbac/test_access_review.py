"""The monthly access review: one line per staff account, an admin list, an Excel file."""

from __future__ import annotations

import io
from datetime import date

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from ops.models import AuditEntry
from rbac import services, tasks
from rbac.models import AccessReview, AccessReviewLine
from tests.scopetest.models import Site

from .conftest import fresh


@pytest.fixture
def staff(system, tree, make_user, make_role):
    east = make_user("ops_east", tree["ops_east"])
    services.role_assign(
        actor=system,
        user=east,
        role=make_role("order-ops-east", "regions", ["rbac.view_role"], region_codes=["east"]),
    )
    clerk = make_user("clerk", tree["ops"])
    services.role_assign(actor=system, user=clerk, role=make_role("clerk", "granted_objects"))
    site = Site.objects.create(code="WH-SH")
    services.object_permission_grant(actor=system, user=clerk, perm="scopetest.work_site", obj=site)
    auditor = make_user("auditor", tree["root"])
    services.role_assign(
        actor=system,
        user=auditor,
        role=make_role(
            "auditor",
            perms=[
                "rbac.view_accessreview",
                "rbac.add_accessreview",
                "rbac.sign_off_access_review",
            ],
        ),
    )
    return {"east": east, "clerk": clerk, "auditor": fresh(auditor)}


def test_the_monthly_job_lists_every_staff_account_with_roles_permissions_and_scope(staff):
    review = AccessReview.objects.get(pk=tasks.access_review_generate_task.apply().get())
    lines = {line.username: line for line in review.lines.all()}
    assert {"ops_east", "clerk", "auditor"} <= set(lines)
    east = lines["ops_east"]
    assert east.department == "华东运营组"
    assert [role["code"] for role in east.roles] == ["order-ops-east"]
    assert east.permissions == ["rbac.view_role"]
    assert east.scope == ["regions: east"]
    clerk = lines["clerk"]
    assert clerk.scope == ["granted_objects"]
    assert clerk.object_grants == [f"scopetest.work_site on site #{Site.objects.get().pk}"]
    assert AuditEntry.objects.filter(action="rbac.access_review_generate").count() == 1


def test_running_the_review_twice_in_a_month_changes_nothing(staff, system):
    first = services.access_review_generate(actor=system, period=date(2026, 11, 5))
    count = first.lines.count()
    second = services.access_review_generate(actor=system, period=date(2026, 11, 20))
    assert second.pk == first.pk
    assert AccessReviewLine.objects.filter(review=first).count() == count
    assert first.period == date(2026, 11, 1)


def test_the_review_downloads_as_excel_from_the_admin_and_is_audited(staff, system):
    review = services.access_review_generate(actor=system)
    client = Client()
    client.force_login(staff["auditor"])
    response = client.get(reverse("admin:rbac_accessreview_export", args=[review.pk]))
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    usernames = [row[0] for row in rows[1:]]
    assert "ops_east" in usernames
    east = rows[1 + usernames.index("ops_east")]
    assert "order-ops-east" in east[3]
    assert AuditEntry.objects.filter(
        action="data.export", object_type="rbac.accessreviewline"
    ).exists()


def test_the_admin_generates_and_signs_off_a_review(staff):
    client = Client()
    client.force_login(staff["auditor"])
    response = client.post(reverse("admin:rbac_accessreview_generate"))
    review = AccessReview.objects.get()
    assert response["Location"] == reverse("admin:rbac_accessreview_change", args=[review.pk])
    client.post(
        reverse("admin:rbac_accessreview_changelist"),
        {"action": "sign_off_selected", "_selected_action": [review.pk], "index": 0},
    )
    review.refresh_from_db()
    assert review.signed_off_by == staff["auditor"]


def test_staff_without_the_review_permission_cannot_download_it(staff, system, make_user, tree):
    review = services.access_review_generate(actor=system)
    client = Client()
    client.force_login(make_user("nosy", tree["ops"]))
    response = client.get(reverse("admin:rbac_accessreview_export", args=[review.pk]))
    assert response.status_code in (302, 403)
    assert not AuditEntry.objects.filter(action="data.export").exists()


def test_the_api_lists_review_lines_for_auditors(staff, system, staff_client):
    review = services.access_review_generate(actor=system)
    client = staff_client(staff["auditor"])
    body = client.get(reverse("rbac-access-review-lines", args=[review.pk])).json()
    assert "ops_east" in [line["username"] for line in body["results"]]
    download = client.get(
        reverse("rbac-access-review-download", args=[review.pk]), {"format": "csv"}
    )
    assert download.status_code == 200
    assert b"ops_east" in b"".join(download.streaming_content)


def test_department_scopes_are_described_by_department_name(system, tree, make_user, make_role):
    from rbac.scoping import scope_describe

    user = make_user("lead", tree["ops"])
    services.role_assign(actor=system, user=user, role=make_role("lead", "department_and_below"))
    assert scope_describe(fresh(user)) == ["department_and_below: 运营部"]
