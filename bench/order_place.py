"""Order placement through the HTTP API against gunicorn on PostgreSQL.

Run from the project root::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/mall .venv/bin/python bench/order_place.py

It creates (once) and migrates a scratch database (``mall_bench_checkout`` by default)
on the server of ``DATABASE_URL``, makes an on-shelf SKU with plenty of stock in one
warehouse covering 上海 and ``max(--clients)`` members with bearer tokens, then starts
gunicorn (``--gunicorn-workers`` processes) on that database and, for each client
count of ``--clients`` (1, 4, 16), runs in the same run:

* **placement**: every client posts ``--requests`` orders of 1 unit
  (``POST /api/v1/store/orders/`` with an ``Idempotency-Key``): the full money path —
  validation, price calculation, risk hook, order + lines, stock lock through the
  ledger, unpaid clock, timeline, audit entry, idempotency record;
* **baseline**: every client reads its own profile ``--requests`` times
  (``GET /api/v1/store/me/``: token authentication, one selector, JSON).

It prints p50/p95 latency and requests per second of both, their ratio, and checks
the outcome: every placement answered 201, no 5xx, reserved stock equals the orders
placed, the stock ledger matches (``stock_ledger_mismatches``).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

ADDRESS = {
    "name": "压测",
    "phone": "13900000000",
    "province": "上海",
    "city": "上海市",
    "district": "浦东新区",
    "detail": "压测路 1 号",
}


def _bench_database_url(base_url: str, name: str) -> str:
    parts = urlsplit(base_url)
    if not parts.scheme.startswith("postgres"):
        raise SystemExit("bench/order_place.py needs DATABASE_URL=postgres://… (PostgreSQL)")
    return urlunsplit(parts._replace(path=f"/{name}"))


def _ensure_database(base_url: str, name: str) -> None:
    import psycopg2
    from psycopg2 import sql

    parts = urlsplit(base_url)
    connection = psycopg2.connect(urlunsplit(parts._replace(path="/postgres")))
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
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def _fixture(units: int, members: int):
    """An on-shelf SKU with ``units`` in a warehouse covering 上海; members with tokens."""
    from catalog import services as catalog_services
    from catalog.models import Category, Product
    from dispatch import services
    from dispatch.models import CoverageArea, Warehouse
    from mall.core.actors import system_actor
    from members.services import member_register, member_token_issue
    from orders.models import SalesChannel
    from rbac.models import Province, SalesRegion

    actor = system_actor()
    SalesChannel.objects.get_or_create(
        code="own_store", defaults={"name": "自营商城", "kind": SalesChannel.Kind.OWN_STORE}
    )
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
        code=f"BENCH-OP-{stamp}",
        title=f"下单压测商品 {stamp}",
        category=category,
        owner=owner,
        skus=[{"code": f"BENCH-ORDER-{stamp}", "price_amount": "128.00", "weight_grams": 500}],
    )
    # A benchmark fixture, not a workflow: the listing review is not what is measured.
    Product.objects.filter(pk=product.pk).update(status=Product.Status.ON_SHELF)
    sku = product.skus.get()
    shanghai = Province.objects.resolve("上海")
    warehouse = Warehouse.objects.filter(code="WH-BENCH-OP").first() or services.warehouse_save(
        actor=actor,
        code="WH-BENCH-OP",
        name="下单压测仓",
        type=Warehouse.Type.CENTRAL,
        region=SalesRegion.objects.get(code="east"),
        address="上海",
        contact_name="压测",
        contact_phone="000",
    )
    if not CoverageArea.objects.filter(warehouse=warehouse, province=shanghai).exists():
        services.coverage_area_save(
            actor=actor, warehouse=warehouse, province=shanghai, tier=1, promised_days=1
        )
    document = services.purchase_inbound_create(
        actor=actor, warehouse=warehouse, lines=[(sku.code, units)]
    )
    services.purchase_inbound_arrive(actor=actor, document=document)
    tokens = []
    for number in range(members):
        phone = f"135{int(time.time()) % 100000:05d}{number:03d}"
        member = member_register(actor=None, phone=phone, password="bench-pass-2026")  # noqa: S106 - scratch db
        tokens.append(member_token_issue(actor=member, member=member))
    return sku, warehouse, tokens


def _start_gunicorn(database_url: str, port: int, workers: int) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DJANGO_DEBUG": "0",
        "LOG_LEVEL": "WARNING",
    }
    env.pop("MALL_DEMO", None)
    process = subprocess.Popen(
        [
            str(ROOT / ".venv" / "bin" / "gunicorn"),
            "mall.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health/", timeout=2)
            return process
        except urllib.error.HTTPError:
            return process  # it answers (503 when the broker is down): good enough
        except OSError:
            time.sleep(0.5)
    process.kill()
    raise SystemExit("gunicorn did not start: " + process.stderr.read().decode()[-2000:])


def _request(url: str, token: str, body: dict | None, key: str | None) -> tuple[int, float]:
    headers = {"Authorization": f"Bearer {token}", "X-Device-Id": "bench"}
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    if key:
        headers["Idempotency-Key"] = key
    request = urllib.request.Request(url, data=data, headers=headers)  # noqa: S310 - http://127.0.0.1
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=60) as answer:  # noqa: S310 - our URL
            answer.read()
            status = answer.status
    except urllib.error.HTTPError as error:
        error.read()
        status = error.code
    return status, time.perf_counter() - started


def _run(clients: int, requests: int, call) -> dict:
    """``clients`` threads each making ``requests`` calls; latency and throughput."""
    latencies: list[float] = []
    statuses: list[int] = []
    lock = threading.Lock()
    barrier = threading.Barrier(clients + 1)

    def client(number: int) -> None:
        barrier.wait()
        for index in range(requests):
            status, seconds = call(number, index)
            with lock:
                latencies.append(seconds)
                statuses.append(status)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    ordered = sorted(latencies)
    return {
        "requests": len(latencies),
        "per_second": round(len(latencies) / elapsed, 1),
        "p50_ms": round(statistics.median(ordered) * 1000, 1),
        "p95_ms": round(ordered[max(0, int(len(ordered) * 0.95) - 1)] * 1000, 1),
        "statuses": {str(s): statuses.count(s) for s in sorted(set(statuses))},
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", default="1,4,16", help="client counts (default 1,4,16)")
    parser.add_argument("--requests", type=int, default=40, help="requests per client (40)")
    parser.add_argument("--gunicorn-workers", type=int, default=4, help="gunicorn workers (4)")
    parser.add_argument("--port", type=int, default=8791)
    parser.add_argument("--database", default="mall_bench_checkout", help="scratch database")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    counts = [int(c) for c in args.clients.split(",") if c.strip()]

    base_url = os.environ.get("DATABASE_URL", "")
    database_url = _bench_database_url(base_url, args.database)
    _ensure_database(base_url, args.database)
    _setup_django(database_url)

    from django.db import connection

    from dispatch.models import Stock
    from dispatch.selectors import stock_ledger_mismatches
    from mall.core.actors import system_actor

    total_orders = sum(counts) * args.requests
    sku, warehouse, tokens = _fixture(total_orders + 1000, max(counts))
    connection.close()
    server = _start_gunicorn(database_url, args.port, args.gunicorn_workers)
    base = f"http://127.0.0.1:{args.port}"
    run_id = time.strftime("%H%M%S")
    rows = []
    try:
        _request(f"{base}/api/v1/store/me/", tokens[0], None, None)  # warm up
        for clients in counts:

            def place(number: int, index: int, clients=clients) -> tuple[int, float]:
                body = {"address": ADDRESS, "lines": [{"sku": sku.code, "quantity": 1}]}
                key = f"bench-{run_id}-{clients}-{number}-{index}"
                return _request(f"{base}/api/v1/store/orders/", tokens[number], body, key)

            def me(number: int, index: int) -> tuple[int, float]:
                return _request(f"{base}/api/v1/store/me/", tokens[number], None, None)

            baseline = _run(clients, args.requests, me)
            placement = _run(clients, args.requests, place)
            rows.append(
                {
                    "clients": clients,
                    "placement": placement,
                    "baseline": baseline,
                    "ratio_p95": round(placement["p95_ms"] / baseline["p95_ms"], 2),
                    "ratio_rate": round(placement["per_second"] / baseline["per_second"], 3),
                }
            )
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)

    placed = sum(row["placement"]["statuses"].get("201", 0) for row in rows)
    stock = Stock.objects.get(warehouse=warehouse, sku=sku)
    mismatches = stock_ledger_mismatches(actor=system_actor())
    errors = sum(
        count
        for row in rows
        for part in ("placement", "baseline")
        for status, count in row[part]["statuses"].items()
        if int(status) >= 500
    )
    ok = placed == total_orders and stock.reserved == placed and not mismatches and not errors
    figures = {
        "gunicorn_workers": args.gunicorn_workers,
        "requests_per_client": args.requests,
        "rows": rows,
        "orders_placed": placed,
        "reserved": stock.reserved,
        "server_errors": errors,
        "ledger_mismatches": len(mismatches),
        "ok": ok,
    }
    if args.json:
        print(json.dumps(figures, indent=2))
    else:
        print(
            f"order placement via gunicorn ({args.gunicorn_workers} workers), "
            f"{args.requests} requests per client"
        )
        print("  clients | place p50 / p95 ms | orders/s | me p50 / p95 ms | reads/s | p95 ×")
        for row in rows:
            p, b = row["placement"], row["baseline"]
            print(
                f"  {row['clients']:>7} | {p['p50_ms']:>7} / {p['p95_ms']:<8} | "
                f"{p['per_second']:>8} | {b['p50_ms']:>6} / {b['p95_ms']:<7} | "
                f"{b['per_second']:>7} | {row['ratio_p95']}"
            )
        print(
            f"  placed {placed} of {total_orders}; reserved {stock.reserved}; "
            f"5xx {errors}; ledger mismatches {len(mismatches)}"
        )
        print("  result: " + ("OK" if ok else "FAILED"))
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
