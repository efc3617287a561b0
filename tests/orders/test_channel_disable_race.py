# ruff: noqa: F811 - fixtures imported from checkout_support are parameters here
"""Switching a channel off while an order is being placed on it (PostgreSQL, threads).

The placement holds the channel row ``FOR SHARE`` until it commits, so the switch-off
(``FOR UPDATE``) waits for it and then finds the order unsettled: no order ever lands
on a switched-off channel.
"""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection, transaction

from orders.exceptions import ChannelHasOpenOrders, ChannelUnavailable
from orders.models import Order, SalesChannel
from orders.services.channels import channel_disable
from orders.services.placement import order_place
from tests.conftest import requires_postgres
from tests.orders.checkout_support import SHANGHAI, buyer, on_shelf_sku  # noqa: F401


@requires_postgres
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_channel_cannot_be_switched_off_under_an_order_being_placed(
    buyer, on_shelf_sku, make_channel, warehouses, actor
):
    channel = make_channel("race-shop")
    sku = on_shelf_sku(5)
    member = buyer()
    placed, release = threading.Event(), threading.Event()
    outcome: dict = {}

    def place() -> None:
        try:
            with transaction.atomic():
                order_place(
                    actor=member,
                    address=SHANGHAI,
                    lines=[{"sku": sku.code, "quantity": 1}],
                    channel=channel.code,
                )
                placed.set()
                release.wait(10)
            outcome["placed"] = True
        finally:
            connection.close()

    def disable() -> None:
        try:
            channel_disable(actor=actor, channel=channel, reason="关店")
            outcome["disabled"] = True
        except ChannelHasOpenOrders:
            outcome["disabled"] = False
        finally:
            connection.close()

    placing = threading.Thread(target=place)
    placing.start()
    assert placed.wait(10)
    disabling = threading.Thread(target=disable)
    disabling.start()
    time.sleep(0.5)
    assert disabling.is_alive(), "the switch-off must wait for the order in flight"
    release.set()
    placing.join(20)
    disabling.join(20)
    assert outcome == {"placed": True, "disabled": False}
    channel.refresh_from_db()
    assert channel.status == SalesChannel.Status.ACTIVE
    assert Order.objects.filter(channel=channel).count() == 1


@pytest.mark.django_db
def test_an_order_on_a_switched_off_channel_is_refused(buyer, on_shelf_sku, make_channel, actor):
    channel = make_channel("closed-shop")
    channel_disable(actor=actor, channel=channel, reason="关店")
    with pytest.raises(ChannelUnavailable):
        order_place(
            actor=buyer(),
            address=SHANGHAI,
            lines=[{"sku": on_shelf_sku(5).code, "quantity": 1}],
            channel=channel.code,
        )
    assert not Order.objects.filter(channel=channel).exists()
