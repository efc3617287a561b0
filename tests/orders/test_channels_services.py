"""Sales channels: create, change, switch off/on (refused with unsettled business), ledger."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db.models import Sum

from ops.models import AuditEntry
from orders.exceptions import (
    ChannelHasOpenOrders,
    ChannelNotFound,
    InvalidOrderInput,
    OrdersPermissionDenied,
)
from orders.models import AfterSale, ChannelLedgerEntry, Order, SalesChannel
from orders.services.channels import (
    ChannelBalanceInsufficient,
    ChannelLedgerReferenceTaken,
    channel_create,
    channel_disable,
    channel_enable,
    channel_ledger_post,
    channel_update,
)

pytestmark = pytest.mark.django_db


def _ledger_sum(channel) -> Decimal:
    return ChannelLedgerEntry.objects.filter(channel=channel).aggregate(s=Sum("amount"))[
        "s"
    ] or Decimal("0.00")


def test_a_new_channel_is_active_with_a_zero_balance_and_is_audited(superuser):
    channel = channel_create(
        actor=superuser,
        code="TMALL-Flagship",
        name="某某天猫旗舰店",
        kind=SalesChannel.Kind.TMALL,
        storefront_user_id="tm-10086",
        redeem_domain="Redeem.Example.com",
    )

    channel.refresh_from_db()
    assert channel.code == "tmall-flagship"
    assert channel.status == SalesChannel.Status.ACTIVE
    assert channel.balance_amount == Decimal("0.00")
    assert channel.redeem_domain == "redeem.example.com"
    entry = AuditEntry.objects.get(action="sales_channel.create", object_id=str(channel.pk))
    assert entry.actor_id == superuser.pk


def test_a_duplicate_code_an_unknown_type_and_an_empty_name_are_invalid_input(superuser):
    channel_create(actor=superuser, code="jd-1", name="京东店", kind="jd")
    with pytest.raises(InvalidOrderInput) as taken:
        channel_create(actor=superuser, code="JD-1", name="另一个", kind="jd")
    assert "code" in taken.value.fields
    with pytest.raises(InvalidOrderInput) as kind:
        channel_create(actor=superuser, code="x-1", name="店", kind="ebay")
    assert "kind" in kind.value.fields
    with pytest.raises(InvalidOrderInput) as name:
        channel_create(actor=superuser, code="x-2", name="  ", kind="jd")
    assert "name" in name.value.fields
    with pytest.raises(InvalidOrderInput) as long_name:
        channel_create(actor=superuser, code="x-3", name="店" * 81, kind="jd")
    assert "name" in long_name.value.fields
    assert SalesChannel.objects.filter(code__in=["x-1", "x-2", "x-3"]).count() == 0


def test_creating_a_channel_needs_the_add_permission(make_staff):
    viewer = make_staff("viewer", perms=("orders.view_saleschannel",))
    with pytest.raises(OrdersPermissionDenied):
        channel_create(actor=viewer, code="pdd-1", name="拼多多店", kind="pinduoduo")
    assert not SalesChannel.objects.filter(code="pdd-1").exists()


def test_an_update_changes_only_what_is_given_and_audits_the_diff(superuser, make_channel):
    channel = make_channel()
    channel_update(actor=superuser, channel=channel, name="新名字", storefront_user_id="u-2")

    channel.refresh_from_db()
    assert (channel.name, channel.storefront_user_id) == ("新名字", "u-2")
    entry = AuditEntry.objects.get(action="sales_channel.update", object_id=str(channel.pk))
    assert entry.after["name"] == "新名字"
    with pytest.raises(InvalidOrderInput):
        channel_update(actor=superuser, channel=channel, balance_amount=Decimal("99"))
    with pytest.raises(InvalidOrderInput):
        channel_update(actor=superuser, channel=channel, code="other")


def test_a_channel_outside_the_readers_scope_is_not_found_for_an_update(make_staff, make_channel):
    from rbac import services as rbac_services
    from rbac.models import ScopeKind

    operator = make_staff("operator_a")
    other = make_staff("operator_b")
    mine = make_channel(operator=operator)
    theirs = make_channel(operator=other)
    role = rbac_services.role_create(
        actor=_system(),
        code="channel_op_t",
        name="渠道运营",
        scope_kind=ScopeKind.SELF,
        permissions=["orders.view_saleschannel", "orders.change_saleschannel"],
    )
    rbac_services.role_assign(actor=_system(), user=operator, role=role)
    operator = type(operator).objects.get(pk=operator.pk)

    channel_update(actor=operator, channel=mine, note="mine")
    with pytest.raises(ChannelNotFound):
        channel_update(actor=operator, channel=theirs, note="theirs")
    theirs.refresh_from_db()
    assert theirs.note == ""


def _system():
    from mall.core.actors import system_actor

    return system_actor()


@pytest.mark.parametrize("status", ["pending_payment", "pending_review", "shipped", "delivered"])
def test_switching_off_is_refused_while_an_order_is_unsettled(
    superuser, make_channel, make_member, make_order, stocked_sku, status
):
    channel = make_channel()
    make_order(make_member(), [(stocked_sku(), 1)], status=status, channel=channel)

    with pytest.raises(ChannelHasOpenOrders) as refused:
        channel_disable(actor=superuser, channel=channel, reason="停业")

    assert refused.value.extra == {"orders": 1, "after_sales": 0}
    channel.refresh_from_db()
    assert channel.status == SalesChannel.Status.ACTIVE
    assert not AuditEntry.objects.filter(action="sales_channel.disable").exists()


def test_switching_off_is_refused_while_an_after_sales_case_is_open(
    superuser, make_channel, make_member, make_order, stocked_sku
):
    channel = make_channel()
    member = make_member()
    order = make_order(member, [(stocked_sku(), 1)], status="shipped", channel=channel)
    Order.objects.filter(pk=order.pk).update(status=Order.Status.COMPLETED)
    AfterSale.objects.create(
        case_no="SH2026TEST0001",
        order=order,
        member=member,
        region=order.region,
        channel=channel,
        kind=AfterSale.Kind.REFUND_ONLY,
        reason=AfterSale.Reason.QUALITY,
        status=AfterSale.Status.REQUESTED,
    )

    with pytest.raises(ChannelHasOpenOrders) as refused:
        channel_disable(actor=superuser, channel=channel)
    assert refused.value.extra == {"orders": 0, "after_sales": 1}

    AfterSale.objects.filter(order=order).update(status=AfterSale.Status.REJECTED)
    channel_disable(actor=superuser, channel=channel, reason="合同到期")
    channel.refresh_from_db()
    assert channel.status == SalesChannel.Status.DISABLED


def test_a_channel_whose_orders_are_all_settled_switches_off_and_on_again(
    superuser, make_channel, make_member, make_order, stocked_sku
):
    channel = make_channel()
    member = make_member()
    for status in ("completed", "cancelled", "closed"):
        order = make_order(member, [(stocked_sku(), 1)], status="pending_payment", channel=channel)
        Order.objects.filter(pk=order.pk).update(status=status)

    channel_disable(actor=superuser, channel=channel, reason="合同到期")
    channel.refresh_from_db()
    assert channel.status == SalesChannel.Status.DISABLED
    entry = AuditEntry.objects.get(action="sales_channel.disable", object_id=str(channel.pk))
    assert entry.before["status"] == "active" and entry.after["status"] == "disabled"

    channel_enable(actor=superuser, channel=channel, reason="续约")
    channel.refresh_from_db()
    assert channel.status == SalesChannel.Status.ACTIVE
    assert AuditEntry.objects.filter(action="sales_channel.enable").count() == 1


def test_ledger_posts_move_the_balance_and_the_balance_always_equals_the_ledger(
    superuser, make_channel
):
    channel = make_channel()
    channel_ledger_post(
        actor=superuser, channel=channel, kind="settlement", amount="1200.50", reference_no="S1"
    )
    channel_ledger_post(
        actor=superuser, channel=channel, kind="refund", amount="-200.25", reference_no="R1"
    )
    last = channel_ledger_post(
        actor=superuser, channel=channel, kind="withdrawal", amount="-500", reference_no="W1"
    )

    channel.refresh_from_db()
    assert channel.balance_amount == Decimal("500.25")
    assert last.balance_after_amount == Decimal("500.25")
    assert _ledger_sum(channel) == channel.balance_amount
    assert AuditEntry.objects.filter(action="sales_channel.ledger").count() == 3


def test_a_debit_below_zero_is_refused_and_writes_nothing(superuser, make_channel):
    channel = make_channel()
    channel_ledger_post(
        actor=superuser, channel=channel, kind="settlement", amount="100.00", reference_no="S1"
    )
    with pytest.raises(ChannelBalanceInsufficient):
        channel_ledger_post(
            actor=superuser, channel=channel, kind="withdrawal", amount="-100.01", reference_no="W1"
        )
    channel.refresh_from_db()
    assert channel.balance_amount == Decimal("100.00")
    assert ChannelLedgerEntry.objects.filter(channel=channel).count() == 1


def test_the_same_reference_twice_posts_once_and_another_amount_is_a_conflict(
    superuser, make_channel
):
    channel = make_channel()
    first = channel_ledger_post(
        actor=superuser, channel=channel, kind="settlement", amount="88.80", reference_no="DD1"
    )
    again = channel_ledger_post(
        actor=superuser, channel=channel, kind="settlement", amount="88.80", reference_no="DD1"
    )
    assert again.pk == first.pk
    with pytest.raises(ChannelLedgerReferenceTaken):
        channel_ledger_post(
            actor=superuser, channel=channel, kind="settlement", amount="1.00", reference_no="DD1"
        )
    channel.refresh_from_db()
    assert channel.balance_amount == Decimal("88.80") == _ledger_sum(channel)


@pytest.mark.parametrize(
    ("kind", "amount"),
    [
        ("settlement", "-1"),
        ("refund", "5"),
        ("withdrawal", "5"),
        ("adjustment", "0"),
        ("bonus", "5"),
        ("settlement", "abc"),
        ("settlement", "NaN"),
        ("settlement", "1e20"),
    ],
)
def test_a_ledger_amount_of_the_wrong_sign_or_shape_is_invalid(
    superuser, make_channel, kind, amount
):
    channel = make_channel()
    with pytest.raises(InvalidOrderInput):
        channel_ledger_post(
            actor=superuser, channel=channel, kind=kind, amount=amount, reference_no="X"
        )
    assert not ChannelLedgerEntry.objects.filter(channel=channel).exists()


def test_posting_to_the_ledger_needs_the_balance_permission(make_staff, make_channel):
    channel = make_channel()
    clerk = make_staff("channel_viewer", perms=("orders.view_saleschannel",))
    with pytest.raises(OrdersPermissionDenied):
        channel_ledger_post(
            actor=clerk, channel=channel, kind="settlement", amount="10", reference_no="S"
        )
    channel.refresh_from_db()
    assert channel.balance_amount == Decimal("0.00")
