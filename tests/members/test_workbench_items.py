"""Workbench: the chart of new members per day, in the reader's scope, for readers of
members only."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from members import selectors
from members.models import Member
from ops.workbench import workbench

pytestmark = pytest.mark.django_db


def _reader(username, perms, regions=None):
    from mall.core.actors import system_actor
    from rbac import services
    from rbac.models import SalesRegion

    role = services.role_create(
        actor=system_actor(),
        code=f"role-{username}",
        name=username,
        scope_kind="regions" if regions else "all",
        regions=[SalesRegion.objects.get(code=code) for code in regions or []],
        permissions=perms,
    )
    user = get_user_model().objects.create_user(username, password="x-pass-123", is_staff=True)
    services.role_assign(actor=system_actor(), user=user, role=role)
    return get_user_model().objects.get(pk=user.pk)


def test_new_members_per_day_counts_the_last_14_days_in_scope(make_member):
    today = timezone.localdate()
    east = [make_member(province="上海") for _ in range(2)]
    make_member(province="北京")  # north
    old = make_member(province="上海")
    Member.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=20))
    Member.objects.filter(pk=east[0].pk).update(created_at=timezone.now() - timedelta(days=3))

    everyone = selectors.member_signups_per_day(actor=_reader("all", ["members.view_member"]))
    east_only = selectors.member_signups_per_day(
        actor=_reader("east", ["members.view_member"], regions=["east"])
    )

    assert len(everyone) == 14 and everyone[-1][0] == today
    assert everyone[0][0] == today - timedelta(days=13)
    assert dict(everyone)[today] == 2 and dict(everyone)[today - timedelta(days=3)] == 1
    assert sum(count for _day, count in everyone) == 3  # the 20-day-old member is out
    assert dict(east_only)[today] == 1 and sum(c for _d, c in east_only) == 2


def test_the_chart_shows_only_to_readers_of_members(make_member):
    make_member(province="上海")
    reader = _reader("cs", ["members.view_member"])
    stranger = _reader("wh", ["catalog.view_product"])

    charts = {chart["key"]: chart for chart in workbench(actor=reader)["charts"]}
    assert "members.new_per_day" in charts
    assert charts["members.new_per_day"]["title"] == "每日新增会员（近 14 天）"
    assert not charts["members.new_per_day"]["error"]
    data = json.loads(charts["members.new_per_day"]["data"])
    assert data["datasets"][0]["label"] == "新增会员" and data["datasets"][0]["data"][-1] == 1
    assert "members.new_per_day" not in {c["key"] for c in workbench(actor=stranger)["charts"]}
