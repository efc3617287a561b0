"""Slow movers: on-shelf products with no paid sale for 30 days, listed to their owners daily."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from catalog.models import Product
from mall.core.actors import system_actor
from ops.models import StaffNotification
from orders.exceptions import OrdersPermissionDenied
from orders.models import Order
from orders.services.reviews import slow_movers_report

pytestmark = pytest.mark.django_db


@pytest.fixture
def shelf(make_sku):
    """Three on-shelf products of two owners, on shelf for 40 days."""
    users = get_user_model()
    alice = users.objects.create_user(username="alice", password="x", is_staff=True)
    bob = users.objects.create_user(username="bob", password="x", is_staff=True)
    skus = {
        "sold": make_sku(owner=alice),
        "idle_a": make_sku(owner=alice),
        "idle_b": make_sku(owner=bob),
        "new": make_sku(owner=bob),
    }
    long_ago = timezone.now() - timedelta(days=40)
    Product.objects.filter(pk__in=[s.product_id for s in skus.values()]).update(
        status="on_shelf", listed_at=long_ago
    )
    Product.objects.filter(pk=skus["new"].product_id).update(listed_at=timezone.now())
    return alice, bob, skus


def test_each_owner_gets_one_notice_naming_their_products_without_a_paid_sale(
    shelf, make_order, make_member, put_stock, warehouses
):
    alice, bob, skus = shelf
    for sku in skus.values():
        put_stock(warehouses["WH-SH"], sku, 10)
    make_order(make_member(), [(skus["sold"], 1)], status="paid")
    unpaid = make_order(make_member(), [(skus["idle_a"], 1)], status="pending_payment")
    assert unpaid.paid_at is None
    old_sale = make_order(make_member(), [(skus["idle_b"], 1)], status="paid")
    Order.objects.filter(pk=old_sale.pk).update(paid_at=timezone.now() - timedelta(days=31))

    assert slow_movers_report(actor=system_actor()) == 2
    mine = StaffNotification.objects.get(recipient=alice, kind="orders.slow_movers")
    assert skus["idle_a"].product.code in mine.body
    assert skus["sold"].product.code not in mine.body
    theirs = StaffNotification.objects.get(recipient=bob, kind="orders.slow_movers")
    assert skus["idle_b"].product.code in theirs.body
    assert skus["new"].product.code not in theirs.body  # on shelf for less than 30 days


def test_running_twice_a_day_notifies_once(shelf):
    assert slow_movers_report(actor=system_actor()) == 2
    assert slow_movers_report(actor=system_actor()) == 0
    assert StaffNotification.objects.filter(kind="orders.slow_movers").count() == 2


def test_the_report_is_one_query_for_any_number_of_products(shelf, django_assert_max_num_queries):
    # 1 parameter read (cached or not) + 1 query for every slow mover + the inbox writes
    from ops.parameters import get_parameter

    get_parameter("orders.slow_mover_days")
    with django_assert_max_num_queries(20):
        slow_movers_report(actor=system_actor())


def test_only_the_system_job_runs_it(shelf):
    staff = get_user_model().objects.create_user(username="s", password="x", is_staff=True)
    with pytest.raises(OrdersPermissionDenied):
        slow_movers_report(actor=staff)


def test_the_beat_entry_runs_daily_at_three():
    from orders.tasks import SCHEDULE

    entry = SCHEDULE["orders: slow movers"]
    assert (entry["task"], entry["cron"]) == ("orders.tasks.slow_movers_report_task", "0 3 * * *")
