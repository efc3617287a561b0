"""Permission requests decided with buttons; the approvers' notices stay true.

rbac offers two hooks (``REQUEST_OPENED`` / ``REQUEST_CLOSED``) that ``ops`` provides:
the approvers get a notice about the request, resolved once it is decided.
"""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from mall.core.subjects import subject_key
from ops.models import StaffNotification
from ops.selectors import notification_unread_count
from rbac import services
from rbac.models import PermissionRequest
from tests.conftest import PASSWORD

from .conftest import fresh

pytestmark = pytest.mark.django_db


@pytest.fixture
def request_(people):
    return services.permission_request_create(
        actor=people["requester"], role=people["role"], reason="需要查看员工档案"
    )


def _client(user) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


def _url(item, button: str = "change") -> str:
    change = reverse("admin:rbac_permissionrequest_change", args=[item.pk])
    return change if button == "change" else change.removesuffix("change/") + button + "/"


def _open(user):
    return StaffNotification.objects.filter(recipient=user, resolved_at__isnull=True)


def test_the_head_and_the_tech_leads_are_told_never_the_requester_or_another_head(request_, people):
    for approver in ("head", "tech"):
        notice = _open(people[approver]).get()
        assert notice.subject_key == subject_key(request_)
        assert notice.kind == "rbac.permission_request_waiting"
    assert not _open(people["requester"]).exists()
    assert not _open(people["other_head"]).exists()


def test_the_buttons_follow_who_may_decide(request_, people):
    head_page = _client(people["head"]).get(_url(request_)).content.decode()
    assert "approve-button/" in head_page and "reject-button/" in head_page
    assert "cancel-button/" not in head_page
    own_page = _client(people["requester"]).get(_url(request_)).content.decode()
    assert "cancel-button/" in own_page and "approve-button/" not in own_page
    other = _client(people["other_head"]).post(
        _url(request_, "approve-button"), {"_form_submitted": "on"}
    )
    assert other.status_code in (403, 404)
    request_.refresh_from_db()
    assert request_.head_approver_id is None


def test_both_approvals_with_the_button_grant_the_role_and_resolve_the_notices(request_, people):
    _client(people["head"]).post(_url(request_, "approve-button"), {"_form_submitted": "on"})
    request_.refresh_from_db()
    assert request_.status == PermissionRequest.Status.PENDING
    assert _open(people["tech"]).exists()  # still waits for the tech lead
    assert not _open(people["head"]).exists()  # the head's part is done

    _client(people["tech"]).post(_url(request_, "approve-button"), {"_form_submitted": "on"})

    request_.refresh_from_db()
    assert request_.status == PermissionRequest.Status.APPROVED
    assert fresh(people["requester"]).groups.filter(role=people["role"]).exists()
    for approver in ("head", "tech"):
        assert not _open(people[approver]).exists()
        assert notification_unread_count(actor=people[approver]) == 0
    page = _client(people["head"]).get(_url(request_)).content.decode()
    assert "-button/" not in page and 'name="_save"' not in page  # decided: read-only


def test_rejecting_with_a_reason_resolves_the_notices(request_, people):
    client = _client(people["tech"])
    client.post(_url(request_, "reject-button"), {"_form_submitted": "on", "reason": ""})
    request_.refresh_from_db()
    assert request_.status == PermissionRequest.Status.PENDING

    client.post(_url(request_, "reject-button"), {"_form_submitted": "on", "reason": "职责不符"})

    request_.refresh_from_db()
    assert request_.status == PermissionRequest.Status.REJECTED
    assert request_.rejection_reason == "职责不符"
    assert not _open(people["head"]).exists() and not _open(people["tech"]).exists()


def test_withdrawing_resolves_the_notices(request_, people):
    _client(people["requester"]).post(_url(request_, "cancel-button"), {"_form_submitted": "on"})
    request_.refresh_from_db()
    assert request_.status == PermissionRequest.Status.CANCELLED
    assert not _open(people["head"]).exists()


def test_the_list_names_people_and_roles_not_codes(request_, people):
    page = _client(people["tech"]).get(reverse("admin:rbac_permissionrequest_changelist"))
    text = page.content.decode()
    assert people["role"].name in text
    assert f"{people['role'].name} ({people['role'].code})" not in text


def test_the_workbench_tile_counts_requests_this_reader_may_approve(request_, people):
    from ops.workbench import workbench

    def count(user):
        tiles = {tile["key"]: tile for tile in workbench(actor=user)["tiles"]}
        tile = tiles.get("rbac.permission_requests_awaiting")
        return None if tile is None else tile["count"]

    assert count(people["head"]) == 1 and count(people["tech"]) == 1
    assert count(people["requester"]) is None  # never one's own
    _client(people["head"]).post(_url(request_, "approve-button"), {"_form_submitted": "on"})
    assert count(people["head"]) is None and count(people["tech"]) == 1
