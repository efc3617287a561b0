"""Workflow buttons (``mall.core.admin.workflow_action``) and read-only pages by state.

A button shows only to readers who may take the step on this object in its state;
pressing it opens a dialog (GET changes nothing); only the dialog's POST calls the
service; a refusal is shown in the dialog with nothing written; an object that cannot
be edited in its state opens read-only.
"""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from ops.models import AuditEntry
from rbac.models import SalesRegion
from tests.conftest import PASSWORD
from tests.scopetest.models import Ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def ticket():
    region = SalesRegion.objects.order_by("pk").first() or SalesRegion.objects.create(
        code="east", name="华东"
    )
    return Ticket.objects.create(title="Broken kettle", region=region)


def _client(user) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


def _urls(ticket):
    change = reverse("admin:scopetest_ticket_change", args=[ticket.pk])
    base = change.removesuffix("change/")
    return change, f"{base}close-button/", f"{base}reopen-button/"


def test_the_button_shows_while_the_step_applies_and_get_only_opens_the_dialog(superuser, ticket):
    client = _client(superuser)
    change, close, _reopen = _urls(ticket)

    page = client.get(change).content.decode()
    assert "close-button/" in page and "reopen-button/" not in page

    dialog = client.get(close)
    assert dialog.status_code == 200
    assert "Close this ticket?" in dialog.content.decode()
    ticket.refresh_from_db()
    assert ticket.is_closed is False, "a GET never takes the step"


def test_posting_the_dialog_calls_the_service_audits_and_returns_to_the_object(superuser, ticket):
    client = _client(superuser)
    change, close, _reopen = _urls(ticket)

    response = client.post(close, {"_form_submitted": "on"})

    assert response.status_code == 302 and response["Location"] == change
    ticket.refresh_from_db()
    assert ticket.is_closed is True
    assert AuditEntry.objects.filter(action="scopetest.ticket_close").count() == 1


def test_an_htmx_dialog_post_is_told_where_to_go(superuser, ticket):
    client = _client(superuser)
    change, close, _reopen = _urls(ticket)

    response = client.post(close, {"_form_submitted": "on"}, HTTP_HX_REQUEST="true")

    assert response.status_code == 204 and response["HX-Redirect"] == change


def test_a_step_that_no_longer_applies_is_refused_and_hidden(superuser, ticket):
    client = _client(superuser)
    change, close, _reopen = _urls(ticket)
    client.post(close, {"_form_submitted": "on"})

    assert client.post(close, {"_form_submitted": "on"}).status_code == 403
    page = client.get(change).content.decode()
    assert "close-button/" not in page and "reopen-button/" in page
    assert AuditEntry.objects.filter(action="scopetest.ticket_close").count() == 1


def test_without_the_permission_there_is_no_button_and_no_step(make_staff, ticket):
    viewer = make_staff("viewer", perms=("scopetest.view_ticket",), superuser=False)
    Ticket.objects.filter(pk=ticket.pk).update(owner=viewer)  # in the viewer's own scope
    client = _client(viewer)
    change, close, _reopen = _urls(ticket)

    response = client.post(close, {"_form_submitted": "on"})

    assert response.status_code in (403, 404)
    ticket.refresh_from_db()
    assert ticket.is_closed is False
    page = client.get(change)
    assert page.status_code in (200, 302)
    assert "close-button/" not in page.content.decode()


def test_a_reason_is_required_and_a_service_refusal_writes_nothing(superuser, ticket):
    client = _client(superuser)
    _change, close, reopen = _urls(ticket)
    client.post(close, {"_form_submitted": "on"})

    empty = client.post(reopen, {"_form_submitted": "on", "reason": "   "})
    assert empty.status_code == 200
    ticket.refresh_from_db()
    assert ticket.is_closed is True

    refused = client.post(reopen, {"_form_submitted": "on", "reason": "please refuse"})
    assert refused.status_code == 200
    assert "Refused by the service." in refused.content.decode()
    ticket.refresh_from_db()
    assert ticket.is_closed is True, "the refused step was rolled back"
    assert not AuditEntry.objects.filter(action="scopetest.ticket_reopen").exists()

    done = client.post(reopen, {"_form_submitted": "on", "reason": "customer wrote again"})
    assert done.status_code == 302
    ticket.refresh_from_db()
    assert ticket.is_closed is False
    entry = AuditEntry.objects.get(action="scopetest.ticket_reopen")
    assert entry.data["reason"] == "customer wrote again"


def test_an_object_that_cannot_be_edited_in_its_state_opens_read_only(superuser, ticket):
    client = _client(superuser)
    change, close, _reopen = _urls(ticket)
    assert 'name="title"' in client.get(change).content.decode()

    client.post(close, {"_form_submitted": "on"})

    page = client.get(change).content.decode()
    assert 'name="title"' not in page and "Broken kettle" in page
    assert client.post(change, {"title": "changed"}).status_code == 403
