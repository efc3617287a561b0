"""报表订阅 in the admin: a reader with scope "all" subscribes through the service; the
list shows only one's own subscriptions; a regional reader has no such screen."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from ops.models import AuditEntry
from ops.reports.exceptions import ReportNotFound
from ops.reports.models import ReportSubscription
from ops.reports.services import subscription_create, subscription_delete

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_scope_all_reader_subscribes_through_the_add_form(all_reader):
    response = _client(all_reader).post(
        reverse("admin:reports_reportsubscription_add"), {"kind": "weekly"}
    )

    assert response.status_code == 302
    assert list(all_reader.report_subscriptions.values_list("kind", flat=True)) == ["weekly"]
    assert AuditEntry.objects.filter(action="report.subscribe", actor=all_reader).count() == 1


def test_the_subscription_list_shows_only_the_readers_own(all_reader, make_staff):
    from tests.reports.conftest import _role_user

    other = _role_user(
        make_staff, "rep_other", scope_kind="all", permissions=["reports.view_report"]
    )
    mine = subscription_create(actor=all_reader, kind="daily")
    theirs = subscription_create(actor=other, kind="monthly")
    client = _client(all_reader)

    listed = client.get(reverse("admin:reports_reportsubscription_changelist"))
    foreign = client.get(reverse("admin:reports_reportsubscription_change", args=[theirs.pk]))

    assert listed.status_code == 200
    assert listed.context["cl"].result_count == 1
    assert list(listed.context["cl"].result_list) == [mine]
    assert foreign.status_code in (302, 404)
    with pytest.raises(ReportNotFound):
        subscription_delete(actor=all_reader, subscription=theirs)
    assert ReportSubscription.objects.filter(pk=theirs.pk).exists()


def test_a_regional_reader_has_no_subscription_screen(east_reader):
    client = _client(east_reader)

    assert client.get(reverse("admin:reports_reportsubscription_changelist")).status_code == 403
    assert (
        client.post(reverse("admin:reports_reportsubscription_add"), {"kind": "daily"}).status_code
        == 403
    )
    assert not ReportSubscription.objects.exists()


def test_unsubscribing_removes_the_row_and_is_audited(all_reader):
    subscription = subscription_create(actor=all_reader, kind="daily")

    subscription_delete(actor=all_reader, subscription=subscription)

    assert not ReportSubscription.objects.exists()
    assert AuditEntry.objects.filter(action="report.unsubscribe").count() == 1
