"""RFM at a million members: the nightly run beside one plain SQL aggregate.

Run from the project root::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/mall .venv/bin/python \\
        bench/rfm_million.py --members 1000000 --orders 3000000

It (re)creates and migrates a scratch database (``mall_bench_rfm`` by default, on the
server of ``DATABASE_URL``; ``--keep`` reuses one an earlier run filled) and fills it
in the server (``INSERT … SELECT`` over ``generate_series`` with a seeded
``random()``, secondary indexes dropped during the load and rebuilt after, then
``VACUUM ANALYZE``):

* ``--members`` members (only what RFM and the constraints need: a unique phone hash;
  the encrypted columns hold a placeholder — RFM never reads them);
* ``--orders`` orders spread over the last two RFM windows (2 × 365 days), each from a
  member drawn with a skew (``random()²``: a few members buy often, many rarely,
  some never), paid 9.90–509.90; 1 % brushed, 3 % cancelled after payment (refunded
  in full), 2 % partly refunded. Every other NOT NULL column gets a constant.

Then, alternating ``--repeat`` times, in the same process and database:

* **RFM**: ``members.services.rfm.rfm_run`` (the nightly service: delete the previous
  results, one ``INSERT … SELECT`` with the source SQL of both windows, the NTILE
  scores, the means and segments, the win-back flag, the counts, the audit entry) for
  a new run date each time (a run date is computed once);
* **aggregate**: one plain ``GROUP BY member`` over the same orders of the current
  window (max ``paid_at``, count, sum of ``paid_amount``), consumed in the server
  (``SELECT count(*) FROM (…)``) so no rows cross the wire.

Printed: the generation figures, each RFM and aggregate time, the best of each and
their ratio. The exit status is 0 when the best RFM run is under ``--target`` s (60).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.orders_generate import _drop_secondary_indexes  # noqa: E402
from bench.orders_million import (  # noqa: E402
    _bench_database_url,
    _ensure_database,
    _setup_django,
)

_FILL_BY_TYPE = {
    "text": "''",
    "character varying": "''",
    "boolean": "false",
    "integer": "0",
    "smallint": "0",
    "bigint": "0",
    "numeric": "0",
    "jsonb": "'{}'::jsonb",
    "json": "'{}'::json",
    "timestamp with time zone": "now()",
    "date": "current_date",
    "uuid": "gen_random_uuid()",
}


def _log(message: str) -> None:
    print(message, flush=True)


def _insert(cursor, table: str, given: dict[str, str], source: str) -> None:
    """``INSERT INTO table`` the ``given`` column expressions, a constant for every
    other NOT NULL column without a default, ``FROM source``."""
    cursor.execute(
        """
        SELECT column_name, data_type FROM information_schema.columns
        WHERE table_schema = current_schema() AND table_name = %s
          AND is_nullable = 'NO' AND column_default IS NULL AND is_identity = 'NO'
        ORDER BY ordinal_position
        """,
        [table],
    )
    columns = dict(given)
    for name, data_type in cursor.fetchall():
        if name not in columns:
            columns[name] = _FILL_BY_TYPE[data_type]
    names = ", ".join(f'"{name}"' for name in columns)
    cursor.execute(f'INSERT INTO "{table}" ({names}) SELECT {", ".join(columns.values())} {source}')


def _generate(*, members: int, orders: int, seed: float) -> dict:
    from django.db import connection, transaction

    from members.models import Level
    from orders.models import SalesChannel
    from rbac.models import Province

    figures = {}
    province = Province.objects.select_related("region").order_by("code").first()
    channel, _created = SalesChannel.objects.get_or_create(
        code="own_store", defaults={"name": "自营商城", "kind": SalesChannel.Kind.OWN_STORE}
    )
    with transaction.atomic(), connection.cursor() as cursor:
        dropped = _drop_secondary_indexes(cursor, ("members_member", "orders_order"))
        cursor.execute("SELECT setseed(%s)", [seed])
        started = time.monotonic()
        _insert(
            cursor,
            "members_member",
            {
                "phone_encrypted": "'bench'",
                "phone_hash": "encode(sha256(('rfm-bench-' || g)::bytea), 'hex')",
                "password": "'!'",
                "status": "'active'",
                "level_id": str(Level.objects.order_by("rank").values_list("pk", flat=True)[0]),
                "region_id": str(province.region_id),
                "created_at": "now()",
                "updated_at": "now()",
            },
            f"FROM generate_series(1, {members}) g",
        )
        figures["members_seconds"] = round(time.monotonic() - started, 1)
        _log(f"  members: {members:,} ({figures['members_seconds']} s)")
        cursor.execute("SELECT min(id) FROM members_member")
        first_member = cursor.fetchone()[0]
        started = time.monotonic()
        paid = "round((9.90 + random() * 500)::numeric, 2)"
        _insert(
            cursor,
            "orders_order",
            {
                "order_no": "'RFM' || lpad(g::text, 12, '0')",
                "member_id": f"{first_member} + floor(power(random(), 2) * {members})::bigint",
                "channel_id": str(channel.pk),
                "region_id": str(province.region_id),
                "province_id": str(province.pk),
                "status": "CASE WHEN r.kind < 0.03 THEN 'cancelled' ELSE 'completed' END",
                "goods_amount": "r.paid",
                "total_amount": "r.paid",
                "paid_amount": "r.paid",
                "refunded_amount": (
                    "CASE WHEN r.kind < 0.03 THEN r.paid "
                    "WHEN r.kind < 0.05 THEN round(r.paid / 2, 2) ELSE 0 END"
                ),
                "is_brushed": "r.kind >= 0.05 AND r.kind < 0.06",
                "paid_at": "now() - make_interval(secs => random() * 730 * 86400)",
                "created_at": "now()",
                "updated_at": "now()",
            },
            f"FROM generate_series(1, {orders}) g, "
            f"LATERAL (SELECT random() + g * 0 AS kind, {paid} + g * 0 AS paid) r",
        )
        figures["orders_seconds"] = round(time.monotonic() - started, 1)
        _log(f"  orders: {orders:,} ({figures['orders_seconds']} s)")
        started = time.monotonic()
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the foreign keys, checked now
        figures["foreign_keys_seconds"] = round(time.monotonic() - started, 1)
        started = time.monotonic()
        for definition in dropped:
            cursor.execute(definition)
        figures["indexes_seconds"] = round(time.monotonic() - started, 1)
        _log(f"  {len(dropped)} indexes rebuilt ({figures['indexes_seconds']} s)")
    return figures


def _aggregate_seconds(*, start, end) -> tuple[float, int]:
    from django.db import connection

    sql = (
        "SELECT count(*) FROM (SELECT member_id, max(paid_at), count(*), sum(paid_amount) "
        "FROM orders_order WHERE paid_at >= %s AND paid_at < %s GROUP BY member_id) t"
    )
    started = time.monotonic()
    with connection.cursor() as cursor:
        cursor.execute(sql, [start, end])
        rows = cursor.fetchone()[0]
    return time.monotonic() - started, rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--orders", type=int, default=3_000_000)
    parser.add_argument("--seed", type=float, default=0.17)
    parser.add_argument("--database", default="mall_bench_rfm")
    parser.add_argument("--keep", action="store_true", help="reuse the filled database")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--target", type=float, default=60.0, help="seconds")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    import os

    base_url = os.environ.get("DATABASE_URL", "")
    url = _bench_database_url(base_url, args.database)
    _ensure_database(base_url, args.database, drop=not args.keep)
    _log(f"database {args.database}: migrating")
    _setup_django(url)
    from django.db import connection
    from django.utils import timezone

    result: dict = {"members": args.members, "orders": args.orders}
    if not args.keep:
        _log("generating")
        result["generation"] = _generate(members=args.members, orders=args.orders, seed=args.seed)
        started = time.monotonic()
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE members_member")
            cursor.execute("VACUUM ANALYZE orders_order")
        _log(f"  vacuum analyze ({time.monotonic() - started:.1f} s)")

    from mall.core.actors import system_actor
    from members.models import MemberRfm, RfmRun
    from members.services.rfm import rfm_run

    RfmRun.objects.all().delete()
    today = timezone.localdate()
    rfm_times, aggregate_times = [], []
    for attempt in range(args.repeat):
        run_date = today - timedelta(days=attempt)
        started = time.monotonic()
        run = rfm_run(actor=system_actor(), run_date=run_date)
        rfm_times.append(time.monotonic() - started)
        seconds, groups = _aggregate_seconds(start=run.window_start, end=run.window_end)
        aggregate_times.append(seconds)
        _log(
            f"run {attempt + 1}: RFM {rfm_times[-1]:.2f} s "
            f"({run.members_scored:,} scored, {run.members_win_back:,} win-back, "
            f"{MemberRfm.objects.count():,} rows) | aggregate {seconds:.2f} s ({groups:,} groups)"
        )
    best_rfm, best_aggregate = min(rfm_times), min(aggregate_times)
    result.update(
        rfm_seconds=[round(value, 3) for value in rfm_times],
        aggregate_seconds=[round(value, 3) for value in aggregate_times],
        best_rfm_seconds=round(best_rfm, 3),
        best_aggregate_seconds=round(best_aggregate, 3),
        ratio=round(best_rfm / best_aggregate, 2) if best_aggregate else None,
        target_seconds=args.target,
    )
    _log(
        f"best: RFM {best_rfm:.2f} s, aggregate {best_aggregate:.2f} s, "
        f"ratio {result['ratio']} (target RFM < {args.target:.0f} s)"
    )
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
    return 0 if best_rfm < args.target else 1


if __name__ == "__main__":
    sys.exit(main())
