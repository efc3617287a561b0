"""Order placement with risk control's rules all on vs all off, same run, same data.

Run from the project root::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/mall REDIS_URL=redis://127.0.0.1:6379/4 \
        .venv/bin/python bench/risk_placement.py

It creates (once) and migrates a scratch database (``mall_bench_risk`` by default) on
the server of ``DATABASE_URL``, fills it with history so the rules' queries read real
tables — ``--background`` orders of ``--members`` members over 90 days
(``bench/orders_generate.py``, ``COPY``), ``--blacklist`` live blacklist entries of
every kind and ``--marks`` risk marks (``watch`` and ``high``, on other members) —
makes an on-shelf SKU stocked in a warehouse covering 上海 and then measures, in the
same process, alternating block by block (``--block`` placements per block) so drift
and noise fall on both sides alike:

* **placement**: ``orders.services.placement.order_place`` (the whole service: checks,
  pricing, the ``order.place`` guard, order + lines, stock through the ledger, audit,
  commit) by generated members with history, one unit, ``--placements`` per mode;
  mode **on**: every ``risk.*_enabled`` parameter true; mode **off**: all false
  (written as system parameters and the cache key dropped, as the two-person flow
  does when a change is applied);
* **guard alone**: ``guard("order.place", …)`` with the same context ``--guards``
  times per mode, for an ordinary order and for a flash order (the hoarding rule's
  query runs only then) — the rules' own cost without the placement around it.

Every placement buys from its own member (round robin over ``--buyers`` members, so no
member reaches the frequent-purchase threshold and every rule runs its full query
without opening cases). Prints per-placement ms p50 / p95 / mean of both modes, their
ratio and the difference (the rules' added ms), and the same for the guard alone.
The exit status is 0 when every placement succeeded and no rule fired.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

ADDRESS = {
    "name": "压测",
    "phone": "13900000000",
    "province": "上海",
    "city": "上海市",
    "district": "浦东新区",
    "detail": "风控压测路 1 号",
}


def _bench_database_url(base_url: str, name: str) -> str:
    parts = urlsplit(base_url)
    if not parts.scheme.startswith("postgres"):
        raise SystemExit("bench/risk_placement.py needs DATABASE_URL=postgres://… (PostgreSQL)")
    return urlunsplit(parts._replace(path=f"/{name}"))


def _ensure_database(base_url: str, name: str) -> bool:
    """Create the scratch database if missing; return whether it was created."""
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
                return True
    finally:
        connection.close()
    return False


def _setup_django(database_url: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mall.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def _history(args) -> None:
    """Background orders (once per database), blacklist entries and marks."""
    from django.utils import timezone

    from bench.orders_generate import bench_superuser, generate
    from members.models import Member
    from orders.models import Order
    from risk.models import BlacklistEntry, RiskMark

    if Order.objects.count() < args.background:
        print(f"generating {args.background:,} background orders …", flush=True)
        generate(orders=args.background, members=args.members, days=90, shipments=False, log=print)
    root = bench_superuser()
    if BlacklistEntry.objects.count() < args.blacklist:
        kinds = ("device", "ip", "address", "phone")
        BlacklistEntry.objects.bulk_create(
            BlacklistEntry(
                kind=kinds[n % 4],
                value=(
                    f"bench-device-{n}"
                    if n % 4 == 0
                    else f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}"
                    if n % 4 == 1
                    else f"{n:064x}"
                ),
                label="压测",
                reason="压测",
                created_by=root,
            )
            for n in range(args.blacklist)
        )
    if RiskMark.objects.count() < args.marks:
        ids = list(Member.objects.order_by("-id").values_list("pk", flat=True)[: args.marks])
        RiskMark.objects.bulk_create(
            RiskMark(
                member_id=pk,
                level="high" if n % 2 else "watch",
                reason="压测",
                created_by=root,
                expires_at=timezone.now() - timezone.timedelta(days=1) if n % 2 else None,
            )
            for n, pk in enumerate(ids)
        )


def _analyze() -> None:
    """Fresh planner statistics after the bulk loads (as autovacuum would give them)."""
    from django.db import connection

    with connection.cursor() as cursor:
        for table in ("risk_blacklistentry", "risk_riskmark", "orders_order", "orders_orderline"):
            cursor.execute(f"ANALYZE {table}")


def _fixture(units: int):
    """An on-shelf SKU with ``units`` in a warehouse covering 上海."""
    from catalog import services as catalog_services
    from catalog.models import Category, Product
    from dispatch import services
    from dispatch.models import CoverageArea, Warehouse
    from mall.core.actors import system_actor
    from orders.models import SalesChannel
    from rbac.models import Province, SalesRegion

    actor = system_actor()
    SalesChannel.objects.get_or_create(
        code="own_store", defaults={"name": "自营商城", "kind": SalesChannel.Kind.OWN_STORE}
    )
    owner, _created = actor.__class__.objects.get_or_create(
        username="bench_owner", defaults={"is_staff": True}
    )
    category = Category.objects.filter(code="bench-risk-leaf").first()
    if category is None:
        root = catalog_services.category_seed(actor=actor, code="bench-risk-root", name="风控压测")
        middle = catalog_services.category_seed(
            actor=actor, code="bench-risk-mid", name="风控压测二级", parent=root
        )
        category = catalog_services.category_seed(
            actor=actor, code="bench-risk-leaf", name="风控压测三级", parent=middle
        )
    stamp = time.strftime("%Y%m%d%H%M%S")
    product = catalog_services.product_create(
        actor=actor,
        code=f"BENCH-RISK-{stamp}",
        title=f"风控压测商品 {stamp}",
        category=category,
        owner=owner,
        skus=[{"code": f"BENCH-RISK-{stamp}", "price_amount": "128.00", "weight_grams": 500}],
    )
    Product.objects.filter(pk=product.pk).update(status=Product.Status.ON_SHELF)
    sku = product.skus.get()
    shanghai = Province.objects.resolve("上海")
    warehouse = Warehouse.objects.filter(code="WH-BENCH-RISK").first() or services.warehouse_save(
        actor=actor,
        code="WH-BENCH-RISK",
        name="风控压测仓",
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
    return sku


def _switch(on: bool) -> None:
    from ops.models import SystemParameter
    from ops.parameters import forget_cached
    from risk.parameters import RULES, enabled_key

    for code in RULES:
        SystemParameter.objects.update_or_create(key=enabled_key(code), defaults={"value": on})
        forget_cached(enabled_key(code))
    from ops.parameters import get_parameters

    get_parameters([enabled_key(code) for code in RULES])  # warm the cache as in production


def _figures(samples: list[float]) -> dict:
    ordered = sorted(samples)
    return {
        "n": len(ordered),
        "p50": round(statistics.median(ordered), 3),
        "p95": round(ordered[max(0, int(len(ordered) * 0.95) - 1)], 3),
        "mean": round(statistics.fmean(ordered), 3),
    }


def _compare(name: str, on: list[float], off: list[float]) -> dict:
    a, b = _figures(on), _figures(off)
    row = {
        "what": name,
        "on": a,
        "off": b,
        "ratio_p50": round(a["p50"] / b["p50"], 3) if b["p50"] else None,
        "added_ms_p50": round(a["p50"] - b["p50"], 3),
        "added_ms_mean": round(a["mean"] - b["mean"], 3),
    }
    print(
        f"{name:<28} on  p50 {a['p50']:8.3f} ms  p95 {a['p95']:8.3f} ms  mean {a['mean']:8.3f}\n"
        f"{'':<28} off p50 {b['p50']:8.3f} ms  p95 {b['p95']:8.3f} ms  mean {b['mean']:8.3f}\n"
        f"{'':<28} ratio (p50) {row['ratio_p50']}  added p50 {row['added_ms_p50']:+.3f} ms"
        f"  added mean {row['added_ms_mean']:+.3f} ms",
        flush=True,
    )
    return row


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", default="mall_bench_risk")
    parser.add_argument("--background", type=int, default=100_000, help="history orders")
    parser.add_argument("--members", type=int, default=10_000, help="history members")
    parser.add_argument("--blacklist", type=int, default=2_000)
    parser.add_argument("--marks", type=int, default=500)
    parser.add_argument("--placements", type=int, default=300, help="per mode")
    parser.add_argument("--block", type=int, default=20, help="placements per alternation")
    parser.add_argument("--buyers", type=int, default=400)
    parser.add_argument("--guards", type=int, default=2_000, help="guard-only calls per mode")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    base = os.environ.get("DATABASE_URL", "")
    database_url = _bench_database_url(base, args.database)
    _ensure_database(base, args.database)
    _setup_django(database_url)

    from django.conf import settings
    from django.db import connection

    from mall.core.guard import guard
    from members.crypto import address_hash
    from members.models import Member
    from orders.services.placement import order_place
    from risk.models import RiskEvent

    print(f"database {args.database} · cache {settings.CACHES['default']['BACKEND']}", flush=True)
    _history(args)
    _analyze()
    sku = _fixture(units=args.placements * 2 + 100)
    buyers = list(
        Member.objects.filter(phone_hash__isnull=False, orders__isnull=False)
        .distinct()
        .order_by("id")[: args.buyers]
    )
    if len(buyers) < args.buyers:
        raise SystemExit(f"only {len(buyers)} members with history")
    events_before = RiskEvent.objects.count()
    lines = [{"sku": sku.code, "quantity": 1}]

    # warm-up: both modes, a few placements each (connections, caches, code paths)
    for on in (True, False):
        _switch(on)
        for n in range(5):
            order_place(actor=buyers[n], address=ADDRESS, lines=lines, device_id="bench-warm")

    samples: dict[bool, list[float]] = {True: [], False: []}
    count = 0
    while min(len(v) for v in samples.values()) < args.placements:
        for on in (True, False):
            _switch(on)
            for _n in range(args.block):
                buyer = buyers[count % len(buyers)]
                count += 1
                started = time.perf_counter()
                order_place(
                    actor=buyer,
                    address=ADDRESS,
                    lines=lines,
                    client_ip=f"192.168.{count // 256 % 256}.{count % 256}",
                    device_id=f"bench-dev-{count % 997}",
                )
                samples[on].append((time.perf_counter() - started) * 1000)

    where = address_hash(
        province=ADDRESS["province"],
        city=ADDRESS["city"],
        district=ADDRESS["district"],
        detail=ADDRESS["detail"],
    )
    flash = SimpleNamespace(pk=0)  # a flash placement's context: the hoarding query runs

    def context(buyer, n, flash_session=None):
        return {
            "member": buyer,
            "lines": [(sku, 1)],
            "address": {k: ADDRESS[k] for k in ("province", "city", "district", "detail")},
            "address_hash": where,
            "channel": None,
            "flash_session": flash_session,
            "client_ip": f"192.168.{n // 256 % 256}.{n % 256}",
            "device_id": f"bench-dev-{n % 997}",
            "payable_amount": sku.price_amount,
        }

    guard_samples: dict[tuple[bool, bool], list[float]] = {}
    for is_flash in (False, True):
        for on in (True, False):
            guard_samples[(on, is_flash)] = []
        for start in range(0, args.guards, 200):
            for on in (True, False):
                _switch(on)
                for n in range(start, min(start + 200, args.guards)):
                    ctx = context(buyers[n % len(buyers)], n, flash if is_flash else None)
                    started = time.perf_counter()
                    verdict = guard("order.place", **ctx)
                    guard_samples[(on, is_flash)].append((time.perf_counter() - started) * 1000)
                    if verdict.decision != "allow":
                        raise SystemExit(f"a rule fired in the bench: {verdict}")

    from django.test.utils import CaptureQueriesContext

    query_counts = {}
    for is_flash in (False, True):
        for on in (True, False):
            _switch(on)
            with CaptureQueriesContext(connection) as queries:
                guard("order.place", **context(buyers[0], 0, flash if is_flash else None))
            query_counts[(on, is_flash)] = len(queries)

    _switch(True)
    fired = RiskEvent.objects.count() - events_before
    print(
        f"\nPostgreSQL {connection.pg_version} · {args.background:,} history orders · "
        f"{args.blacklist:,} blacklist entries · {args.marks:,} marks · "
        f"{args.placements} placements per mode in blocks of {args.block} · "
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs\n",
        flush=True,
    )
    rows = [
        _compare("placement (order_place)", samples[True], samples[False]),
        _compare(
            "guard alone, ordinary", guard_samples[(True, False)], guard_samples[(False, False)]
        ),
        _compare(
            "guard alone, flash order", guard_samples[(True, True)], guard_samples[(False, True)]
        ),
    ]
    print(
        "\nSQL queries per guard call (rules on / off): ordinary "
        f"{query_counts[(True, False)]} / {query_counts[(False, False)]}, flash "
        f"{query_counts[(True, True)]} / {query_counts[(False, True)]}"
    )
    print(f"risk events written during the run: {fired} (expected 0)")
    if args.json:
        counts = {
            f"{'on' if k[0] else 'off'}_{'flash' if k[1] else 'ordinary'}": v
            for k, v in query_counts.items()
        }
        print(json.dumps({"rows": rows, "events": fired, "queries": counts}, indent=2))
    return 0 if fired == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
