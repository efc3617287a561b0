"""Members changelist on a table that grows without bound: no COUNT(*) over the table,
still scoped, and the count a regional viewer sees never exceeds the rows in their scope.

On SQLite the count is exact; on PostgreSQL the superuser's unfiltered list shows the
table estimate (约 N) and everything scoped or filtered a capped count (超过 N)."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.urls import reverse

from mall.core import counts
from mall.core.actors import system_actor
from members.models import Member
from rbac import services as rbac_services
from rbac.models import SalesRegion, ScopeKind

IS_POSTGRES = connection.vendor == "postgresql"


@pytest.fixture
def east_viewer(db):
    role = rbac_services.role_create(
        actor=system_actor(),
        code="cs-east",
        name="华东客服",
        scope_kind=ScopeKind.REGIONS,
        regions=[SalesRegion.objects.get(code="east")],
        permissions=["members.view_member"],
    )
    user = get_user_model().objects.create_user("east_cs", password="x-pass-123", is_staff=True)
    rbac_services.role_assign(actor=system_actor(), user=user, role=role)
    return get_user_model().objects.get(pk=user.pk)


@pytest.fixture
def members_in_two_regions(make_member):
    east = [make_member(province="上海") for _ in range(4)]
    north = [make_member(province="北京") for _ in range(6)]
    if IS_POSTGRES:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE members_member")  # the statistics autovacuum keeps
    return east, north


def _changelist(user, query: str = ""):
    client = Client()
    client.force_login(user)
    response = client.get(reverse("admin:members_member_changelist") + query)
    assert response.status_code == 200
    return response


def test_a_regional_viewer_counts_only_members_in_their_region(east_viewer, members_in_two_regions):
    east, _north = members_in_two_regions
    cl = _changelist(east_viewer).context["cl"]
    assert {member.pk for member in cl.result_list} == {member.pk for member in east}
    assert cl.result_count == len(east)
    assert cl.paginator.count_label == ""  # exact: 4 rows, under the cap


def test_past_the_cap_a_regional_viewer_reads_more_than_never_the_table_estimate(
    east_viewer, members_in_two_regions, monkeypatch
):
    east, _north = members_in_two_regions
    monkeypatch.setattr(counts, "COUNT_CAP", 3)
    response = _changelist(east_viewer)
    cl = response.context["cl"]
    html = response.content.decode()
    assert {member.pk for member in cl.result_list} <= {member.pk for member in east}
    assert cl.result_count <= len(east)  # never the 10 rows of the whole table
    assert "约" not in html
    if IS_POSTGRES:
        assert cl.paginator.count_label == "超过 3"
        assert "超过 3 会员" in html
    else:
        assert cl.result_count == len(east)


def test_the_superusers_unfiltered_list_reads_the_table_estimate(
    superuser, members_in_two_regions, monkeypatch
):
    monkeypatch.setattr(counts, "COUNT_CAP", 3)
    response = _changelist(superuser)
    cl = response.context["cl"]
    assert len(cl.result_list) == Member.objects.count() == 10
    if IS_POSTGRES:
        assert cl.paginator.count_label == "约 10"
        assert "约 10 会员" in response.content.decode()
    else:
        assert cl.result_count == 10


def test_a_filtered_list_is_counted_over_the_filter_not_the_table(
    superuser, members_in_two_regions, monkeypatch
):
    east, _north = members_in_two_regions
    monkeypatch.setattr(counts, "COUNT_CAP", 3)
    region = SalesRegion.objects.get(code="east")
    cl = _changelist(superuser, f"?region__id__exact={region.pk}").context["cl"]
    assert {member.pk for member in cl.result_list} == {member.pk for member in east}
    assert cl.result_count <= len(east)
    assert cl.paginator.count_label == ("超过 3" if IS_POSTGRES else "")
