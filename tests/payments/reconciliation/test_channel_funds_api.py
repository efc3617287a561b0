"""``POST /api/v1/finance/channel-statements/``: status codes, the error shape, scope."""

from __future__ import annotations

import pytest

from payments.models import Reconciliation
from tests.payments.reconciliation.funds_support import (
    FIXTURES,
    PERIOD_END,
    PERIOD_START,
    finance_user,
    grant_channel,
    upload,
)

pytestmark = [
    pytest.mark.django_db,
]

URL = "/api/v1/finance/channel-statements/"


@pytest.fixture
def channel(make_channel):
    return make_channel("tm-api")


def _body(channel_id, name="good_bom_crlf.csv", **extra):
    return {
        "sales_channel": channel_id,
        "period_start": PERIOD_START.isoformat(),
        "period_end": PERIOD_END.isoformat(),
        "file": upload((FIXTURES / name).read_bytes(), name),
        **extra,
    }


def test_an_upload_answers_202_with_the_queued_run(
    make_staff, staff_client, channel, django_capture_on_commit_callbacks
):
    user = grant_channel(finance_user(make_staff), channel)
    with django_capture_on_commit_callbacks() as callbacks:
        response = staff_client(user).post(URL, _body(channel.pk), format="multipart")
    assert response.status_code == 202, response.content
    body = response.json()
    assert body == {"id": body["id"], "status": "queued"}
    run = Reconciliation.objects.get(pk=body["id"])
    assert run.kind == "channel_statement" and run.sales_channel_id == channel.pk
    assert len(callbacks) == 1


def test_a_channel_outside_the_scope_is_404_like_a_missing_one(
    make_staff, staff_client, channel, make_channel
):
    user = grant_channel(finance_user(make_staff), make_channel("other-api"))
    client = staff_client(user)
    hidden = client.post(URL, _body(channel.pk), format="multipart")
    missing = client.post(URL, _body(987654), format="multipart")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json()["error"]["code"] == missing.json()["error"]["code"]
    assert not Reconciliation.objects.exists()


def test_without_the_run_permission_the_upload_is_403(make_staff, staff_client, channel):
    user = grant_channel(make_staff("viewer", perms=("payments.view_reconciliation",)), channel)
    response = staff_client(user).post(URL, _body(channel.pk), format="multipart")
    assert response.status_code == 403
    assert not Reconciliation.objects.exists()


def test_bad_input_is_400_with_fields_never_500(make_staff, staff_client, channel):
    client = staff_client(grant_channel(finance_user(make_staff), channel))
    missing = client.post(URL, {"sales_channel": channel.pk}, format="multipart")
    assert missing.status_code == 400
    assert {"period_start", "period_end", "file"} <= set(missing.json()["error"]["fields"])
    reversed_period = client.post(
        URL,
        _body(channel.pk, period_start="2026-10-31", period_end="2026-10-01"),
        format="multipart",
    )
    assert (
        reversed_period.status_code == 400
        and "period_end" in reversed_period.json()["error"]["fields"]
    )
    too_long = client.post(URL, _body(channel.pk, period_start="2026-09-01"), format="multipart")
    assert too_long.status_code == 400 and "period_end" in too_long.json()["error"]["fields"]
    not_a_number = client.post(URL, _body("abc"), format="multipart")
    assert not_a_number.status_code == 400


def test_a_file_without_the_header_is_400_bill_malformed_naming_line_1(
    make_staff, staff_client, channel
):
    client = staff_client(grant_channel(finance_user(make_staff), channel))
    response = client.post(URL, _body(channel.pk, "missing_column.csv"), format="multipart")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "bill_malformed"
    assert "1" in error["message"]


def test_a_second_upload_while_one_is_queued_is_409(make_staff, staff_client, channel):
    client = staff_client(grant_channel(finance_user(make_staff), channel))
    assert client.post(URL, _body(channel.pk), format="multipart").status_code == 202
    second = client.post(URL, _body(channel.pk), format="multipart")
    assert second.status_code == 409
    assert second.json()["error"]["code"] == "reconciliation_running"


def test_reads_are_not_served_here(make_staff, staff_client, channel):
    client = staff_client(grant_channel(finance_user(make_staff), channel))
    assert client.get(URL).status_code in (403, 405)  # refused before the method is known


# --- the admin page 财务 → 上传渠道结算单 ------------------------------------------------------


def _page(client):
    from django.urls import reverse

    return client.get(reverse("admin:payments_channel_statement_upload"))


def test_the_admin_page_offers_only_the_channels_the_user_may_work_on(
    make_staff, admin_client_for, channel, make_channel
):
    hidden = make_channel("hidden-adm")
    user = grant_channel(finance_user(make_staff), channel)
    response = _page(admin_client_for(user))
    assert response.status_code == 200
    choices = {value for value, _label in response.context["form"].fields["sales_channel"].choices}
    assert channel.pk in {getattr(v, "value", v) for v in choices}
    assert hidden.pk not in {getattr(v, "value", v) for v in choices}
    assert hidden.name not in response.content.decode()


def test_the_admin_upload_starts_a_run_and_a_foreign_channel_is_refused(
    make_staff, admin_client_for, channel, make_channel
):
    from django.urls import reverse

    hidden = make_channel("hidden-adm2")
    user = grant_channel(finance_user(make_staff), channel)
    client = admin_client_for(user)
    url = reverse("admin:payments_channel_statement_upload")
    refused = client.post(url, _body(hidden.pk))
    assert refused.status_code == 200  # the form again, with the error on the channel
    assert "sales_channel" in refused.context["form"].errors
    assert not Reconciliation.objects.exists()
    bad_file = client.post(url, _body(channel.pk, "missing_column.csv"))
    assert bad_file.status_code == 200 and bad_file.context["form"].errors
    accepted = client.post(url, _body(channel.pk))
    assert accepted.status_code == 302
    run = Reconciliation.objects.get()
    assert run.sales_channel_id == channel.pk and run.requested_by_id == user.pk


def test_the_admin_page_and_its_sidebar_link_need_the_run_permission(
    make_staff, admin_client_for, channel
):
    from django.test import RequestFactory

    from mall.core.navigation import sidebar

    viewer = make_staff("viewer-adm", perms=("payments.view_reconciliation",))
    assert _page(admin_client_for(viewer)).status_code == 403
    finance = grant_channel(finance_user(make_staff), channel)

    def titles(user):
        request = RequestFactory().get("/admin/")
        request.user = user
        return {item["title"] for group in sidebar(request) for item in group["items"]}

    assert "Upload a channel statement" in titles(finance) or "上传渠道结算单" in titles(finance)
    assert not {"Upload a channel statement", "上传渠道结算单"} & titles(viewer)


def test_an_upload_overlapping_another_live_period_is_409_with_its_message(
    make_staff, staff_client, channel
):
    client = staff_client(grant_channel(finance_user(make_staff), channel))
    first = client.post(URL, _body(channel.pk), format="multipart")
    assert first.status_code == 202
    overlapping = client.post(URL, _body(channel.pk, period_start="2026-10-05"), format="multipart")
    assert overlapping.status_code == 409
    error = overlapping.json()["error"]
    assert error["code"] == "statement_period_overlaps"
    assert f"#{first.json()['id']}" in error["message"]
    assert Reconciliation.objects.count() == 1
