"""Staff API of sales channels: list/search/filter, create, change, switch off/on, ledger."""

from __future__ import annotations

from decimal import Decimal

import pytest

from orders.models import ChannelLedgerEntry, Order, SalesChannel

pytestmark = pytest.mark.django_db

BASE = "/api/v1/orders/channels/"


@pytest.fixture
def channel_admin(make_staff):
    return make_staff(
        "channel_admin",
        perms=(
            "orders.view_saleschannel",
            "orders.add_saleschannel",
            "orders.change_saleschannel",
            "orders.adjust_channel_balance",
        ),
        superuser=False,
    )


@pytest.fixture
def all_scope(channel_admin):
    """Give ``channel_admin`` a role with scope "all" (channels are not regional)."""
    from mall.core.actors import system_actor
    from rbac import services as rbac_services
    from rbac.models import ScopeKind

    role = rbac_services.role_create(
        actor=system_actor(),
        code="channel_admin_t",
        name="渠道管理",
        scope_kind=ScopeKind.ALL,
        permissions=[],
    )
    rbac_services.role_assign(actor=system_actor(), user=channel_admin, role=role)
    return type(channel_admin).objects.get(pk=channel_admin.pk)


def test_list_searches_name_domain_and_user_id_and_filters_by_type(
    superuser, staff_client, make_channel
):
    tmall = make_channel("tm-a", kind="tmall")
    SalesChannel.objects.filter(pk=tmall.pk).update(
        name="星光天猫旗舰店", redeem_domain="star.example.com", storefront_user_id="TM-778"
    )
    make_channel("jd-a", kind="jd")
    client = staff_client(superuser)

    def codes(query: str) -> set[str]:
        response = client.get(BASE + query)
        assert response.status_code == 200, response.content
        return {row["code"] for row in response.json()["results"]}

    assert codes("?q=星光") == {"tm-a"}
    assert codes("?q=STAR.example") == {"tm-a"}
    assert codes("?q=tm-77") == {"tm-a"}
    assert codes("?kind=jd") == {"jd-a"}
    assert "tm-a" not in codes("?kind=jd&q=星光")
    assert client.get(BASE + "?kind=ebay").status_code == 400
    assert client.get(BASE + "?status=maybe").status_code == 400


def test_create_answers_201_with_money_as_a_string_and_labels(all_scope, staff_client):
    response = staff_client(all_scope).post(
        BASE,
        {"code": "dy-1", "name": "抖音小店", "kind": "douyin", "storefront_user_id": "dy-9"},
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["balance_amount"] == "0.00"
    assert body["status"] == "active" and body["status_label"]
    assert body["kind_label"] != "douyin"


def test_bad_input_is_a_400_in_the_error_shape_and_writes_nothing(all_scope, staff_client):
    client = staff_client(all_scope)
    response = client.post(BASE, {"code": "", "name": "x", "kind": "tmall"}, format="json")
    assert response.status_code == 400
    assert "code" in response.json()["error"]["fields"]
    response = client.post(BASE, {"code": "ok-1", "name": "x", "kind": "nope"}, format="json")
    assert response.status_code == 400
    assert not SalesChannel.objects.filter(code="ok-1").exists()


def test_viewers_cannot_create_or_change(make_staff, staff_client, make_channel):
    viewer = make_staff("viewer", perms=("orders.view_saleschannel",))
    channel = make_channel()
    client = staff_client(viewer)
    assert (
        client.post(BASE, {"code": "v", "name": "v", "kind": "jd"}, format="json").status_code
        == 403
    )
    response = client.patch(f"{BASE}{channel.pk}/", {"name": "x"}, format="json")
    assert response.status_code in (403, 404)
    channel.refresh_from_db()
    assert channel.name != "x"


def test_patch_changes_the_channel(all_scope, staff_client, make_channel):
    channel = make_channel()
    response = staff_client(all_scope).patch(
        f"{BASE}{channel.pk}/", {"redeem_domain": "go.example.com"}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["redeem_domain"] == "go.example.com"


def test_disable_is_a_409_while_orders_are_unsettled_then_works(
    all_scope, staff_client, make_channel, make_member, make_order, stocked_sku
):
    channel = make_channel()
    order = make_order(make_member(), [(stocked_sku(), 1)], status="paid", channel=channel)
    client = staff_client(all_scope)

    refused = client.post(f"{BASE}{channel.pk}/disable/", {"reason": "停业"}, format="json")
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "channel_has_open_orders"

    Order.objects.filter(pk=order.pk).update(status="completed")
    done = client.post(f"{BASE}{channel.pk}/disable/", {"reason": "停业"}, format="json")
    assert done.status_code == 200
    assert done.json()["status"] == "disabled"
    again = client.post(f"{BASE}{channel.pk}/enable/", {}, format="json")
    assert again.json()["status"] == "active"


def test_ledger_post_and_list(all_scope, staff_client, make_channel):
    channel = make_channel()
    client = staff_client(all_scope)
    posted = client.post(
        f"{BASE}{channel.pk}/ledger/",
        {"kind": "settlement", "amount": "300.10", "reference_no": "DD1"},
        format="json",
    )
    assert posted.status_code == 201, posted.content
    assert posted.json()["balance_after_amount"] == "300.10"
    client.post(
        f"{BASE}{channel.pk}/ledger/",
        {"kind": "withdrawal", "amount": "-100.00", "reference_no": "W1"},
        format="json",
    )
    overdraw = client.post(
        f"{BASE}{channel.pk}/ledger/",
        {"kind": "withdrawal", "amount": "-1000.00", "reference_no": "W2"},
        format="json",
    )
    assert overdraw.status_code == 409
    assert overdraw.json()["error"]["code"] == "insufficient_balance"

    listed = client.get(f"{BASE}{channel.pk}/ledger/")
    assert listed.status_code == 200
    assert [row["reference_no"] for row in listed.json()["results"]] == ["W1", "DD1"]
    assert client.get(f"{BASE}{channel.pk}/ledger/?kind=bogus").status_code == 400
    detail = client.get(f"{BASE}{channel.pk}/").json()
    assert detail["balance_amount"] == "200.10"
    channel.refresh_from_db()
    assert channel.balance_amount == Decimal("200.10")
    assert ChannelLedgerEntry.objects.filter(channel=channel).count() == 2


def test_a_ledger_post_without_the_balance_permission_is_403(
    make_staff, staff_client, make_channel
):
    channel = make_channel()
    viewer = make_staff("ledger_viewer", perms=("orders.view_saleschannel",))
    from mall.core.actors import system_actor
    from rbac import services as rbac_services
    from rbac.models import ScopeKind

    role = rbac_services.role_create(
        actor=system_actor(),
        code="ch_view_t",
        name="渠道查看",
        scope_kind=ScopeKind.ALL,
        permissions=[],
    )
    rbac_services.role_assign(actor=system_actor(), user=viewer, role=role)
    response = staff_client(viewer).post(
        f"{BASE}{channel.pk}/ledger/",
        {"kind": "settlement", "amount": "1.00", "reference_no": "X"},
        format="json",
    )
    assert response.status_code == 403
    assert not ChannelLedgerEntry.objects.filter(channel=channel).exists()


def test_a_channel_operator_sees_only_the_channel_granted_to_them(
    make_staff, staff_client, make_channel
):
    from mall.core.actors import system_actor
    from rbac import services as rbac_services
    from rbac.models import ScopeKind

    operator = make_staff("channel_op")
    mine = make_channel("granted-1")
    theirs = make_channel("other-1")
    role = rbac_services.role_create(
        actor=system_actor(),
        code="channel_operator_t",
        name="渠道运营",
        scope_kind=ScopeKind.GRANTED_OBJECTS,
        permissions=["orders.view_saleschannel", "orders.view_order"],
    )
    rbac_services.role_assign(actor=system_actor(), user=operator, role=role)
    rbac_services.object_permission_grant(
        actor=system_actor(), user=operator, perm="orders.work_channel", obj=mine
    )
    client = staff_client(type(operator).objects.get(pk=operator.pk))

    listed = client.get(BASE)
    assert [row["code"] for row in listed.json()["results"]] == ["granted-1"]
    assert client.get(f"{BASE}{mine.pk}/").status_code == 200
    assert client.get(f"{BASE}{theirs.pk}/").status_code == 404
    assert client.get(f"{BASE}{theirs.pk}/ledger/").status_code == 404
    assert client.get(f"{BASE}not-a-number/").status_code == 404
