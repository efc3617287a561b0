"""A ``pii.reveal`` entry is written before the first byte of unmasked data is sent; if
it cannot be written, nothing is sent (API, streamed CSV, xlsx, kernel admin)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

import mall.core.audit
from ops.models import AuditEntry
from rbac import services
from tests.scopetest.models import Ticket

from .conftest import fresh

pytestmark = pytest.mark.urls("tests.scopetest.urls")

PHONE = "13812345678"


@pytest.fixture
def ticket(regions):
    return Ticket.objects.create(
        title="call back", region=regions["east"], phone=PHONE, customer_name="张三丰"
    )


@pytest.fixture
def lead(system, tree, make_user, make_role):
    perms = ["scopetest.view_ticket", "scopetest.view_ticket_pii"]
    user = make_user("lead", tree["ops"])
    services.role_assign(actor=system, user=user, role=make_role("r-lead", "all", perms))
    return fresh(user)


@pytest.fixture
def reveal_audit_fails(monkeypatch):
    recorder = mall.core.audit._recorder

    def failing(**kwargs):
        if kwargs["action"] == "pii.reveal":
            raise RuntimeError("audit log unavailable")
        return recorder(**kwargs)

    monkeypatch.setattr(mall.core.audit, "_recorder", failing)


def _api(user) -> APIClient:
    client = APIClient(raise_request_exception=False)
    client.force_authenticate(user=user)
    return client


def test_the_csv_export_records_the_reveal_before_the_first_row_is_sent(lead, ticket):
    response = _api(lead).get(
        reverse("scopetest-ticket-export"), {"format": "csv"}, HTTP_X_PII_REASON="refund 7"
    )
    assert response.status_code == 200
    # Nothing of the body has been produced yet, and the reveal is already on record.
    [entry] = AuditEntry.objects.filter(action="pii.reveal")
    assert entry.data["records"] == [str(ticket.pk)]
    assert entry.data["reason"] == "refund 7"
    assert {"phone", "customer_name"} <= set(entry.data["fields"])
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    assert PHONE in body
    assert AuditEntry.objects.filter(action="pii.reveal").count() == 1


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_an_export_whose_reveal_cannot_be_recorded_sends_nothing(
    lead, ticket, reveal_audit_fails, fmt
):
    response = _api(lead).get(reverse("scopetest-ticket-export"), {"format": fmt})
    assert response.status_code == 500
    content = (
        b"".join(response.streaming_content) if response.streaming else response.content
    ).decode("utf-8", "replace")
    assert PHONE not in content


def test_an_api_read_whose_reveal_cannot_be_recorded_sends_nothing(
    lead, ticket, reveal_audit_fails
):
    response = _api(lead).get(reverse("scopetest-ticket-detail", args=[ticket.pk]))
    assert response.status_code == 500
    assert PHONE not in response.content.decode()


@pytest.mark.parametrize("page", ["changelist", "change"])
def test_an_admin_page_whose_reveal_cannot_be_recorded_sends_nothing(
    lead, ticket, reveal_audit_fails, page
):
    client = Client(raise_request_exception=False)
    client.force_login(lead)
    args = [ticket.pk] if page == "change" else []
    response = client.get(reverse(f"admin:scopetest_ticket_{page}", args=args))
    assert response.status_code == 500
    assert PHONE not in response.content.decode()
