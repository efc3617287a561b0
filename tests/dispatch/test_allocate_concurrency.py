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
from mall.core.actors import system_actor
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
@pytest.mark.django_db(transaction=True)
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
    assert stock_ledger_mismatches(actor=system_actor()) == []


@requires_postgres
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
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
    assert stock_ledger_mismatches(actor=system_actor()) == []


@requires_postgres
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
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
    assert stock_ledger_mismatches(actor=system_actor()) == []


@requires_postgres
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_reviewers_closing_the_last_two_lines_at_once_close_the_snapshot(
    actor, warehouses, make_sku, put_stock, monkeypatch
):
    """Each review checks "any line left?" — it must not miss the other's uncommitted review.

    Both reviewers are held just before their audit entry (after that check) until the
    other arrives or 3 s pass: without a lock on the snapshot both would pass the check
    while the other's line still looked open, and the snapshot would never close.
    """
    from dispatch.models import StockSnapshot, StockSnapshotLine
    from dispatch.services import sync

    first, second = make_sku(), make_sku()
    for sku in (first, second):
        put_stock(warehouses["WH-SH"], sku, 50)
    document = services.stock_snapshot_submit(
        actor=actor, warehouse=warehouses["WH-SH"], lines=[(first.code, 5), (second.code, 6)]
    )
    services.stock_snapshot_reconcile(actor=actor, snapshot_doc=document)
    lines = list(document.lines.order_by("pk"))
    assert {line.status for line in lines} == {StockSnapshotLine.Status.NEEDS_REVIEW}

    meeting = threading.Barrier(2)
    real_audit = sync.audit

    def audit_after_meeting(**kwargs):
        with contextlib.suppress(threading.BrokenBarrierError):
            meeting.wait(timeout=3)
        return real_audit(**kwargs)

    monkeypatch.setattr(sync, "audit", audit_after_meeting)
    crashes = []

    def review(line) -> None:
        try:
            services.stock_snapshot_line_review(actor=actor, line=line, accept=False)
        except Exception as exc:  # noqa: BLE001 - any failure fails the test below
            crashes.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=review, args=(line,)) for line in lines]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert crashes == []
    assert set(document.lines.values_list("status", flat=True)) == {"rejected"}
    assert StockSnapshot.objects.get(pk=document.pk).status == StockSnapshot.Status.RECONCILED


@requires_postgres
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_people_creating_the_same_warehouse_code_at_once_get_one_warehouse_and_one_400(
    actor, monkeypatch
):
    """The first creator is held before its audit entry (after its insert) for up to 3 s,
    so the second passes the "code free?" check and runs into the unique index."""
    from dispatch.exceptions import InvalidDispatchInput
    from dispatch.models import Warehouse
    from dispatch.services import setup
    from rbac.models import SalesRegion

    region = SalesRegion.objects.get(code="east")
    meeting = threading.Barrier(2)
    real_audit = setup.audit

    def audit_after_meeting(**kwargs):
        with contextlib.suppress(threading.BrokenBarrierError):
            meeting.wait(timeout=3)
        return real_audit(**kwargs)

    monkeypatch.setattr(setup, "audit", audit_after_meeting)
    outcomes, crashes = [], []

    def create() -> None:
        try:
            services.warehouse_save(
                actor=actor,
                code="WH-RACE",
                name="并发仓",
                type=Warehouse.Type.REGIONAL,
                region=region,
                address="上海",
                contact_name="张三",
                contact_phone="021-1",
            )
            outcomes.append("created")
        except InvalidDispatchInput as exc:
            outcomes.append(sorted(exc.fields))
        except Exception as exc:  # noqa: BLE001 - any other failure fails the test below
            crashes.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=create) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert crashes == []
    assert sorted(outcomes, key=str) == [["code"], "created"]
    assert Warehouse.objects.filter(code="WH-RACE").count() == 1
