"""Orders at a million: the generator, the staff order list and the admin changelist.

Run from the project root::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/mall .venv/bin/python \\
        bench/orders_million.py --orders 1000000 --seed 7

It (re)creates and migrates a scratch database (``mall_bench_orders`` by default, on
the server of ``DATABASE_URL``) and fills it with ``bench/orders_generate.py``:
``--members`` members, a small catalog, five sales channels and ``--orders`` orders
with 1–3 lines each (``COPY``, seeded with ``--seed``), then ``VACUUM ANALYZE``.
``--keep`` reuses a database an earlier run generated (no drop, no generation).

Then, through Django's test client (the whole stack: middleware, authentication,
permission, data scope, FilterSet, serializer, renderer), logged in as a staff user
whose role is scoped to sales region 华东 (east) and as a superuser:

* **staff order list** ``GET /api/v1/orders/`` unfiltered and filtered (status,
  channel, created range, ``q`` = an order number, all at once), the first page and a
  deep cursor page (``next`` followed ``--deep`` times, then that page timed), p50 /
  p95, and the query count at ``page_size`` 20 and 200 (must be equal);
* **admin order changelist** ``/admin/orders/order/`` as superuser (table estimate)
  and as the east user (capped count), a filtered tab and a search by order number;
  every SELECT of each page is run through ``EXPLAIN`` and sequential scans of the
  big tables are reported.

The baseline, timed in the same run and alternating with the pages: the primary-key
lookup of one order through the ORM (one indexed round trip). Each figure is printed
beside it with their ratio. The exit status is 0 when every scoped, filtered list
page has p95 under ``--target`` ms (100), equal query counts at both page sizes and
no changelist ran ``COUNT(*)`` over the whole table.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BIG_TABLES = ("orders_order", "orders_orderline", "members_member")


def _bench_database_url(base_url: str, name: str) -> str:
    parts = urlsplit(base_url)
    if not parts.scheme.startswith("postgres"):
        raise SystemExit("bench/orders_million.py needs DATABASE_URL=postgres://… (PostgreSQL)")
    return urlunsplit(parts._replace(path=f"/{name}"))


def _admin_connection(base_url: str):
    import psycopg2

    parts = urlsplit(base_url)
    connection = psycopg2.connect(urlunsplit(parts._replace(path="/postgres")))
    connection.autocommit = True
    return connection


def _ensure_database(base_url: str, name: str, *, drop: bool) -> None:
    from psycopg2 import sql

    connection = _admin_connection(base_url)
    try:
        with connection.cursor() as cursor:
            if drop:
                cursor.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
            if cursor.fetchone() is None:
                cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    finally:
        connection.close()


def _set_random_page_cost(base_url: str, name: str, value: float | None) -> None:
    """``ALTER DATABASE … SET random_page_cost`` (``None``: back to the server's value)."""
    from psycopg2 import sql

    connection = _admin_connection(base_url)
    try:
        with connection.cursor() as cursor:
            if value is None:
                statement = "ALTER DATABASE {} RESET random_page_cost"
                cursor.execute(sql.SQL(statement).format(sql.Identifier(name)))
            else:
                statement = "ALTER DATABASE {} SET random_page_cost = {}"
                cursor.execute(
                    sql.SQL(statement).format(sql.Identifier(name), sql.Literal(str(value)))
                )
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


# --- users ------------------------------------------------------------------------------


def _users():
    """The superuser and the staff member whose role is scoped to 华东 (east)."""
    from django.contrib.auth import get_user_model

    from bench.orders_generate import bench_superuser
    from rbac.models import SalesRegion, ScopeKind
    from rbac.services.roles import role_assign, role_create

    user_model = get_user_model()
    root = bench_superuser()
    east = user_model.objects.filter(username="bench_orders_east").first()
    if east is None:
        east = user_model.objects.create_user("bench_orders_east", password=None, is_staff=True)
        role = role_create(
            actor=root,
            code="bench-orders-east",
            name="订单压测华东",
            scope_kind=ScopeKind.REGIONS,
            regions=[SalesRegion.objects.get(code="east")],
            permissions=["orders.view_order", "orders.export_order"],
        )
        role_assign(actor=root, user=east, role=role)
    return root, user_model.objects.get(pk=east.pk)


# --- timing -----------------------------------------------------------------------------


def _get(client, url: str) -> tuple[float, float, list[dict], object]:
    """One GET: (wall ms, SQL ms, the queries, the response)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    connection.queries_log.clear()  # the capture reads a bounded log (9,000 entries)
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        response = client.get(url)
        wall = (time.perf_counter() - started) * 1000
    if response.status_code != 200:
        raise SystemExit(f"GET {url} → {response.status_code}: {response.content[:300]!r}")
    sql = sum(float(query["time"]) for query in queries.captured_queries) * 1000
    return wall, sql, list(queries.captured_queries), response


def _baseline_once(order_ids: list[int], index: int) -> float:
    from orders.models import Order

    started = time.perf_counter()
    Order.objects.filter(pk=order_ids[index % len(order_ids)]).values_list("order_no").first()
    return (time.perf_counter() - started) * 1000


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, round(q * len(ordered)) - 1)]


def _summary(walls: list[float], sqls: list[float]) -> dict:
    return {
        "p50": round(statistics.median(walls), 1),
        "p95": round(_p(walls, 0.95), 1),
        "sql_p50": round(statistics.median(sqls), 1),
    }


def _time(client, url: str, requests: int, order_ids: list[int]) -> dict:
    """Time ``url`` and the baseline, alternating, after two warm-up GETs."""
    for _warm in range(2):
        _get(client, url)
        _baseline_once(order_ids, 0)
    walls, sqls, base = [], [], []
    queries = 0
    for run in range(requests):
        wall, sql, captured, _response = _get(client, url)
        walls.append(wall)
        sqls.append(sql)
        queries = len(captured)
        base.append(_baseline_once(order_ids, run + 1))
    result = _summary(walls, sqls)
    result["queries"] = queries
    result["baseline_p95"] = round(_p(base, 0.95), 2)
    result["baseline_p50"] = round(statistics.median(base), 2)
    return result


# --- plans ------------------------------------------------------------------------------


def _plans(captured: list[dict]) -> list[dict]:
    """EXPLAIN each SELECT: the ones that scan a big table sequentially, and COUNT(*)s."""
    from django.db import connection

    found = []
    with connection.cursor() as cursor:
        for query in captured:
            sql = query["sql"]
            if not sql.lstrip().upper().startswith("SELECT"):
                continue
            cursor.execute("EXPLAIN " + sql)
            plan = "\n".join(row[0] for row in cursor.fetchall())
            scans = [table for table in BIG_TABLES if f"Seq Scan on {table}" in plan]
            upper = sql.upper()
            full_count = "COUNT(" in upper and '"ORDERS_ORDER"' in upper and "LIMIT" not in upper
            if scans or full_count:
                found.append(
                    {
                        "sql": sql[:400],
                        "seq_scans": scans,
                        "full_count": full_count,
                        "plan": plan[:1500],
                    }
                )
    return found


# --- the staff order list ---------------------------------------------------------------


def _list_cases(east_channel_code: str, order_no: str, now) -> dict[str, dict]:
    week_ago = (now - timedelta(days=7)).isoformat()
    month_ago = (now - timedelta(days=30)).isoformat()
    quarter_ago = (now - timedelta(days=90)).isoformat()
    return {
        "unfiltered": {},
        "status=completed": {"status": "completed"},
        "status=shipped": {"status": "shipped"},
        "channel": {"channel": east_channel_code},
        "created last 7 days": {"created_after": week_ago},
        "created 90–30 days ago": {"created_after": quarter_ago, "created_before": month_ago},
        "status+channel+created": {
            "status": "cancelled",
            "channel": east_channel_code,
            "created_after": quarter_ago,
            "created_before": month_ago,
        },
        "tab=to_ship": {"tab": "to_ship"},
        "tab=frozen": {"tab": "frozen"},
        "q=order_no": {"q": order_no},
    }


def _deep_url(client, url: str, pages: int) -> tuple[str, int]:
    """Follow ``next`` ``pages`` times from ``url``; return the last URL and the depth."""
    depth = 0
    for _page in range(pages):
        _wall, _sql, _captured, response = _get(client, url)
        following = response.json().get("next")
        if not following:
            break
        parts = urlsplit(following)
        url = f"{parts.path}?{parts.query}"
        depth += 1
    return url, depth


def _with_page_size(url: str, size: int) -> str:
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k != "page_size"]
    return f"{parts.path}?{urlencode([*query, ('page_size', size)])}"


def _query_counts(client, url: str) -> tuple[int, int, list[dict]]:
    """Queries of ``url`` at page_size 20 and 200 (and the 20-row page's queries)."""
    _w, _s, captured_20, _r = _get(client, _with_page_size(url, 20))
    _w, _s, captured_200, _r = _get(client, _with_page_size(url, 200))
    return len(captured_20), len(captured_200), captured_20


def _measure_list(args, clients, order_ids, channel_code, order_no) -> dict:
    from django.utils import timezone

    results: dict = {}
    cases = _list_cases(channel_code, order_no, timezone.now())
    for reader, client in clients.items():
        for name, params in cases.items():
            first = f"/api/v1/orders/?{urlencode({**params, 'page_size': 20})}"
            key = f"{name} / {reader}"
            entry = {"first": _time(client, first, args.requests, order_ids)}
            # Query count at page_size 20 and 200, on the first page and (where there is
            # one) on the deep page, whose rows are older (shipped, so every prefetch runs).
            q20, q200, captured = _query_counts(client, first)
            entry["first"].update(queries_20=q20, queries_200=q200, plans=_plans(captured))
            if name != "q=order_no":
                deep, depth = _deep_url(client, first, args.deep)
                entry["deep_depth"] = depth
                entry["deep"] = _time(client, deep, args.requests, order_ids)
                q20, q200, captured = _query_counts(client, deep)
                entry["deep"].update(queries_20=q20, queries_200=q200, plans=_plans(captured))
            results[key] = entry
            for page in ("first", "deep"):
                if page not in entry:
                    continue
                figure = entry[page]
                label = page if page == "first" else f"deep ×{entry['deep_depth']}"
                print(
                    f"  {key:40} {label:9} p50 {figure['p50']:6.1f} p95 {figure['p95']:6.1f} ms"
                    f" (SQL {figure['sql_p50']:5.1f})  queries {figure['queries_20']}/"
                    f"{figure['queries_200']}  baseline p95 {figure['baseline_p95']:.2f} ms"
                    + ("  SEQ SCAN" if figure["plans"] else ""),
                    flush=True,
                )
    return results


# --- the admin changelist -----------------------------------------------------------------


def _measure_admin(args, clients, order_ids, order_no, channel_id) -> dict:
    pages = {
        "changelist": "/admin/orders/order/",
        "tab to ship": "/admin/orders/order/?tab=to_ship",
        "tab frozen": "/admin/orders/order/?tab=frozen",
        "tab after-sales open": "/admin/orders/order/?tab=after_sale",
        "status + channel filter": (
            f"/admin/orders/order/?status__exact=cancelled&channel={channel_id}"
        ),
        "search by order number": f"/admin/orders/order/?q={order_no}",
    }
    results: dict = {}
    for name, url in pages.items():
        for reader, client in clients.items():
            key = f"{name} / {reader}"
            entry = _time(client, url, args.requests, order_ids)
            _w, _s, captured, _r = _get(client, url)
            entry["plans"] = _plans(captured)
            entry["counts"] = [
                query["sql"][:300] for query in captured if "COUNT(" in query["sql"].upper()
            ]
            results[key] = entry
            print(
                f"  {key:42} p50 {entry['p50']:6.1f} p95 {entry['p95']:6.1f} ms "
                f"(SQL {entry['sql_p50']:5.1f})  queries {entry['queries']}  baseline p95 "
                f"{entry['baseline_p95']:.2f} ms" + ("  SEQ SCAN/COUNT" if entry["plans"] else ""),
                flush=True,
            )
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--members", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--requests", type=int, default=20, help="timed GETs per page")
    parser.add_argument("--deep", type=int, default=50, help="next pages followed")
    parser.add_argument("--target", type=float, default=100.0, help="list p95 target, ms")
    parser.add_argument("--database", default="mall_bench_orders", help="scratch database")
    parser.add_argument("--keep", action="store_true", help="reuse the generated database")
    parser.add_argument(
        "--random-page-cost",
        type=float,
        default=None,
        help="set PostgreSQL's random_page_cost on the scratch database (1.1 = SSD); "
        "default: the server's",
    )
    parser.add_argument("--generate-only", action="store_true")
    parser.add_argument("--skip-list", action="store_true")
    parser.add_argument("--skip-admin", action="store_true")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()

    base_url = os.environ.get("DATABASE_URL", "")
    database_url = _bench_database_url(base_url, args.database)
    _ensure_database(base_url, args.database, drop=not args.keep)
    _set_random_page_cost(base_url, args.database, args.random_page_cost)
    _setup_django(database_url)

    from django.test import Client

    from orders.models import Order, OrderLine, SalesChannel

    root, east = _users()
    figures: dict = {}
    if not Order.objects.exists():
        from bench.orders_generate import generate

        figures["generate"] = generate(orders=args.orders, seed=args.seed, members=args.members)
        gen = figures["generate"]
        print(
            f"generated {gen['orders']:,} orders + {gen['lines']:,} lines in "
            f"{gen['orders_seconds']} s ({gen['orders_per_second']:,} orders/s, "
            f"{gen['rows_per_second']:,} rows/s); {gen['shipments']:,} shipments "
            f"{gen.get('shipments_seconds', 0)} s; indexes {gen.get('index_seconds', 0)} s; "
            f"members {gen['members_seconds']} s; VACUUM ANALYZE {gen['analyze_seconds']} s; "
            f"total {gen['seconds']} s ({gen['orders'] / gen['seconds']:,.0f} orders/s "
            "end to end)",
            flush=True,
        )
    figures["rows"] = {"orders": Order.objects.count(), "lines": OrderLine.objects.count()}
    if args.generate_only:
        print(json.dumps(figures, indent=2, ensure_ascii=False))
        return 0

    east_orders = Order.objects.filter(region__code="east")
    order_ids = list(east_orders.order_by("?").values_list("pk", flat=True)[:200])
    middle = Order.objects.order_by("-id").values_list("id", flat=True).first() // 2
    order_no = (
        east_orders.filter(id__gte=middle).order_by("id").values_list("order_no", flat=True)[0]
    )
    channel_code = SalesChannel.objects.get(code="bench-tmall").code
    clients = {}
    for label, user in (("east staff", east), ("superuser", root)):
        client = Client()
        client.force_login(user)
        clients[label] = client
    figures["order_no"] = order_no
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW random_page_cost")
        figures["random_page_cost"] = cursor.fetchone()[0]
        cursor.execute("SHOW server_version")
        figures["postgresql"] = cursor.fetchone()[0]
    print(
        f"PostgreSQL {figures['postgresql']}, random_page_cost {figures['random_page_cost']}; "
        f"{figures['rows']['orders']:,} orders, {figures['rows']['lines']:,} lines",
        flush=True,
    )
    if not args.skip_list:
        print("staff order list (GET /api/v1/orders/):", flush=True)
        figures["list"] = _measure_list(args, clients, order_ids, channel_code, order_no)
    if not args.skip_admin:
        print("admin order changelist:", flush=True)
        figures["admin"] = _measure_admin(
            args, clients, order_ids, order_no, SalesChannel.objects.get(code=channel_code).pk
        )

    ok = True
    for key, entry in figures.get("list", {}).items():
        for page in ("first", "deep"):
            if page not in entry:
                continue
            figure = entry[page]
            # The newest orders have no shipments yet, so a first page of 20 may skip the
            # shipment prefetches a page of 200 runs: compare counts on the deep page
            # (older, shipped orders) where there is one.
            compare = ("deep" in entry and page == "deep") or "deep" not in entry
            if compare and figure["queries_20"] != figure["queries_200"]:
                ok = False
            if key.endswith("/ east staff") and figure["p95"] >= args.target:
                ok = False
    for entry in figures.get("admin", {}).values():
        if any(plan["full_count"] for plan in entry["plans"]):
            ok = False
    figures["ok"] = ok
    if args.json:
        print(json.dumps(figures, indent=2, ensure_ascii=False, default=str))
    else:
        for section in ("list", "admin"):
            for key, entry in figures.get(section, {}).items():
                plans = [
                    *entry.get("plans", []),
                    *entry.get("first", {}).get("plans", []),
                    *entry.get("deep", {}).get("plans", []),
                ]
                for plan in plans:
                    print(f"\n{section} {key}: {plan['seq_scans'] or 'COUNT(*)'}\n{plan['sql']}")
                    print(plan["plan"])
        print(
            f"\ntarget (scoped, filtered list p95 < {args.target:.0f} ms, constant queries, "
            "no full COUNT(*)): " + ("OK" if ok else "MISSED")
        )
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
