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

**The stampede through the HTTP API** (``--part http``; ``--part both``, the
default, runs the allocation part first): ``--buyers`` distinct members (2,000) with
bearer tokens want one unit each of a flash-sale session holding ``--units`` (100)
of one SKU. gunicorn (``--gunicorn-workers``) serves the project on the scratch
database with ``REDIS_URL`` passed through (the Redis gate of docs/FLASH_SALE.md; without
``REDIS_URL`` every request takes the database path). ``--clients`` threads post
``POST /api/v1/store/orders/`` with ``"flash_session"`` (each buyer once, with an
``Idempotency-Key``), all released together. It prints successful orders/s (winners
÷ the time until the last winner was answered), answered requests/s, p50/p95
latency of winners (201) and of losers (409), the answers by status and error code,
and beside them the raw conditional ``UPDATE`` rate of the same database in the same
run (``--buyers`` bare ``UPDATE … WHERE sold + 1 <= quota`` statements on a scratch
counter row with ``--units``, from ``--clients`` threads). Checks: winners = units
sold = orders in the database = the session's units, no member above the limit, no
row sold above its quota (0 oversold), 0 5xx, stock reserved = units sold, ledger
verified.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres REDIS_URL=redis://127.0.0.1:6379/4 \
        .venv/bin/python bench/flash_sale.py --part http   # --buyers 2000 --units 100
"""

from __future__ import annotations

import argparse
import json
import os
import signal
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
    parser.add_argument(
        "--part",
        choices=["allocation", "http", "both"],
        default="both",
        help="allocation (dispatch), http (the stampede through the API) or both",
    )
    parser.add_argument("--orders", type=int, default=500, help="allocations (default 500)")
    parser.add_argument("--stock", type=int, default=100, help="units on hand (default 100)")
    parser.add_argument("--workers", type=int, default=32, help="threads / sessions (default 32)")
    parser.add_argument("--buyers", type=int, default=2000, help="HTTP: buyers (default 2000)")
    parser.add_argument("--units", type=int, default=100, help="HTTP: session units (100)")
    parser.add_argument("--clients", type=int, default=64, help="HTTP: client threads (64)")
    parser.add_argument("--gunicorn-workers", type=int, default=4, help="HTTP: gunicorn workers")
    parser.add_argument("--port", type=int, default=8794, help="HTTP: gunicorn port")
    parser.add_argument("--database", default="mall_bench", help="scratch database name")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()

    base_url = os.environ.get("DATABASE_URL", "")
    database_url = _bench_database_url(base_url, args.database)
    _ensure_database(base_url, args.database)
    _setup_django(database_url)

    ok = True
    if args.part in ("allocation", "both"):
        ok = allocation_part(args) and ok
    if args.part in ("http", "both"):
        ok = http_part(args, database_url) and ok
    return 0 if ok else 1


def allocation_part(args) -> bool:
    """The allocation race beside the bare conditional UPDATE (the original benchmark)."""
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
    return ok


# --- the stampede through the HTTP API -------------------------------------------------

ADDRESS = {
    "name": "压测",
    "phone": "13900000000",
    "province": "上海",
    "city": "上海市",
    "district": "浦东新区",
    "detail": "压测路 1 号",
}


def _http_fixture(units: int, buyers: int):
    """An on-shelf SKU with ``units`` in a warehouse covering 上海, a running session of
    ``units`` of it (created, approved by another person, opened), ``buyers`` members
    with bearer tokens, and a scratch counter row for the baseline."""
    from datetime import timedelta
    from decimal import Decimal

    from django.contrib.auth.hashers import make_password
    from django.utils import timezone

    from catalog import services as catalog_services
    from catalog.models import Category, Product
    from dispatch import services
    from dispatch.models import CoverageArea, Warehouse
    from mall.core.actors import system_actor
    from members.models import Member
    from members.services import member_register, member_token_issue
    from orders.models import FlashSessionItem, SalesChannel
    from orders.promotions import flash
    from rbac.models import Province, SalesRegion

    actor = system_actor()
    SalesChannel.objects.get_or_create(
        code="own_store", defaults={"name": "自营商城", "kind": SalesChannel.Kind.OWN_STORE}
    )
    user_model = actor.__class__
    people = {}
    for username in ("bench_owner", "bench_marketing", "bench_lead"):
        people[username], _created = user_model.objects.get_or_create(
            username=username, defaults={"is_staff": True, "is_superuser": True}
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
        code=f"BENCH-FS-{stamp}",
        title=f"秒杀压测商品 {stamp}",
        category=category,
        owner=people["bench_owner"],
        skus=[{"code": f"BENCH-FS-{stamp}", "price_amount": "128.00", "weight_grams": 500}],
    )
    # A benchmark fixture, not a workflow: the listing review is not what is measured.
    Product.objects.filter(pk=product.pk).update(status=Product.Status.ON_SHELF)
    sku = product.skus.get()
    shanghai = Province.objects.resolve("上海")
    warehouse = Warehouse.objects.filter(code="WH-BENCH-FS").first() or services.warehouse_save(
        actor=actor,
        code="WH-BENCH-FS",
        name="秒杀压测仓",
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

    starts = timezone.now() - timedelta(minutes=1)
    session = flash.flash_session_create(
        actor=people["bench_marketing"],
        name=f"压测秒杀 {stamp}",
        starts_at=starts,
        ends_at=starts + timedelta(hours=2),
        unpaid_minutes=5,
        items=[{"sku": sku, "flash_price": Decimal("9.90"), "quota": units, "per_member_limit": 1}],
    )
    flash.flash_session_submit(actor=people["bench_marketing"], session=session)
    flash.flash_session_approve(actor=people["bench_lead"], session=session)
    flash.flash_session_open(actor=actor, session=session)
    item = FlashSessionItem.objects.get(session=session)

    # One password hash for all (hashing 2,000 passwords is not what is measured).
    password_hash = make_password("bench-pass-2026")
    first = Member.objects.count()
    tokens = []
    for number in range(buyers):
        member = member_register(
            actor=actor, phone=f"139{first + number:08d}", password_hash=password_hash
        )
        tokens.append(member_token_issue(actor=member, member=member))
    # The baseline's counter: a scratch session item of its own, same quota.
    baseline = flash.flash_session_create(
        actor=people["bench_marketing"],
        name=f"压测基线 {stamp}",
        starts_at=starts + timedelta(days=1),
        ends_at=starts + timedelta(days=1, hours=2),
        unpaid_minutes=5,
        items=[{"sku": sku, "flash_price": Decimal("9.80"), "quota": units, "per_member_limit": 1}],
    )
    baseline_item = FlashSessionItem.objects.get(session=baseline)
    return sku, warehouse, session, item, baseline_item, tokens


def _start_gunicorn(database_url: str, port: int, workers: int) -> subprocess.Popen:
    import tempfile

    env = {**os.environ, "DATABASE_URL": database_url, "DJANGO_DEBUG": "0", "LOG_LEVEL": "WARNING"}
    env.pop("MALL_DEMO", None)
    # The server's log goes to a file: 1,900 "409 Conflict" warnings would fill a pipe
    # nobody reads and block every worker on its write.
    log = tempfile.NamedTemporaryFile(  # noqa: SIM115 - the server writes it until killed
        prefix="flash-bench-gunicorn-", suffix=".log", delete=False
    )
    process = subprocess.Popen(
        [
            str(ROOT / ".venv" / "bin" / "gunicorn"),
            "mall.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--backlog",
            "4096",
            "--timeout",
            "120",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log,
        start_new_session=True,
    )
    process.log_path = log.name
    deadline = time.time() + 90
    while time.time() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health/", timeout=2)
            return process
        except urllib.error.HTTPError:
            return process  # it answers (503 when a dependency is down): good enough
        except OSError:
            time.sleep(0.5)
    process.kill()
    raise SystemExit("gunicorn did not start: " + Path(log.name).read_text()[-2000:])


def _post(url: str, token: str, body: dict, key: str) -> tuple[int, str, float]:
    request = urllib.request.Request(  # noqa: S310 - http://127.0.0.1
        url,
        data=json.dumps(body).encode(),
        headers={
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/json",
            "Idempotency-Key": key,
            "X-Device-Id": "bench",
        },
    )
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=120) as answer:  # noqa: S310 - our URL
            answer.read()
            status, code = answer.status, ""
    except urllib.error.HTTPError as error:
        raw = error.read()
        status = error.code
        try:
            code = json.loads(raw).get("code") or json.loads(raw).get("error", {}).get("code", "")
        except (ValueError, AttributeError):
            code = ""
    except OSError as error:  # refused / reset: counted, never hidden
        return 0, type(error).__name__, time.perf_counter() - started
    return status, str(code or ""), time.perf_counter() - started


def _p(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[max(0, round(len(ordered) * q) - 1)] * 1000, 1)


def http_part(args, database_url: str) -> bool:
    """2,000 buyers, 100 units, one SKU, through gunicorn; the raw UPDATE beside it."""
    from django.db import connection
    from django.db.models import F, Max, Sum

    from dispatch.models import Stock
    from dispatch.selectors import stock_ledger_mismatches
    from mall.core.actors import system_actor
    from orders.models import FlashPurchase, FlashSessionItem, Order

    print(f"flash sale via HTTP: preparing {args.buyers} buyers …", flush=True)
    sku, warehouse, session, item, baseline_item, tokens = _http_fixture(args.units, args.buyers)
    connection.close()
    server = _start_gunicorn(database_url, args.port, args.gunicorn_workers)
    base = f"http://127.0.0.1:{args.port}"
    run_id = time.strftime("%H%M%S")
    answers: list[tuple[int, str, float, float]] = [None] * args.buyers  # type: ignore[list-item]
    counter = iter(range(args.buyers))
    lock = threading.Lock()
    barrier = threading.Barrier(args.clients + 1)
    body = {
        "address": ADDRESS,
        "lines": [{"sku": sku.code, "quantity": 1}],
        "flash_session": session.pk,
    }

    def client() -> None:
        barrier.wait()
        while True:
            with lock:
                index = next(counter, None)
            if index is None:
                return
            status, code, seconds = _post(
                f"{base}/api/v1/store/orders/", tokens[index], body, f"fs-{run_id}-{index}"
            )
            answers[index] = (status, code, seconds, time.perf_counter())

    try:
        urllib.request.urlopen(f"{base}/api/v1/store/flash-sessions/", timeout=60).read()  # noqa: S310
        threads = [threading.Thread(target=client) for _ in range(args.clients)]
        for thread in threads:
            thread.start()
        barrier.wait()
        started = time.perf_counter()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - started
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=60)

    # The baseline: the bare conditional UPDATE of a counter row, same threads, same run.
    def raw_update(index: int) -> str:
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE orders_flashsessionitem SET sold = sold + 1 "
                "WHERE id = %s AND sold + 1 <= quota",
                [baseline_item.pk],
            )
            return "ok" if cursor.rowcount == 1 else "refused"

    baseline_seconds, baseline_outcomes = _race(args.clients, args.buyers, raw_update)
    connection.close()

    winners = [a for a in answers if a and a[0] == 201]
    losers = [a for a in answers if a and a[0] == 409]
    server_errors = [a for a in answers if a and a[0] >= 500]
    failed = [a for a in answers if not a or a[0] == 0]
    by_answer: dict[str, int] = {}
    for status, code, _seconds, _at in (a for a in answers if a):
        key = f"{status} {code}".strip()
        by_answer[key] = by_answer.get(key, 0) + 1
    last_winner = max((a[3] for a in winners), default=started) - started
    item.refresh_from_db()
    stock = Stock.objects.get(warehouse=warehouse, sku=sku)
    orders = Order.objects.filter(flash_session=session).count()
    purchases = FlashPurchase.objects.filter(item=item)
    most_by_one = purchases.aggregate(most=Max("quantity"))["most"] or 0
    bought = purchases.aggregate(total=Sum("quantity"))["total"] or 0
    ledger = [
        p for p in stock_ledger_mismatches(actor=system_actor()) if p["warehouse"] == warehouse.code
    ]
    oversold_rows = FlashSessionItem.objects.filter(sold__gt=F("quota")).count()
    figures = {
        "buyers": args.buyers,
        "units": args.units,
        "quota": item.quota,
        "clients": args.clients,
        "gunicorn_workers": args.gunicorn_workers,
        "gate": bool(os.environ.get("REDIS_URL") or os.environ.get("FLASH_GATE_REDIS_URL")),
        "seconds": round(elapsed, 3),
        "winners": len(winners),
        "losers": len(losers),
        "answers": dict(sorted(by_answer.items())),
        "server_errors": len(server_errors),
        "unanswered": len(failed),
        "orders_per_second": round(len(winners) / last_winner, 1) if winners else 0.0,
        "seconds_to_last_winner": round(last_winner, 3),
        "requests_per_second": round(args.buyers / elapsed, 1),
        "winner_p50_ms": _p([a[2] for a in winners], 0.5),
        "winner_p95_ms": _p([a[2] for a in winners], 0.95),
        "loser_p50_ms": _p([a[2] for a in losers], 0.5),
        "loser_p95_ms": _p([a[2] for a in losers], 0.95),
        "baseline_updates_per_second": round(args.buyers / baseline_seconds, 1),
        "baseline_seconds": round(baseline_seconds, 3),
        "baseline_succeeded": baseline_outcomes.count("ok"),
        "sold": item.sold,
        "held": item.held,
        "orders_in_database": orders,
        "units_bought_by_members": bought,
        "most_units_by_one_member": most_by_one,
        "stock_reserved": stock.reserved,
        "stock_on_hand": stock.on_hand,
        "oversold": item.sold > item.quota or orders > item.quota or oversold_rows > 0,
        "ledger_mismatches": len(ledger),
    }
    figures["orders_per_second_vs_raw_update"] = (
        round(figures["orders_per_second"] / figures["baseline_updates_per_second"], 4)
        if figures["baseline_updates_per_second"]
        else None
    )
    ok = (
        not figures["oversold"]
        and not server_errors
        and not failed
        and len(winners) == min(args.buyers, item.quota)
        and len(winners) + len(losers) == args.buyers
        and item.sold == len(winners) == orders == bought
        and most_by_one <= 1
        and stock.reserved == item.sold
        and not ledger
        and figures["baseline_succeeded"] == min(args.buyers, args.units)
    )
    figures["ok"] = ok
    if args.json:
        print(json.dumps(figures, indent=2, ensure_ascii=False))
        return ok
    print(
        f"flash sale via HTTP: {args.buyers} buyers, {item.quota} units, {args.clients} clients, "
        f"gunicorn {args.gunicorn_workers} workers, Redis gate "
        f"{'on' if figures['gate'] else 'off'}"
    )
    print(
        f"  winners   : {len(winners)} orders in {figures['seconds_to_last_winner']} s → "
        f"{figures['orders_per_second']} orders/s; p50 / p95 "
        f"{figures['winner_p50_ms']} / {figures['winner_p95_ms']} ms"
    )
    print(
        f"  losers    : {len(losers)}; p50 / p95 {figures['loser_p50_ms']} / "
        f"{figures['loser_p95_ms']} ms"
    )
    print(
        f"  answered  : {args.buyers} in {figures['seconds']} s → "
        f"{figures['requests_per_second']} requests/s; {figures['answers']}"
    )
    print(
        f"  baseline  : {figures['baseline_updates_per_second']} raw conditional UPDATEs/s "
        f"({figures['baseline_seconds']} s, {figures['baseline_succeeded']} succeeded)"
    )
    print(
        f"  checks    : oversold {figures['oversold']} (sold {item.sold} of {item.quota}, "
        f"{orders} orders, held {item.held}); most by one member {most_by_one}; "
        f"5xx {len(server_errors)}; unanswered {len(failed)}; stock reserved "
        f"{stock.reserved}; ledger mismatches {len(ledger)}"
    )
    print("  result    : " + ("OK" if ok else "FAILED"))
    return ok


if __name__ == "__main__":
    raise SystemExit(main())
