"""Parameter change requests decided with buttons; their notices stay true.

Approvers get a notice about the request (``subject`` = the request); it leaves every
inbox's open work when the request is applied, rejected or withdrawn; the inbox shows
open work by default, and a notice can be marked done by hand.
"""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from mall.core.subjects import subject_key
from ops.models import AuditEntry, ParameterChangeRequest, StaffNotification
from ops.selectors import notification_unread_count
from ops.services.parameters import WAITING_KIND, parameter_change_request
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

KEY = "sla.order_review_minutes"
VIEW = ("ops.view_parameterchangerequest",)


@pytest.fixture
def requester(make_staff):
    return make_staff("requester", perms=(*VIEW, "ops.add_parameterchangerequest"))


@pytest.fixture
def business(make_staff):
    return make_staff("business_owner", perms=(*VIEW, "ops.approve_parameter_change"))


@pytest.fixture
def tech(make_staff):
    return make_staff("tech_person", perms=(*VIEW, "ops.approve_parameter_change_tech"))


@pytest.fixture
def bystander(make_staff):
    return make_staff("bystander", perms=VIEW)


@pytest.fixture
def pending(requester, business, tech, bystander):
    return parameter_change_request(actor=requester, key=KEY, new_value=25, reason="大促")


def _client(user) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


def _button(change, name: str) -> str:
    base = reverse("admin:ops_parameterchangerequest_change", args=[change.pk])
    return base.removesuffix("change/") + name.replace("_", "-") + "/"


def _open_notices(user):
    return StaffNotification.objects.filter(recipient=user, resolved_at__isnull=True)


def test_the_approvers_get_a_notice_about_the_request_and_nobody_else(
    pending, requester, business, tech, bystander
):
    for approver in (business, tech):
        notice = _open_notices(approver).get()
        assert notice.kind == WAITING_KIND and notice.subject_key == subject_key(pending)
        assert notification_unread_count(actor=approver) == 1
    assert not _open_notices(requester).exists()
    assert not _open_notices(bystander).exists()


def test_each_reader_sees_only_the_buttons_they_may_press_on_a_read_only_page(
    pending, requester, business, tech, bystander
):
    change_url = reverse("admin:ops_parameterchangerequest_change", args=[pending.pk])
    pages = {user.username: _client(user).get(change_url) for user in (requester, business, tech)}
    for response in pages.values():
        assert response.status_code == 200
        assert 'name="_save"' not in response.content.decode()  # nothing to edit
    mine = pages["requester"].content.decode()
    assert "withdraw-button/" in mine
    assert "approve-business-button/" not in mine and "reject-button/" not in mine
    owner = pages["business_owner"].content.decode()
    assert "approve-business-button/" in owner and "reject-button/" in owner
    assert "approve-tech-button/" not in owner and "withdraw-button/" not in owner
    lead = pages["tech_person"].content.decode()
    assert "approve-tech-button/" in lead and "approve-business-button/" not in lead
    # the bystander may read the request but presses nothing
    response = _client(bystander).post(
        _button(pending, "approve_tech_button"), {"_form_submitted": "on"}
    )
    assert response.status_code == 403


def test_two_approvals_with_the_buttons_apply_the_change_and_resolve_every_notice(
    pending, business, tech
):
    response = _client(tech).post(
        _button(pending, "approve_tech_button"), {"_form_submitted": "on"}
    )
    assert response.status_code == 302
    pending.refresh_from_db()
    assert pending.status == ParameterChangeRequest.Status.PENDING and pending.tech_approver == tech
    assert _open_notices(business).exists()  # still waits for the business owner
    assert not _open_notices(tech).exists()  # the tech lead's part is done

    _client(business).post(_button(pending, "approve_business_button"), {"_form_submitted": "on"})

    pending.refresh_from_db()
    assert pending.status == ParameterChangeRequest.Status.APPLIED
    for approver in (business, tech):
        assert not _open_notices(approver).exists()
        assert notification_unread_count(actor=approver) == 0
    assert AuditEntry.objects.filter(action="notification.resolve").count() == 2
    # decided: no button is left on the page
    page = _client(business).get(
        reverse("admin:ops_parameterchangerequest_change", args=[pending.pk])
    )
    assert "-button/" not in page.content.decode()


def test_rejecting_needs_a_reason_and_resolves_the_notices(pending, business, tech):
    client = _client(tech)
    refused = client.post(
        _button(pending, "reject_button"), {"_form_submitted": "on", "reason": " "}
    )
    assert refused.status_code == 200  # the dialog again, with the error
    pending.refresh_from_db()
    assert pending.status == ParameterChangeRequest.Status.PENDING
    assert _open_notices(business).exists()

    client.post(_button(pending, "reject_button"), {"_form_submitted": "on", "reason": "影响大促"})

    pending.refresh_from_db()
    assert pending.status == ParameterChangeRequest.Status.REJECTED
    assert pending.rejection_reason == "影响大促"
    assert not _open_notices(business).exists() and not _open_notices(tech).exists()


def test_withdrawing_resolves_the_notices(pending, requester, business):
    _client(requester).post(_button(pending, "withdraw_button"), {"_form_submitted": "on"})
    pending.refresh_from_db()
    assert pending.status == ParameterChangeRequest.Status.WITHDRAWN
    assert not _open_notices(business).exists()


def test_the_inbox_shows_open_work_by_default_and_everything_under_all(pending, business, tech):
    client = _client(business)
    inbox = reverse("admin:ops_staffnotification_changelist")
    assert client.get(inbox).context["cl"].result_count == 1
    _client(tech).post(
        _button(pending, "reject_button"), {"_form_submitted": "on", "reason": "不需要"}
    )

    assert client.get(inbox).context["cl"].result_count == 0
    everything = client.get(inbox, {"state": "all"})
    assert everything.context["cl"].result_count == 1
    page = everything.content.decode()
    assert "参数变更待审批" in page and "已处理" in page  # kind and state in words


def test_a_notice_is_marked_done_with_its_button(pending, business):
    notice = _open_notices(business).get()
    client = _client(business)
    url = reverse("admin:ops_staffnotification_change", args=[notice.pk])
    assert "resolve-button/" in client.get(url).content.decode()

    client.post(url.removesuffix("change/") + "resolve-button/", {"_form_submitted": "on"})

    notice.refresh_from_db()
    assert notice.resolved_at is not None and notice.read_at is not None
    assert notification_unread_count(actor=business) == 0
    assert "resolve-button/" not in client.get(url).content.decode()


def test_nobody_marks_another_persons_notice_done(pending, business, tech):
    notice = _open_notices(business).get()
    url = reverse("admin:ops_staffnotification_change", args=[notice.pk])
    response = _client(tech).post(
        url.removesuffix("change/") + "resolve-button/", {"_form_submitted": "on"}
    )
    assert response.status_code == 404
    notice.refresh_from_db()
    assert notice.resolved_at is None
