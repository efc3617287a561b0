"""The order admin: the list with its seed-003 tabs and filters, the read-only page."""

from __future__ import annotations

import pytest
from django.urls import reverse

from ops.models import AuditEntry
from orders.models import AfterSale, Order
from orders.services.events import order_event_record, order_transition

pytestmark = pytest.mark.django_db

LIST = "admin:orders_order_changelist"


def _change(order) -> str:
    return reverse("admin:orders_order_change", args=[order.pk])


@pytest.fixture
def east_ops(make_staff):
    """An ops user whose data scope is region east, who may view and review orders."""
    from mall.core.actors import system_actor
    from rbac import services as rbac_services
    from rbac.models import SalesRegion, ScopeKind

    user = make_staff("ops_east_t")
    role = rbac_services.role_create(
        actor=system_actor(),
        code="ops_east_orders_t",
        name="华东运营",
        scope_kind=ScopeKind.REGIONS,
        permissions=[
            "orders.view_order",
            "orders.review_order",
            "orders.view_aftersale",
            "orders.view_saleschannel",
        ],
        regions=list(SalesRegion.objects.filter(code="east")),
    )
    rbac_services.role_assign(actor=system_actor(), user=user, role=role)
    return type(user).objects.get(pk=user.pk)


def _numbers(response) -> list[str]:
    assert response.status_code == 200, response.content[:500]
    return [order.order_no for order in response.context["cl"].result_list]


def test_each_tab_is_a_link_to_a_filter_the_list_accepts(
    admin_client_for, superuser, make_member, make_order, stocked_sku
):
    member = make_member()
    sku = stocked_sku()
    to_pay = make_order(member, [(sku, 1)], status="pending_payment")
    to_review = make_order(member, [(sku, 1)], status="pending_review")
    to_ship = make_order(member, [(sku, 1)], status="approved")
    shipped = make_order(member, [(sku, 1)], status="shipped")
    frozen = make_order(member, [(sku, 1)], status="pending_review", is_frozen=True)
    client = admin_client_for(superuser)

    page = client.get(reverse(LIST))
    tabs = page.context["order_tabs"]
    titles = [str(tab["title"]) for tab in tabs]
    assert titles[:6] == ["全部", "待付款", "待审核", "审核挂起", "待发货", "已发货"]
    assert {"待售后", "已冻结", "待兑换", "已兑换", "待核销", "已核销"} <= set(titles)
    for tab in tabs:
        assert client.get(tab["link"]).status_code == 200, tab["link"]

    assert _numbers(client.get(reverse(LIST) + "?tab=pending_payment")) == [to_pay.order_no]
    assert set(_numbers(client.get(reverse(LIST) + "?tab=pending_review"))) == {
        to_review.order_no,
        frozen.order_no,
    }
    assert _numbers(client.get(reverse(LIST) + "?tab=to_ship")) == [to_ship.order_no]
    assert _numbers(client.get(reverse(LIST) + "?tab=shipped")) == [shipped.order_no]
    assert _numbers(client.get(reverse(LIST) + "?tab=frozen")) == [frozen.order_no]
    active = list(client.get(reverse(LIST) + "?tab=frozen").context["order_tabs"])
    assert [str(tab["title"]) for tab in active if tab["active"]] == ["已冻结"]


def test_the_after_sales_tab_lists_orders_with_an_open_case(
    admin_client_for, superuser, make_member, make_order, stocked_sku
):
    member = make_member()
    order = make_order(member, [(stocked_sku(), 1)], status="shipped")
    make_order(member, [(stocked_sku(), 1)], status="shipped")
    AfterSale.objects.create(
        case_no="SH2026ADMIN001",
        order=order,
        member=member,
        region=order.region,
        channel=order.channel,
        kind=AfterSale.Kind.REFUND_ONLY,
        reason=AfterSale.Reason.QUALITY,
    )
    client = admin_client_for(superuser)
    assert _numbers(client.get(reverse(LIST) + "?tab=after_sale")) == [order.order_no]


def test_unknown_parameters_are_refused_and_the_member_link_filters(
    admin_client_for, superuser, make_member, make_order, stocked_sku
):
    first, second = make_member(), make_member()
    mine = make_order(first, [(stocked_sku(), 1)])
    make_order(second, [(stocked_sku(), 1)])
    client = admin_client_for(superuser)

    assert client.get(reverse(LIST) + "?phone_encrypted__startswith=x").status_code == 400
    assert client.get(reverse(LIST) + "?tab=nonsense").status_code == 200
    assert _numbers(client.get(reverse(LIST) + f"?member={first.pk}")) == [mine.order_no]
    assert _numbers(client.get(reverse(LIST) + "?member=abc")) == []
    assert _numbers(client.get(reverse(LIST) + f"?q={mine.order_no.lower()}")) == [mine.order_no]
    for query in (
        "?status__exact=shipped",
        "?is_frozen__exact=1",
        "?source=platform",
        "?created_at__gte=2020-01-01%2000:00:00%2B08:00",
    ):
        assert client.get(reverse(LIST) + query).status_code == 200, query


def test_the_list_shows_the_member_masked_and_statuses_by_label(
    admin_client_for, superuser, make_member, make_order, stocked_sku
):
    member = make_member()
    order = make_order(member, [(stocked_sku(), 1)], status="pending_review")
    html = admin_client_for(superuser).get(reverse(LIST)).content.decode()
    assert order.order_no in html
    assert "待审核" in html
    assert member.phone not in html
    assert member.phone[:3] + "****" + member.phone[-4:] in html


def test_an_east_ops_user_sees_east_orders_only_and_other_regions_are_not_found(
    admin_client_for, east_ops, make_member, make_order, stocked_sku
):
    member = make_member()
    east = make_order(member, [(stocked_sku(), 1)], province_name="上海")
    north = make_order(member, [(stocked_sku(where=("WH-BJ",)), 1)], province_name="北京")
    client = admin_client_for(east_ops)

    assert _numbers(client.get(reverse(LIST))) == [east.order_no]
    assert client.get(_change(east)).status_code == 200
    assert client.get(_change(north)).status_code in (302, 404)


def test_the_page_is_read_only_with_the_timeline_oldest_first_by_name_and_label(
    admin_client_for, east_ops, make_staff, make_member, make_order, stocked_sku
):
    reviewer = make_staff("liu_t")
    reviewer.first_name, reviewer.last_name = "运营", "刘"
    reviewer.save(update_fields=["first_name", "last_name"])
    member = make_member()
    order = make_order(member, [(stocked_sku(), 2)], status="paid")
    order_transition(
        actor=member, order=order, to=Order.Status.PENDING_REVIEW, action="order.submit_review"
    )
    order_event_record(actor=reviewer, order=order, type="freeze", reason="风控复核")

    response = admin_client_for(east_ops).get(_change(order))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="_save"' not in html  # read-only: no save button
    assert "订单时间线" in html
    timeline = html[html.index("订单时间线") :]
    assert timeline.index("订单进入待审核") < timeline.index("订单已冻结")
    assert "刘运营" in html
    assert "风控复核" in html
    assert "pending_review" not in html.replace('value="pending_review"', "")
    assert "13912345678" not in html  # recipient phone masked
    assert "139****5678" in html


def test_a_reader_with_the_pii_permission_sees_the_recipient_and_the_reveal_is_audited(
    admin_client_for, make_staff, make_member, make_order, stocked_sku
):
    reader = make_staff(
        "pii_reader", perms=("orders.view_order", "orders.view_order_pii"), superuser=True
    )
    order = make_order(make_member(), [(stocked_sku(), 1)])
    html = admin_client_for(reader).get(_change(order)).content.decode()
    assert "13912345678" in html
    assert "幸福路 1 号" in html
    assert AuditEntry.objects.filter(action="pii.reveal", actor=reader).exists()


def test_every_timeline_step_reads_as_words_never_as_a_code():
    from orders.admin.orders import event_label

    assert event_label("waybill") == "已录入运单号"
    assert event_label("approve") == "订单审核通过"
    assert event_label("something_new") == "订单已更新"


def test_the_export_button_maps_the_list_filters_to_the_staff_api_filters(make_channel):
    from orders.admin.orders import export_query
    from rbac.models import SalesRegion

    channel = make_channel("tm-export")
    east = SalesRegion.objects.get(code="east")
    query = export_query(
        [
            ("tab", "to_ship"),
            ("status__exact", "shipped"),
            ("is_frozen__exact", "1"),
            ("region__id__exact", str(east.pk)),
            ("channel", str(channel.pk)),
            ("created_at__gte", "2026-11-01 00:00:00+08:00"),
            ("q", "DD2026"),
            ("password__startswith", "x"),
        ]
    )
    assert query == [
        ("tab", "to_ship"),
        ("status", "shipped"),
        ("frozen", "true"),
        ("region", "east"),
        ("channel", "tm-export"),
        ("created_after", "2026-11-01 00:00:00+08:00"),
        ("q", "DD2026"),
    ]
    assert export_query([("tab", "review_held")]) == [("held", "true")]


def test_regional_ops_can_filter_orders_by_any_channel_by_name(make_channel, admin_client_for):
    from django.contrib.auth import get_user_model
    from django.urls import reverse

    from mall.core.actors import system_actor
    from rbac import services as rbac_services
    from rbac.models import SalesRegion, ScopeKind

    channel = make_channel("tm-filter")
    user = get_user_model().objects.create_user(
        username="region_ops", password="mall-demo-2026", is_staff=True
    )
    role = rbac_services.role_create(
        actor=system_actor(),
        code="ops-east-filter",
        name="华东订单运营",
        scope_kind=ScopeKind.REGIONS,
        regions=SalesRegion.objects.filter(code="east"),
        permissions=("orders.view_order",),
    )
    rbac_services.role_assign(actor=system_actor(), user=user, role=role)
    client = admin_client_for(user)
    page = client.get(reverse("admin:orders_order_changelist"))
    assert page.status_code == 200
    assert channel.name in page.content.decode()
    assert (
        client.get(reverse("admin:orders_order_changelist"), {"channel": channel.pk}).status_code
        == 200
    )
    assert client.get(reverse("admin:orders_order_changelist"), {"channel": "x"}).status_code == 200


def test_the_order_changelist_costs_the_same_queries_for_one_row_or_many(
    make_order, make_member, stocked_sku, admin_client_for, django_assert_max_num_queries
):
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    boss = get_user_model().objects.create_superuser("boss-n1", password="x-Strong-2026")
    client = admin_client_for(boss)
    sku = stocked_sku(50)
    make_order(make_member(), [(sku, 1)], status="pending_payment")
    client.get(reverse("admin:orders_order_changelist"))  # warm caches (filters, sessions)
    with CaptureQueriesContext(connection) as one:
        assert client.get(reverse("admin:orders_order_changelist")).status_code == 200
    for _n in range(5):
        make_order(make_member(), [(sku, 1)], status="pending_payment")
    with CaptureQueriesContext(connection) as six:
        assert client.get(reverse("admin:orders_order_changelist")).status_code == 200
    assert len(six) == len(one)
