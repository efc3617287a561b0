"""Concurrent buyers of one SKU on PostgreSQL: never oversold, ledger intact."""

from __future__ import annotations

import contextlib
import threading

import pytest
from django.db import connection
from django.db.models import F, Q

from dispatch import services
from dispatch.exceptions import OutOfStock
from dispatch.models import Allocation, Stock
from dispatch.selectors import stock_ledger_mismatches
from tests.conftest import requires_postgres

THREADS = 50


def _run_buyers(actor, sku_code: str, count: int, prefix: str) -> tuple[list, list, list]:
    barrier = threading.Barrier(count)
    successes, refusals, crashes = [], [], []
    lock = threading.Lock()

    def buy(number: int) -> None:
        try:
            barrier.wait(timeout=30)
            allocation = services.allocate(
                actor=actor,
                order_no=f"{prefix}{number:03d}",
                province="上海",
                lines=[(sku_code, 1)],
            )
            with lock:
                successes.append(allocation.order_no)
        except OutOfStock as exc:
            with lock:
                refusals.append(exc.code)
        except Exception as exc:  # noqa: BLE001 - any other failure fails the test below
            with lock:
                crashes.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=buy, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return successes, refusals, crashes


@requires_postgres
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_fifty_buyers_of_ten_units_get_exactly_ten_allocations(
    actor, warehouses, make_sku, put_stock
):
    sku = make_sku()
    put_stock(warehouses["WH-SH"], sku, 10)

    successes, refusals, crashes = _run_buyers(actor, sku.code, THREADS, "FS")

    assert crashes == []
    assert len(successes) == 10
    assert len(refusals) == THREADS - 10
    assert set(refusals) == {"out_of_stock"}
    stock = Stock.objects.get(warehouse=warehouses["WH-SH"], sku=sku)
    assert (stock.on_hand, stock.reserved) == (10, 10)
    assert not Stock.objects.filter(
        Q(on_hand__lt=0) | Q(reserved__lt=0) | Q(reserved__gt=F("on_hand"))
    ).exists()
    assert Allocation.objects.filter(order_no__startswith="FS").count() == 10
    assert stock_ledger_mismatches() == []


@requires_postgres
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_buyers_racing_over_several_warehouses_never_oversell(
    actor, warehouses, make_sku, put_stock
):
    sku = make_sku()
    # 上海 is served by SH (tier 1, 4 units), BJ (tier 2, 3) and GZ (tier 3, 3): 10 in all.
    put_stock(warehouses["WH-SH"], sku, 4)
    put_stock(warehouses["WH-BJ"], sku, 3)
    put_stock(warehouses["WH-GZ"], sku, 3)

    successes, refusals, crashes = _run_buyers(actor, sku.code, 30, "MW")

    assert crashes == []
    assert len(successes) == 10
    assert len(refusals) == 20
    for stock in Stock.objects.filter(sku=sku):
        assert stock.reserved == stock.on_hand
    assert stock_ledger_mismatches() == []


@requires_postgres
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_shipping_and_releasing_the_same_order_at_once_never_deadlocks(
    actor, warehouses, make_sku, put_stock
):
    from dispatch.exceptions import InvalidStateTransition
    from dispatch.models import Shipment

    sku = make_sku()
    put_stock(warehouses["WH-SH"], sku, 20)
    orders = [f"RS{n}" for n in range(10)]
    for order_no in orders:
        services.allocate(actor=actor, order_no=order_no, province="上海", lines=[(sku.code, 1)])
    crashes = []

    def ship_all() -> None:
        try:
            for shipment in Shipment.objects.filter(order_no__in=orders).order_by("pk"):
                with contextlib.suppress(InvalidStateTransition):
                    services.shipment_ship(actor=actor, shipment=shipment, waybill_no="W")
        except Exception as exc:  # noqa: BLE001 - reported below
            crashes.append(repr(exc))
        finally:
            connection.close()

    def release_all() -> None:
        try:
            for order_no in orders:
                services.allocation_release(actor=actor, order_no=order_no, reason="race")
        except Exception as exc:  # noqa: BLE001 - reported below
            crashes.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=ship_all), threading.Thread(target=release_all)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert crashes == []
    stock = Stock.objects.get(warehouse=warehouses["WH-SH"], sku=sku)
    shipped = Shipment.objects.filter(order_no__in=orders, status="shipped").count()
    assert stock.reserved == 0
    assert stock.on_hand == 20 - shipped
    assert stock_ledger_mismatches() == []
