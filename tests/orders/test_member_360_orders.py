"""Orders' sections on the member 360° page: scoped, labelled, linked, permission-gated."""

from __future__ import annotations

import pytest
from django.urls import reverse

from members.member_360 import member_360_sections

pytestmark = pytest.mark.django_db


@pytest.fixture
def east_cs(make_staff):
    from mall.core.actors import system_actor
    from rbac import services as rbac_services
    from rbac.models import SalesRegion, ScopeKind

    user = make_staff("cs_east")
    role = rbac_services.role_create(
        actor=system_actor(),
        code="cs_east_t",
        name="华东客服",
        scope_kind=ScopeKind.REGIONS,
        permissions=["orders.view_order", "orders.view_aftersale", "members.view_member"],
        regions=list(SalesRegion.objects.filter(code="east")),
    )
    rbac_services.role_assign(actor=system_actor(), user=user, role=role)
    return type(user).objects.get(pk=user.pk)


def _section(sections, title):
    return next(section for section in sections if section["title"] == title)


def test_recent_orders_show_the_readers_orders_of_the_member_by_label_with_links(
    east_cs, make_member, make_order, stocked_sku
):
    member = make_member()
    east = make_order(member, [(stocked_sku(), 1)], status="pending_review")
    make_order(member, [(stocked_sku(where=("WH-BJ",)), 1)], province_name="北京")
    make_order(make_member(), [(stocked_sku(), 1)])  # another member's

    sections = member_360_sections(member=member, actor=east_cs)
    orders = _section(sections, "最近订单")

    assert len(orders["rows"]) == 1
    first = orders["rows"][0]
    assert first[0]["text"] == east.order_no
    assert first[0]["link"] == reverse("admin:orders_order_change", args=[east.pk])
    assert first[3]["text"] == "待审核"
    assert orders["link"] == reverse("admin:orders_order_changelist") + f"?member={member.pk}"


def test_readers_without_the_order_permission_get_no_order_sections(make_staff, make_member):
    reader = make_staff("members_only", perms=("members.view_member",))
    titles = {s["title"] for s in member_360_sections(member=make_member(), actor=reader)}
    assert "最近订单" not in titles


def test_the_all_orders_link_opens_the_filtered_order_list(
    admin_client_for, east_cs, make_member, make_order, stocked_sku
):
    member = make_member()
    mine = make_order(member, [(stocked_sku(), 1)])
    make_order(make_member(), [(stocked_sku(), 1)])
    link = _section(member_360_sections(member=member, actor=east_cs), "最近订单")["link"]
    response = admin_client_for(east_cs).get(link)
    assert response.status_code == 200
    assert [o.order_no for o in response.context["cl"].result_list] == [mine.order_no]
