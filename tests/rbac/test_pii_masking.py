"""Personal data is masked unless the reader holds the PII permission; reveals are audited."""

from __future__ import annotations

import csv
import io

import pytest
from django.test import Client
from django.urls import reverse

from ops.models import AuditEntry
from rbac import services
from tests.scopetest.models import Ticket

from .conftest import fresh

pytestmark = pytest.mark.urls("tests.scopetest.urls")


@pytest.fixture
def ticket(regions):
    return Ticket.objects.create(
        title="call back", region=regions["east"], phone="13812345678", customer_name="张三丰"
    )


@pytest.fixture
def reader(system, tree, make_user, make_role):
    def make(name: str, *, pii: bool):
        perms = ["scopetest.view_ticket"] + (["scopetest.view_ticket_pii"] if pii else [])
        user = make_user(name, tree["ops"])
        services.role_assign(actor=system, user=user, role=make_role(f"r-{name}", "all", perms))
        return fresh(user)

    return make


def _reveals():
    return list(AuditEntry.objects.filter(action="pii.reveal").order_by("id"))


def test_the_api_masks_phone_and_name_without_the_pii_permission(reader, ticket, staff_client):
    client = staff_client(reader("agent", pii=False))
    body = client.get(reverse("scopetest-ticket-detail", args=[ticket.pk])).json()
    assert body["phone"] == "138****5678"
    assert body["customer_name"] == "张**"
    listed = client.get(reverse("scopetest-ticket-list")).json()["results"][0]
    assert listed["phone"] == "138****5678"
    assert _reveals() == []


def test_the_api_shows_personal_data_to_holders_and_audits_who_which_and_why(
    reader, ticket, staff_client
):
    user = reader("lead", pii=True)
    client = staff_client(user)
    response = client.get(
        reverse("scopetest-ticket-detail", args=[ticket.pk]),
        HTTP_X_PII_REASON="customer called about a delivery",
    )
    assert response.json()["phone"] == "13812345678"
    [entry] = _reveals()
    assert entry.actor_id == user.pk
    assert entry.object_type == "scopetest.ticket"
    assert entry.object_id == str(ticket.pk)
    assert entry.data["records"] == [str(ticket.pk)]
    assert set(entry.data["fields"]) == {"phone", "customer_name"}
    assert entry.data["reason"] == "customer called about a delivery"


def test_one_list_page_is_one_reveal_entry_naming_every_record(reader, regions, staff_client):
    rows = [
        Ticket.objects.create(title=f"t{i}", region=regions["east"], phone=f"1380000000{i}")
        for i in range(3)
    ]
    staff_client(reader("lead", pii=True)).get(reverse("scopetest-ticket-list"))
    [entry] = _reveals()
    assert sorted(entry.data["records"]) == sorted(str(row.pk) for row in rows)


def test_the_export_masks_and_audits_like_the_screen(reader, ticket, staff_client):
    url = reverse("scopetest-ticket-export")
    masked = staff_client(reader("agent", pii=False)).get(url, {"format": "csv", "region": "x"})
    rows = list(csv.DictReader(io.StringIO(b"".join(masked.streaming_content).decode("utf-8-sig"))))
    assert rows[0]["phone"] == "138****5678"
    export = AuditEntry.objects.get(action="data.export")
    assert export.data["rows"] == 1
    assert export.data["filters"] == {"region": "x"}
    assert _reveals() == []

    shown = staff_client(reader("lead", pii=True)).get(url, {"format": "csv"})
    rows = list(csv.DictReader(io.StringIO(b"".join(shown.streaming_content).decode("utf-8-sig"))))
    assert rows[0]["phone"] == "13812345678"
    [entry] = _reveals()
    assert entry.data["context"].startswith("export")


def test_the_xlsx_export_is_masked_too(reader, ticket, staff_client):
    from openpyxl import load_workbook

    response = staff_client(reader("agent", pii=False)).get(
        reverse("scopetest-ticket-export"), {"format": "xlsx"}
    )
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert values[0] == ["id", "title", "region", "phone", "customer"]
    assert values[1][3] == "138****5678"


def test_an_unknown_export_format_is_a_400_not_a_500(reader, ticket, staff_client):
    response = staff_client(reader("agent", pii=False)).get(
        reverse("scopetest-ticket-export"), {"format": "pdf"}
    )
    assert response.status_code in (400, 404)
    assert "error" in response.json()


def test_the_admin_changelist_masks_without_the_permission(reader, ticket):
    client = Client()
    client.force_login(reader("agent", pii=False))
    html = client.get(reverse("admin:scopetest_ticket_changelist")).content.decode()
    assert "138****5678" in html
    assert "13812345678" not in html
    change = client.get(reverse("admin:scopetest_ticket_change", args=[ticket.pk]))
    assert "13812345678" not in change.content.decode()
    assert "138****5678" in change.content.decode()
    assert _reveals() == []


def test_the_admin_shows_and_audits_for_pii_holders(reader, ticket):
    client = Client()
    user = reader("lead", pii=True)
    client.force_login(user)
    html = client.get(reverse("admin:scopetest_ticket_changelist")).content.decode()
    assert "13812345678" in html
    [entry] = _reveals()
    assert entry.actor_id == user.pk
    assert entry.data["records"] == [str(ticket.pk)]
    client.get(reverse("admin:scopetest_ticket_change", args=[ticket.pk]))
    assert len(_reveals()) == 2


# --- staff personal data in the admin ------------------------------------------------------


@pytest.fixture
def hr_without_pii(system, tree, make_user, make_role):
    role = make_role(
        "hr-clerk",
        "all",
        perms=[
            "rbac.view_staffprofile",
            "rbac.change_staffprofile",
            "auth.view_user",
            "auth.change_user",
        ],
    )
    hr = make_user("hr", tree["root"])
    services.role_assign(actor=system, user=hr, role=role)
    return fresh(hr)


def test_the_staff_admin_masks_phone_and_names_without_the_pii_permission(
    hr_without_pii, tree, make_user
):
    target = make_user(
        "wangfang", tree["ops"], phone="13912345678", first_name="芳", last_name="王"
    )
    client = Client()
    client.force_login(hr_without_pii)
    profile_page = client.get(
        reverse("admin:rbac_staffprofile_change", args=[target.staff_profile.pk])
    ).content.decode()
    assert "13912345678" not in profile_page
    assert "139****5678" in profile_page
    user_list = client.get(reverse("admin:auth_user_changelist")).content.decode()
    user_page = client.get(reverse("admin:auth_user_change", args=[target.pk])).content.decode()
    for page in (user_list, user_page):
        assert "王" not in page and "芳" not in page
    # names cannot be probed by searching either
    found = client.get(reverse("admin:auth_user_changelist"), {"q": "王"}).content.decode()
    assert "wangfang" not in found
    found = client.get(reverse("admin:rbac_staffprofile_changelist"), {"q": "芳"}).content.decode()
    assert "wangfang" not in found


def test_masked_staff_can_still_be_edited_without_wiping_the_phone(hr_without_pii, tree, make_user):
    target = make_user("wangfang", tree["ops"], phone="13912345678")
    profile = target.staff_profile
    client = Client()
    client.force_login(hr_without_pii)
    response = client.post(
        reverse("admin:rbac_staffprofile_change", args=[profile.pk]),
        {
            "employee_number": profile.employee_number,
            "department": tree["ops_east"].pk,
            "joined_on": profile.joined_on.isoformat(),
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    profile.refresh_from_db()
    assert profile.department == tree["ops_east"]
    assert profile.phone == "13912345678"
