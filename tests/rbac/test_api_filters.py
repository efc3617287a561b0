"""List filters on the API: validated (400, never a 500 or a silent "no filter") and scoped."""

from __future__ import annotations

import pytest
from django.test import override_settings
from django.urls import clear_url_caches

from tests.scopetest.models import Site

from .conftest import ticket_in


@pytest.fixture
def scopetest_urls():
    with override_settings(ROOT_URLCONF="tests.scopetest.urls"):
        clear_url_caches()
        yield
    clear_url_caches()


def test_filtering_on_a_related_row_outside_scope_answers_like_a_missing_one(
    east_clerk, regions, staff_client, scopetest_urls
):
    hidden = Site.objects.create(code="WH-BJ")
    ticket_in("secret-north", regions["north"], site=hidden)
    ticket_in("inside-east", regions["east"])
    client = staff_client(east_clerk)
    url = "/api/v1/scopetest/tickets/"
    hidden_answer = client.get(url, {"site": hidden.pk})
    missing_answer = client.get(url, {"site": hidden.pk + 1000})
    assert missing_answer.status_code == 400
    assert hidden_answer.status_code == missing_answer.status_code
    assert hidden_answer.json()["error"]["code"] == missing_answer.json()["error"]["code"]


def test_list_filters_refuse_values_outside_their_schema(superuser, staff_client, tree, make_user):
    make_user("active_one", tree["ops"])
    client = staff_client(superuser)
    assert client.get("/api/v1/rbac/staff/", {"is_active": "null"}).status_code == 400
    assert client.get("/api/v1/rbac/roles/", {"is_active": "maybe"}).status_code == 400
    listed = client.get("/api/v1/rbac/staff/", {"is_active": "true"})
    assert [row["username"] for row in listed.json()["results"]] == ["active_one"]
    assert not client.get("/api/v1/rbac/staff/", {"is_active": "false"}).json()["results"]
    awaiting = client.get("/api/v1/rbac/permission-requests/awaiting-me/", {"status": "AAA"})
    assert awaiting.status_code == 400
    assert awaiting.json()["error"]["code"]
