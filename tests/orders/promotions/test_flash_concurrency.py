# ruff: noqa: F811 - fixtures imported from the support modules are parameters here
"""Flash sales under concurrency on PostgreSQL (+ Redis for the gate).

Threads place orders at once through ``order_place`` (each thread its own database
connection): the quota is never oversold, the per-member limit holds for the same
member in many threads, the quota returns to stock at the end (``stock_verify``
clean), a Redis flush mid-session oversells nothing and the gate reloads, and a loser
answered by the gate runs no write query.
"""

from __future__ import annotations

import threading

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dispatch.models import Stock
from orders.exceptions import LimitExceeded, SoldOut
from orders.models import FlashPurchase, FlashSession, Order
from orders.promotions import gate
from orders.services.placement import order_place
from tests.conftest import requires_postgres
from tests.orders.checkout_support import SHANGHAI, buyer, on_shelf_sku  # noqa: F401
from tests.orders.promotions.flash_support import (  # noqa: F401 - fixtures
    flash_session,
    marketing,
    ops_lead,
)

requires_redis = pytest.mark.skipif(
    not getattr(settings, "FLASH_GATE_REDIS_URL", ""),
    reason="needs Redis (set REDIS_URL=redis://…): the flash gate",
)


@pytest.fixture
def clean_gate():
    client = gate.gate_client()
    if client is not None:
        client.flushdb()
    yield client
    if client is not None:
        client.flushdb()


@pytest.fixture(params=["gate", "database"])
def gate_mode(request, settings, clean_gate):
    """Run with the Redis gate (when configured) and with the database path alone."""
    if request.param == "gate" and not settings.FLASH_GATE_REDIS_URL:
        pytest.skip("needs Redis (REDIS_URL) for the gate")
    if request.param == "database":
        settings.FLASH_GATE_REDIS_URL = ""
    return request.param


def _race(members, session, sku, quantity=1) -> tuple[list[str], list[str]]:
    """Every member places at once; returns the outcomes and any crash."""
    barrier = threading.Barrier(len(members))
    outcomes: list[str] = []
    crashes: list[str] = []
    lock = threading.Lock()

    def work(member):
        try:
            barrier.wait(timeout=60)
            try:
                order_place(
                    actor=member,
                    address=SHANGHAI,
                    lines=[{"sku": sku.code, "quantity": quantity}],
                    flash_session=session.pk,
                )
                outcome = "placed"
            except (SoldOut, LimitExceeded) as refused:
                outcome = refused.code
            with lock:
                outcomes.append(outcome)
        except Exception as exc:  # noqa: BLE001 - reported by the test
            with lock:
                crashes.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(m,)) for m in members]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=180)
    return outcomes, crashes


@requires_postgres
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_many_members_never_oversell_and_the_quota_returns_at_the_end(
    gate_mode, flash_session, on_shelf_sku, buyer, own_store, warehouses, marketing
):
    from orders.promotions.flash import flash_session_close

    sku = on_shelf_sku(40)
    session = flash_session([(sku, "19.90", 10, 1)])
    members = [buyer() for _n in range(30)]
    outcomes, crashes = _race(members, session, sku)
    assert crashes == []
    assert sorted(outcomes) == ["placed"] * 10 + ["sold_out"] * 20
    item = session.items.get()
    assert (item.sold, item.held) == (10, 0)
    assert Order.objects.filter(flash_session=session).count() == 10
    stock = Stock.objects.get(sku=sku, warehouse=warehouses["WH-SH"])
    assert (stock.on_hand, stock.reserved) == (40, 10)
    flash_session_close(actor=marketing, session=session)
    stock.refresh_from_db()
    assert stock.reserved == 10  # the orders' units only: nothing held any more
    call_command("stock_verify")


@requires_postgres
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_same_member_in_many_threads_never_passes_the_limit(
    gate_mode, flash_session, on_shelf_sku, buyer, own_store, marketing, warehouses
):
    from orders.promotions.flash import flash_session_close

    sku = on_shelf_sku(40)
    session = flash_session([(sku, "19.90", 20, 2)])
    member = buyer()
    outcomes, crashes = _race([member] * 12, session, sku)
    assert crashes == []
    assert sorted(outcomes) == ["limit_exceeded"] * 10 + ["placed"] * 2
    assert FlashPurchase.objects.get(member=member).quantity == 2
    item = session.items.get()
    assert (item.sold, item.held) == (2, 18)
    flash_session_close(actor=marketing, session=session)
    stock = Stock.objects.get(sku=sku, warehouse=warehouses["WH-SH"])
    assert (stock.on_hand, stock.reserved) == (40, 2)
    call_command("stock_verify")


@requires_postgres
@requires_redis
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_redis_flush_mid_session_oversells_nothing_and_the_gate_reloads(
    clean_gate, flash_session, on_shelf_sku, buyer, own_store
):
    sku = on_shelf_sku(40)
    session = flash_session([(sku, "19.90", 10, 1)])
    first, crashes = _race([buyer() for _n in range(3)], session, sku)
    assert (first, crashes) == (["placed"] * 3, [])
    epoch = FlashSession.objects.get(pk=session.pk).gate_epoch
    assert epoch >= 1
    clean_gate.flushdb()
    outcomes, crashes = _race([buyer() for _n in range(20)], session, sku)
    assert crashes == []
    assert sorted(outcomes) == ["placed"] * 7 + ["sold_out"] * 13
    item = session.items.get()
    assert (item.sold, item.held) == (10, 0)
    reloaded = FlashSession.objects.get(pk=session.pk).gate_epoch
    assert reloaded > epoch
    loaded = gate._keys(session.pk, reloaded, [item.pk])
    assert clean_gate.exists(loaded[0]) == 1
    # Placements that passed by the database while one caller reloaded left the gate
    # too generous (the database refused them); the minute reconcile squares it.
    assert gate.gates_reconcile() == 1
    current = FlashSession.objects.get(pk=session.pk).gate_epoch
    assert current > reloaded
    assert int(clean_gate.get(gate._keys(session.pk, current, [item.pk])[1])) == 0
    assert clean_gate.exists(loaded[0]) == 0  # the older load is gone
    late, crashes = _race([buyer()], session, sku)
    assert (late, crashes) == (["sold_out"], [])


@requires_postgres
@requires_redis
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_loser_answered_by_the_gate_writes_nothing(
    clean_gate, flash_session, on_shelf_sku, buyer, own_store
):
    sku = on_shelf_sku(10)
    session = flash_session([(sku, "19.90", 1, 1)])
    winner, crashes = _race([buyer()], session, sku)
    assert (winner, crashes) == (["placed"], [])
    loser = buyer()
    with CaptureQueriesContext(connection) as captured, pytest.raises(SoldOut):
        order_place(
            actor=loser,
            address=SHANGHAI,
            lines=[{"sku": sku.code, "quantity": 1}],
            flash_session=session.pk,
        )
    statements = [query["sql"].lstrip().split(" ", 1)[0].upper() for query in captured]
    assert statements, "the placement read the session and the cart"
    writes = {"INSERT", "UPDATE", "DELETE", "SAVEPOINT", "BEGIN", "RELEASE"}
    assert not [s for s in statements if s in writes], statements
    assert Order.objects.filter(flash_session=session).count() == 1


@requires_postgres
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_units_of_timed_out_orders_are_sold_again_and_never_twice(
    gate_mode, flash_session, on_shelf_sku, buyer, own_store, warehouses
):
    from datetime import timedelta

    from django.utils import timezone

    from mall.core.actors import system_actor
    from orders.services.cancellation import orders_cancel_unpaid_due

    sku = on_shelf_sku(20)
    session = flash_session([(sku, "19.90", 5, 1)])
    first, crashes = _race([buyer() for _n in range(8)], session, sku)
    assert crashes == [] and sorted(first) == ["placed"] * 5 + ["sold_out"] * 3
    late = list(Order.objects.filter(flash_session=session).order_by("pk")[:2])
    Order.objects.filter(pk__in=[o.pk for o in late]).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    assert orders_cancel_unpaid_due(actor=system_actor()) == 2
    item = session.items.get()
    assert (item.sold, item.held) == (3, 2)
    # The timed-out members may buy again; the units go to exactly two buyers.
    again = [o.member for o in late] + [buyer() for _n in range(4)]
    outcomes, crashes = _race(again, session, sku)
    assert crashes == []
    assert sorted(outcomes) == ["placed"] * 2 + ["sold_out"] * 4
    item.refresh_from_db()
    assert (item.sold, item.held) == (5, 0)
    stock = Stock.objects.get(sku=sku, warehouse=warehouses["WH-SH"])
    assert (stock.on_hand, stock.reserved) == (20, 5)
    call_command("stock_verify")
