"""Every members list endpoint keeps its query count whatever the number of rows."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

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
            points_earn(member=owner, reason="share", reference=f"q{index}", points=5)
            growth_record(member=owner, reason="adjustment", reference=f"q{index}", amount=5)
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
