"""Every members list endpoint keeps its query count whatever the number of rows."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from members.models import Member


@pytest.fixture
def rows(superuser, make_member):
    from members.services import (
        address_create,
        coupon_issue,
        coupon_template_create,
        growth_record,
        points_earn,
    )

    owner = make_member(province="上海")
    counter = iter(range(1000))

    def add(count: int) -> None:
        for _ in range(count):
            index = next(counter)
            template = coupon_template_create(
                actor=superuser,
                name=f"券{index}",
                kind="free_shipping",
                validity="days",
                valid_days=7,
                total_stock=100,
            )
            coupon_issue(member=owner, template=template, source="grant", actor=superuser)
            points_earn(actor=owner, member=owner, reason="share", reference=f"q{index}", points=5)
            growth_record(
                actor=owner, member=owner, reason="adjustment", reference=f"q{index}", amount=5
            )
            address_create(
                actor=owner,
                member=owner,
                name="张三",
                phone="13911110000",
                province="北京",
                city="市",
                detail=f"路 {index} 号",
            )
            make_member(province="广东")

    return owner, add


STAFF_URLS = [
    "/api/v1/members/",
    "/api/v1/members/addresses/",
    "/api/v1/members/coupon-templates/",
    "/api/v1/members/levels/",
    "/api/v1/members/{owner}/addresses/",
    "/api/v1/members/{owner}/points/",
    "/api/v1/members/{owner}/growth/",
    "/api/v1/members/{owner}/coupons/",
    "/api/v1/members/export/?format=csv",
    "/api/v1/members/addresses/export/?format=csv",
]
STORE_URLS = [
    "/api/v1/store/me/",
    "/api/v1/store/me/points/",
    "/api/v1/store/me/coupons/",
    "/api/v1/store/me/addresses/",
    "/api/v1/store/coupons/",
]


def _count(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
        assert response.status_code == 200, (url, response.content[:300])
        if hasattr(response, "streaming_content"):
            b"".join(response.streaming_content)
    return len(captured.captured_queries)


@pytest.mark.parametrize("url", STAFF_URLS)
def test_staff_lists_keep_their_query_count(url, rows, staff_client, superuser):
    owner, add = rows
    client = staff_client(superuser)
    url = url.format(owner=owner.pk)
    add(1)
    _count(client, url)  # warm caches (parameters, content types)
    few = _count(client, url)
    add(5)
    assert _count(client, url) <= few
    assert Member.objects.count() >= 7


@pytest.mark.parametrize("url", STORE_URLS)
def test_storefront_lists_keep_their_query_count(url, rows, member_client):
    owner, add = rows
    client = member_client(owner)
    add(1)
    _count(client, url)
    few = _count(client, url)
    add(5)
    assert _count(client, url) <= few


@pytest.mark.parametrize(
    "url_name",
    [
        "admin:members_growthentry_changelist",
        "admin:members_pointsentry_changelist",
        "admin:members_pointslot_changelist",
        "admin:members_coupon_changelist",
        "admin:members_levelchange_changelist",
        "admin:members_notification_changelist",
        "admin:members_member_changelist",
        "admin:members_address_changelist",
        "admin:members_coupontemplate_changelist",
        "admin:members_level_changelist",
    ],
)
def test_ledger_changelists_run_a_constant_number_of_queries(
    url_name, admin_client_for, superuser, make_member, django_assert_max_num_queries
):
    from members.services import (
        coupon_issue,
        coupon_template_create,
        growth_record,
        notification_enqueue,
        points_earn,
    )

    template = coupon_template_create(
        actor=superuser,
        name="券",
        kind="free_shipping",
        validity="days",
        valid_days=7,
        total_stock=100,
    )

    def rows(count):
        for _ in range(count):
            member = make_member(province="上海")
            coupon_template_create(
                actor=superuser,
                name=f"券{member.pk}",
                kind="free_shipping",
                validity="days",
                valid_days=7,
                total_stock=100,
            )
            points_earn(
                actor=member, member=member, reason="share", reference=f"s{member.pk}", points=5
            )
            growth_record(
                actor=member,
                member=member,
                reason="adjustment",
                reference=f"g{member.pk}",
                amount=600,
            )
            coupon_issue(member=member, template=template, source="grant", actor=superuser)
            notification_enqueue(
                actor=member, member=member, kind="benefit", channel="in_app", payload={}
            )

    client = admin_client_for(superuser)
    rows(2)
    client.get(reverse(url_name))  # warm caches (content types, sessions)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        assert client.get(reverse(url_name)).status_code == 200
    rows(6)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(reverse(url_name)).status_code == 200
