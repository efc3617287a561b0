"""Admin at a million rows: changelist latency with and without ``estimated_count``.

Run from the project root::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/mall .venv/bin/python bench/admin_million.py

It creates (once) and migrates a scratch database (``mall_bench_admin`` by default, on
the server of ``DATABASE_URL``) and bulk-loads it in SQL: ``--members`` members
(real AES-GCM phone ciphertexts and lookup hashes, a pool of encrypted names and ID
numbers, spread over the seven sales regions), ``--movements`` stock movements over
100 stock rows in four warehouses of four regions, and ``--audit`` audit entries by
eight users. The load is kept for later runs (``--reload`` drops and reloads it).

Then it GETs changelists through Django's test client, logged in as a superuser and
as a regional staff member (sales region 华东 for members and movements, own entries
for the audit log), and prints p50/p95 per page (and the p50 of the time spent in
SQL) in two configurations, alternating request by request so both see the same
machine load:

* **after**: the admins as committed (``estimated_count = True``: table estimate or a
  capped count, ``^``/``=`` searches on indexed columns, filter choices read from an
  index, no date hierarchy on the audit log);
* **before**: the same admin objects switched back (``estimated_count = False``: exact
  ``COUNT(*)``, the former substring searches, the audit log's date hierarchy).

The exit status is 0 when every "after" p50 is under ``--target`` milliseconds.
"""

from __future__ import annotations

import argparse
import base64
import io
import json
import os
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

REGION_CODES = ["east", "north", "south", "central", "southwest", "northwest", "northeast"]
WAREHOUSE_REGIONS = ["east", "north", "south", "central"]
SKUS_PER_WAREHOUSE = 25
AUDIT_USERS = 8


def _bench_database_url(base_url: str, name: str) -> str:
    parts = urlsplit(base_url)
    if not parts.scheme.startswith("postgres"):
        raise SystemExit("bench/admin_million.py needs DATABASE_URL=postgres://… (PostgreSQL)")
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


def _setup_django(database_url: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mall.settings")
    os.environ.setdefault("MALL_DEMO", "1")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


# --- the load ------------------------------------------------------------------------------


def _users():
    """The superuser, the regional staff member and the other audit actors."""
    from django.contrib.auth import get_user_model

    from rbac.models import Role, SalesRegion, ScopeKind
    from rbac.services.roles import role_assign, role_create

    user_model = get_user_model()
    root = user_model.objects.filter(username="bench_root").first()
    if root is None:
        root = user_model.objects.create_superuser("bench_root", password=None)
    east = user_model.objects.filter(username="bench_east").first()
    if east is None:
        east = user_model.objects.create_user("bench_east", password=None, is_staff=True)
        views = ["members.view_member", "dispatch.view_stockmovement", "ops.view_auditentry"]
        regional = role_create(
            actor=root,
            code="bench-east",
            name="压测华东",
            scope_kind=ScopeKind.REGIONS,
            regions=[SalesRegion.objects.get(code="east")],
            permissions=views,
        )
        own = role_create(actor=root, code="bench-self", name="压测本人", scope_kind=ScopeKind.SELF)
        for role in (regional, own):
            role_assign(actor=root, user=east, role=role)
    others = []
    for index in range(AUDIT_USERS - 2):
        user, _created = user_model.objects.get_or_create(
            username=f"bench_clerk{index}", defaults={"is_staff": True}
        )
        others.append(user)
    assert Role.objects.filter(code__startswith="bench-").count() == 2
    return root, user_model.objects.get(pk=east.pk), others


def _stocks(actor) -> list[int]:
    """100 stock rows: 25 SKUs in each of four warehouses (华东, 华北, 华南, 华中)."""
    from catalog import services as catalog_services
    from dispatch import services
    from dispatch.models import Stock, Warehouse
    from rbac.models import SalesRegion

    existing = list(
        Stock.objects.filter(warehouse__code__startswith="WH-ADM-").values_list("pk", flat=True)
    )
    if existing:
        return sorted(existing)
    root = catalog_services.category_seed(actor=actor, code="bench-adm-root", name="压测")
    middle = catalog_services.category_seed(
        actor=actor, code="bench-adm-mid", name="压测二级", parent=root
    )
    leaf = catalog_services.category_seed(
        actor=actor, code="bench-adm-leaf", name="压测三级", parent=middle
    )
    product = catalog_services.product_create(
        actor=actor,
        code="BENCH-ADM-P",
        title="后台压测商品",
        category=leaf,
        skus=[
            {"code": f"BENCH-ADM-{n:03d}", "price_amount": "9.90"}
            for n in range(SKUS_PER_WAREHOUSE)
        ],
    )
    codes = [sku.code for sku in product.skus.all()]
    for region in WAREHOUSE_REGIONS:
        warehouse = services.warehouse_save(
            actor=actor,
            code=f"WH-ADM-{region.upper()}",
            name=f"压测仓 {region}",
            type=Warehouse.Type.CENTRAL,
            region=SalesRegion.objects.get(code=region),
            address="压测",
            contact_name="压测",
            contact_phone="000",
        )
        document = services.purchase_inbound_create(
            actor=actor, warehouse=warehouse, lines=[(code, 1000) for code in codes]
        )
        services.purchase_inbound_arrive(actor=actor, document=document)
    return sorted(
        Stock.objects.filter(warehouse__code__startswith="WH-ADM-").values_list("pk", flat=True)
    )


def _copy_members(cursor, count: int) -> None:
    from members import crypto
    from members.models import Level
    from rbac.models import SalesRegion

    levels = list(Level.objects.order_by("rank").values_list("pk", flat=True))
    regions = [SalesRegion.objects.get(code=code).pk for code in REGION_CODES]
    names = [crypto.encrypt(f"压测用户{n}", context="member.name") for n in range(500)]
    id_numbers = [
        crypto.encrypt(f"110101199001{n:04d}123X"[:18], context="member.id_number")
        for n in range(500)
    ]
    # AES-GCM without the per-value key lookups of crypto.encrypt (same format).
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    ring = crypto.key_ring()
    aes = AESGCM(ring.keys[ring.current_id])
    nonce_base = os.urandom(8)
    columns = (
        "phone_encrypted, phone_hash, name_encrypted, id_number_encrypted, password, gender,"
        " birthday, channel, is_real_name_verified, level_id, growth, points_balance,"
        " balance_amount, status,"
        " risk_mark, region_id, created_at, updated_at"
    )
    genders = ["unknown", "male", "female"]
    channels = ["phone", "wechat", "qq"]
    statuses = ["active"] * 18 + ["frozen", "closed"]
    risks = ["none"] * 48 + ["watch", "blocked"]
    first = datetime.now(UTC) - timedelta(seconds=30 * count)
    chunk = 100_000
    for start in range(0, count, chunk):
        buffer = io.StringIO()
        for n in range(start, min(start + chunk, count)):
            phone = f"13{n:09d}"
            registered = (first + timedelta(seconds=30 * n)).isoformat()
            nonce = nonce_base + n.to_bytes(4, "big")
            token = base64.b64encode(
                nonce + aes.encrypt(nonce, phone.encode(), b"member.phone")
            ).decode()
            buffer.write(
                f"{ring.current_id}:{token}\t{crypto.lookup_hash(phone)}\t{names[n % 500]}\t"
                f"{id_numbers[n % 500]}\t!bench\t{genders[n % 3]}\t"
                f"{1960 + n % 45}-{1 + n % 12:02d}-{1 + n % 28:02d}\t{channels[n % 3]}\t"
                f"{'t' if n % 4 else 'f'}\t{levels[n % len(levels)]}\t{n % 5000}\t{n % 900}\t0\t"
                f"{statuses[n % 20]}\t{risks[n % 50]}\t{regions[n % 7]}\t"
                f"{registered}\t{registered}\n"
            )
        buffer.seek(0)
        cursor.copy_expert(f"COPY members_member ({columns}) FROM STDIN", buffer)
        print(f"  members: {min(start + chunk, count):,}", flush=True)


def _insert_movements(cursor, count: int, stock_ids: list[int], actor_id: int) -> None:
    from dispatch.models import StockMovement

    kinds = [value for value, _label in StockMovement.Kind.choices]
    types = ["purchase_inbound", "allocation", "transfer", "stocktake", "return_receipt"]
    cursor.execute(
        """
        INSERT INTO dispatch_stockmovement (stock_id, kind, on_hand_delta, reserved_delta,
            in_transit_delta, reference_type, reference_no, actor_id, note, created_at)
        SELECT (%(stocks)s::bigint[])[1 + i %% %(n_stocks)s],
               (%(kinds)s::text[])[1 + i %% %(n_kinds)s],
               (i %% 7) - 3, (i %% 3) - 1, 0,
               (%(types)s::text[])[1 + (i / 7) %% %(n_types)s],
               'MV' || lpad(i::text, 10, '0'),
               %(actor)s, '', now() - (%(count)s - i) * interval '10 seconds'
        FROM generate_series(1, %(count)s) AS i
        """,
        {
            "stocks": stock_ids,
            "n_stocks": len(stock_ids),
            "kinds": kinds,
            "n_kinds": len(kinds),
            "types": types,
            "n_types": len(types),
            "actor": actor_id,
            "count": count,
        },
    )


def _insert_audit(cursor, count: int, users) -> None:
    cursor.execute("SELECT COALESCE(MAX(seq), 0) FROM ops_auditentry")
    base = cursor.fetchone()[0]
    actions = [
        "auth.login",
        "auth.logout",
        "auth.login_failed",
        "pii.reveal",
        "member.set_status",
        "member.points_adjust",
        "stock.adjust",
        "allocation.create",
        "allocation.release",
        "shipment.ship",
        "product.create",
        "product.update",
        "price.change",
        "parameter.change",
        "rbac.role_assign",
        "rbac.role_revoke",
        "coupon.issue",
        "stocktake.confirm",
        "transfer.receive",
        "export.download",
    ]
    object_types = [
        "members.member",
        "dispatch.stock",
        "dispatch.allocation",
        "catalog.product",
        "catalog.sku",
        "auth.user",
    ]
    cursor.execute(
        """
        INSERT INTO ops_auditentry (seq, at, actor_id, actor_label, action, object_type,
            object_id, before, after, data, ip, request_id, prev_hash, hash)
        SELECT %(base)s + i,
               now() - (%(count)s - i) * interval '20 seconds',
               (%(user_ids)s::bigint[])[1 + i %% %(n_users)s],
               (%(user_names)s::text[])[1 + i %% %(n_users)s],
               (%(actions)s::text[])[1 + i %% %(n_actions)s],
               (%(types)s::text[])[1 + i %% %(n_types)s],
               (i %% 200000)::text,
               NULL, '{"status": "active"}'::jsonb, NULL,
               ('10.0.' || (i %% 250) || '.' || (i %% 200 + 1))::inet,
               md5(i::text),
               md5((i - 1)::text) || md5((i - 1)::text || 'h'),
               md5(i::text) || md5(i::text || 'h')
        FROM generate_series(1, %(count)s) AS i
        """,
        {
            "base": base,
            "count": count,
            "user_ids": [user.pk for user in users],
            "user_names": [user.username for user in users],
            "n_users": len(users),
            "actions": actions,
            "n_actions": len(actions),
            "types": object_types,
            "n_types": len(object_types),
        },
    )
    # Later audited writes (pii.reveal on the members page) chain on after the load.
    cursor.execute(
        "SELECT seq, hash FROM ops_auditentry WHERE seq = (SELECT MAX(seq) FROM ops_auditentry)"
    )
    seq, last_hash = cursor.fetchone()
    cursor.execute("UPDATE ops_auditchainhead SET seq = %s, hash = %s", [seq, last_hash])


def _load(args, root, east, others) -> dict:
    from django.db import connection, transaction

    from members.models import Member

    if Member.objects.exists():
        return {"loaded": False}
    timings = {}
    stock_ids = _stocks(root)
    with connection.cursor() as cursor:
        started = time.perf_counter()
        with transaction.atomic():
            _copy_members(cursor.cursor, args.members)
        timings["members_seconds"] = round(time.perf_counter() - started, 1)
        started = time.perf_counter()
        with transaction.atomic():
            _insert_movements(cursor, args.movements, stock_ids, root.pk)
        timings["movements_seconds"] = round(time.perf_counter() - started, 1)
        print(f"  movements: {args.movements:,} ({timings['movements_seconds']} s)", flush=True)
        started = time.perf_counter()
        with transaction.atomic():
            _insert_audit(cursor, args.audit, [root, east, *others])
        timings["audit_seconds"] = round(time.perf_counter() - started, 1)
        print(f"  audit entries: {args.audit:,} ({timings['audit_seconds']} s)", flush=True)
        started = time.perf_counter()
        for table in ("members_member", "dispatch_stockmovement", "ops_auditentry"):
            cursor.execute(f"VACUUM ANALYZE {table}")
        timings["analyze_seconds"] = round(time.perf_counter() - started, 1)
    return {"loaded": True, **timings}


# --- the measurement -----------------------------------------------------------------------


def _configure(before: bool) -> None:
    """Switch the registered admins to the former configuration, or back."""
    from django.contrib import admin
    from django.contrib.admin.options import ShowFacets

    from dispatch.models import StockMovement
    from members.models import Member
    from ops.models import AuditEntry

    site = admin.site._registry
    saved = getattr(_configure, "saved", None)
    if saved is None:
        saved = {
            model: {
                "search_fields": site[model].search_fields,
                "date_hierarchy": site[model].date_hierarchy,
                "show_facets": site[model].show_facets,
            }
            for model in (Member, StockMovement, AuditEntry)
        }
        _configure.saved = saved
    for model, values in saved.items():
        model_admin = site[model]
        model_admin.estimated_count = not before
        for name, value in values.items():
            setattr(model_admin, name, value)
        if before:
            model_admin.show_facets = ShowFacets.ALLOW
    if before:
        site[StockMovement].search_fields = ["reference_no", "stock__sku__code"]
        site[AuditEntry].search_fields = ("actor_label", "object_id", "request_id", "action")
        site[AuditEntry].date_hierarchy = "at"


def _get(client, url: str) -> tuple[float, float]:
    """One GET: (wall milliseconds, milliseconds spent in SQL)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        response = client.get(url)
        wall = (time.perf_counter() - started) * 1000
    assert response.status_code == 200, (url, response.status_code)
    return wall, sum(float(query["time"]) for query in queries.captured_queries) * 1000


def _summary(samples: list[tuple[float, float]]) -> dict:
    walls = sorted(wall for wall, _sql in samples)
    p95_index = max(0, round(0.95 * len(walls)) - 1)
    return {
        "p50": round(statistics.median(walls), 1),
        "p95": round(walls[p95_index], 1),
        "sql_p50": round(statistics.median(sql for _wall, sql in samples), 1),
    }


def _time_both(client, url: str, requests: int) -> dict:
    """Alternate "after" and "before" GETs, so both see the same machine load."""
    samples: dict[str, list] = {"after": [], "before": []}
    for configuration in ("after", "before"):
        _configure(before=configuration == "before")
        for _warm in range(2):
            _get(client, url)
    for _run in range(requests):
        for configuration in ("after", "before"):
            _configure(before=configuration == "before")
            samples[configuration].append(_get(client, url))
    _configure(before=False)
    return {configuration: _summary(values) for configuration, values in samples.items()}


def _visible_reference(east) -> str:
    from django.contrib.admin import site

    from dispatch.models import StockMovement

    rows = site._registry[StockMovement].get_queryset(_request_for(east))
    middle = StockMovement.objects.order_by("-id").values_list("id", flat=True).first() // 2
    return rows.filter(id__gte=middle).order_by("id").values_list("reference_no", flat=True)[0]


def _request_for(user):
    from django.test import RequestFactory

    request = RequestFactory().get("/")
    request.user = user
    return request


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--movements", type=int, default=1_000_000)
    parser.add_argument("--audit", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=15, help="timed GETs per page")
    parser.add_argument("--target", type=float, default=300.0, help="p50 target, ms")
    parser.add_argument("--database", default="mall_bench_admin", help="scratch database")
    parser.add_argument("--reload", action="store_true", help="drop and reload the data")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()

    base_url = os.environ.get("DATABASE_URL", "")
    database_url = _bench_database_url(base_url, args.database)
    _ensure_database(base_url, args.database, drop=args.reload)
    _setup_django(database_url)

    from django.test import Client

    from dispatch.models import StockMovement
    from members.models import Member
    from ops.models import AuditEntry

    root, east, others = _users()
    started = time.perf_counter()
    load = _load(args, root, east, others)
    load["seconds"] = round(time.perf_counter() - started, 1)

    reference = _visible_reference(east)
    pages = {
        "members": "/admin/members/member/",
        "movements": "/admin/dispatch/stockmovement/",
        "audit log": "/admin/ops/auditentry/",
        "movement search": f"/admin/dispatch/stockmovement/?q={reference}",
    }
    figures: dict = {
        "rows": {
            "members": Member.objects.count(),
            "movements": StockMovement.objects.count(),
            "audit": AuditEntry.objects.count(),
        },
        "load": load,
        "reference": reference,
        "pages": {},
    }
    clients = {}
    for label, user in (("superuser", root), ("regional staff", east)):
        client = Client()
        client.force_login(user)
        clients[label] = client
    for page, url in pages.items():
        for label, client in clients.items():
            key = f"{page} / {label}"
            result = _time_both(client, url, args.requests)
            figures["pages"][key] = result
            print(
                f"  {key:38} after p50 {result['after']['p50']:7.1f} ms "
                f"(SQL {result['after']['sql_p50']:6.1f})   before p50 "
                f"{result['before']['p50']:7.1f} ms (SQL {result['before']['sql_p50']:6.1f})",
                flush=True,
            )

    ok = all(entry["after"]["p50"] < args.target for entry in figures["pages"].values())
    figures["ok"] = ok
    if args.json:
        print(json.dumps(figures, indent=2, ensure_ascii=False))
        return 0 if ok else 1
    rows = figures["rows"]
    print(
        f"\nadmin at a million rows: {rows['members']:,} members, {rows['movements']:,} "
        f"movements, {rows['audit']:,} audit entries; {args.requests} GETs per page"
    )
    if load.get("loaded"):
        print(f"load: {load}")
    print(
        f"{'page / reader':38} {'after p50/p95 (SQL p50) ms':>28} "
        f"{'before p50/p95 (SQL p50) ms':>29} {'ratio':>6}"
    )
    for key, entry in figures["pages"].items():
        after, before = entry["after"], entry["before"]
        ratio = before["p50"] / after["p50"] if after["p50"] else float("inf")
        print(
            f"{key:38} {after['p50']:>8.1f} /{after['p95']:>7.1f} ({after['sql_p50']:>6.1f}) "
            f"{before['p50']:>9.1f} /{before['p95']:>7.1f} ({before['sql_p50']:>6.1f}) "
            f"{ratio:>5.1f}x"
        )
    print(f"target p50 < {args.target:.0f} ms after: " + ("OK" if ok else "MISSED"))
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
