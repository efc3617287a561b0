"""Flash-sale benchmark: many concurrent allocations of one SKU on PostgreSQL.

Run from the project root::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/mall .venv/bin/python bench/flash_sale.py

It creates (once) and migrates a scratch database (``mall_bench`` by default, on the
server of ``DATABASE_URL``), puts ``--stock`` units of a fresh SKU into one
warehouse and fires ``--orders`` allocations of one unit each from ``--workers``
threads, all released together by a barrier. Then it measures the baseline: the
same number of raw conditional ``UPDATE`` statements (the bare stock lock with no
planning, no shipments, no ledger, no audit) against a fresh stock row with the
same units, from the same threads, in the same run. It prints both rates, their
ratio, and the oversell checks (successes = stock, no row with reserved > on hand,
ledger matches the stock rows).

The number of simultaneous database sessions is the thread count (PostgreSQL's
``max_connections`` is usually 100), so "500 concurrent buyers" means 500 orders
racing through a pool of ``--workers`` connections.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _bench_database_url(base_url: str, name: str) -> str:
    parts = urlsplit(base_url)
    if not parts.scheme.startswith("postgres"):
        raise SystemExit("bench/flash_sale.py needs DATABASE_URL=postgres://… (PostgreSQL)")
    return urlunsplit(parts._replace(path=f"/{name}"))


def _ensure_database(base_url: str, name: str) -> None:
    import psycopg2
    from psycopg2 import sql

    parts = urlsplit(base_url)
    admin_url = urlunsplit(parts._replace(path="/postgres"))
    connection = psycopg2.connect(admin_url)
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
            if cursor.fetchone() is None:
                cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    finally:
        connection.close()


def _setup_django(database_url: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mall.settings")
    os.environ.setdefault("MALL_DEMO", "1")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def _fixture(units: int):
    """A fresh SKU and two fresh stock rows (allocations, baseline) of ``units`` each."""
    from catalog import services as catalog_services
    from catalog.models import Category
    from dispatch import services
    from dispatch.models import CoverageArea, Stock, Warehouse
    from mall.core.actors import system_actor
    from rbac.models import Province, SalesRegion

    actor = system_actor()
    owner, _created = actor.__class__.objects.get_or_create(
        username="bench_owner", defaults={"is_staff": True}
    )
    category = Category.objects.filter(code="bench-leaf").first()
    if category is None:
        root = catalog_services.category_seed(actor=actor, code="bench-root", name="压测")
        middle = catalog_services.category_seed(
            actor=actor, code="bench-mid", name="压测二级", parent=root
        )
        category = catalog_services.category_seed(
            actor=actor, code="bench-leaf", name="压测三级", parent=middle
        )
    stamp = time.strftime("%Y%m%d%H%M%S")
    product = catalog_services.product_create(
        actor=actor,
        code=f"BENCH-P-{stamp}",
        title=f"秒杀压测商品 {stamp}",
        category=category,
        owner=owner,
        skus=[{"code": f"BENCH-FLASH-{stamp}", "price_amount": "1.00"}],
    )
    sku = product.skus.get()
    east = SalesRegion.objects.get(code="east")
    shanghai = Province.objects.resolve("上海")
    warehouses = {}
    for code in ("WH-BENCH", "WH-BENCH-BASE"):
        warehouse = Warehouse.objects.filter(code=code).first() or services.warehouse_save(
            actor=actor,
            code=code,
            name=f"压测仓 {code}",
            type=Warehouse.Type.CENTRAL,
            region=east,
            address="上海",
            contact_name="压测",
            contact_phone="000",
        )
        warehouses[code] = warehouse
    # Only WH-BENCH covers 上海 for this run's allocations; the baseline row sits apart.
    if not CoverageArea.objects.filter(
        warehouse=warehouses["WH-BENCH"], province=shanghai
    ).exists():
        services.coverage_area_save(
            actor=actor,
            warehouse=warehouses["WH-BENCH"],
            province=shanghai,
            tier=1,
            promised_days=1,
        )
    for warehouse in warehouses.values():
        document = services.purchase_inbound_create(
            actor=actor, warehouse=warehouse, lines=[(sku.code, units)]
        )
        services.purchase_inbound_arrive(actor=actor, document=document)
    baseline_stock = Stock.objects.get(warehouse=warehouses["WH-BENCH-BASE"], sku=sku)
    return actor, sku, baseline_stock


def _race(workers: int, jobs: int, work) -> tuple[float, list]:
    """Run ``work(i)`` for ``jobs`` items from ``workers`` threads; return seconds, results."""
    from django.db import connection

    results: list = [None] * jobs
    counter = iter(range(jobs))
    lock = threading.Lock()
    barrier = threading.Barrier(workers + 1)

    def worker() -> None:
        try:
            connection.ensure_connection()
            barrier.wait()
            while True:
                with lock:
                    index = next(counter, None)
                if index is None:
                    return
                results[index] = work(index)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(workers)]
    for thread in threads:
        thread.start()
    barrier.wait()  # every thread holds its connection: start the clock
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started, results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=500, help="allocations (default 500)")
    parser.add_argument("--stock", type=int, default=100, help="units on hand (default 100)")
    parser.add_argument("--workers", type=int, default=32, help="threads / sessions (default 32)")
    parser.add_argument("--database", default="mall_bench", help="scratch database name")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()

    base_url = os.environ.get("DATABASE_URL", "")
    database_url = _bench_database_url(base_url, args.database)
    _ensure_database(base_url, args.database)
    _setup_django(database_url)

    from django.db import connection
    from django.db.models import F

    from dispatch import services
    from dispatch.exceptions import OutOfStock
    from dispatch.models import Allocation, Stock
    from dispatch.selectors import stock_ledger_mismatches
    from mall.core.actors import system_actor

    actor, sku, baseline_stock = _fixture(args.stock)
    prefix = f"BENCH{time.strftime('%H%M%S')}-"

    def allocate(index: int) -> str:
        try:
            services.allocate(
                actor=actor, order_no=f"{prefix}{index:05d}", province="上海", lines=[(sku.code, 1)]
            )
        except OutOfStock:
            return "out_of_stock"
        except Exception as exc:  # noqa: BLE001 - counted and reported, never hidden
            return f"error: {exc!r}"
        return "allocated"

    def raw_update(index: int) -> str:
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE dispatch_stock SET reserved = reserved + 1 "
                "WHERE id = %s AND on_hand - reserved >= 1",
                [baseline_stock.pk],
            )
            return "allocated" if cursor.rowcount == 1 else "out_of_stock"

    allocation_seconds, outcomes = _race(args.workers, args.orders, allocate)
    baseline_seconds, baseline_outcomes = _race(args.workers, args.orders, raw_update)
    connection.close()

    stock = Stock.objects.get(warehouse__code="WH-BENCH", sku=sku)
    baseline_stock.refresh_from_db()
    errors = [o for o in outcomes if o and o.startswith("error")]
    succeeded = outcomes.count("allocated")
    # The baseline row is changed behind the ledger on purpose; check the others.
    ledger = [
        p
        for p in stock_ledger_mismatches(actor=system_actor())
        if p["warehouse"] != "WH-BENCH-BASE"
    ]
    figures = {
        "orders": args.orders,
        "stock": args.stock,
        "workers": args.workers,
        "allocated": succeeded,
        "out_of_stock": outcomes.count("out_of_stock"),
        "errors": len(errors),
        "allocations_per_second": round(args.orders / allocation_seconds, 1),
        "allocation_seconds": round(allocation_seconds, 3),
        "baseline_updates_per_second": round(args.orders / baseline_seconds, 1),
        "baseline_seconds": round(baseline_seconds, 3),
        "baseline_succeeded": baseline_outcomes.count("allocated"),
        "ratio_allocation_to_baseline": round(baseline_seconds / allocation_seconds, 3),
        "reserved": stock.reserved,
        "on_hand": stock.on_hand,
        "allocations_in_database": Allocation.objects.filter(order_no__startswith=prefix).count(),
        "oversold": stock.reserved > stock.on_hand or succeeded > args.stock,
        "over_reserved_rows": Stock.objects.filter(reserved__gt=F("on_hand")).count(),
        "ledger_mismatches": len(ledger),
    }
    ok = (
        not figures["oversold"]
        and figures["errors"] == 0
        and succeeded == min(args.orders, args.stock)
        and figures["allocations_in_database"] == succeeded
        and stock.reserved == succeeded
        and figures["ledger_mismatches"] == 0
        and figures["baseline_succeeded"] == min(args.orders, args.stock)
    )
    figures["ok"] = ok
    if args.json:
        print(json.dumps(figures, indent=2))
    else:
        print(
            f"flash sale: {args.orders} allocations of 1 unit, {args.stock} in stock, "
            f"{args.workers} concurrent sessions"
        )
        print(
            f"  allocate(): {figures['allocations_per_second']:>8} allocations/s "
            f"({figures['allocation_seconds']} s) — {succeeded} allocated, "
            f"{figures['out_of_stock']} out_of_stock, {len(errors)} errors"
        )
        print(
            f"  baseline  : {figures['baseline_updates_per_second']:>8} raw UPDATEs/s "
            f"({figures['baseline_seconds']} s)"
        )
        print(
            f"  ratio     : allocate() runs at {figures['ratio_allocation_to_baseline']:.1%} "
            "of the bare conditional UPDATE rate"
        )
        print(
            f"  oversold  : {figures['oversold']} (reserved {stock.reserved} of on hand "
            f"{stock.on_hand}); rows with reserved > on hand: {figures['over_reserved_rows']}; "
            f"ledger mismatches: {figures['ledger_mismatches']}"
        )
        print("  result    : " + ("OK" if ok else "FAILED"))
        for error in errors[:5]:
            print("   ", error)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
