"""Reconciliation of a 1,000,000-line bill end to end on PostgreSQL.

Run from the project root::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/mall .venv/bin/python bench/reconciliation.py

It creates (once) and migrates a scratch database (``mall_bench_recon`` by default) on
the server of ``DATABASE_URL``, empties its payments tables, ``COPY``s ``--lines``
paid sandbox transactions of yesterday (purpose ``recharge``, one member: the FK allows
many per member) and writes the WeChat-layout bill of them (the sandbox's layout) with a
sprinkle of discrepancies: lines dropped (platform_only), unknown lines (channel_only),
changed amounts, duplicated lines, changed fees, and records near midnight missing
from the bill (held cross-day). Then it times, through the real services
(``reconciliation_start`` with the uploaded file; the task runs eagerly on commit):
store the file, parse, ``COPY`` into ``payments_billline``, match, classify, write the
discrepancies, totals and tie-out. Beside it, in the same run, a plain SQL join of the
same loaded lines to the transactions (count and sum), and the ratio. Exit status 0
only when the run is ``done``, every planted discrepancy is found, and the end-to-end
time is under ``--target`` seconds (60).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import sys
import time
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.order_place import (  # noqa: E402 - after the path is set
    _bench_database_url,
    _ensure_database,
    _setup_django,
)

CN = ZoneInfo("Asia/Shanghai")


def _prepare(lines: int, seed: int):
    """Our transactions (COPY) and the bill's rows; returns (rows, planted, day)."""
    from django.db import connection
    from django.utils import timezone

    from members.models import Member
    from members.services import member_register
    from payments.reconciliation.bills import BillRow

    rng = random.Random(seed)
    day = timezone.localdate() - timedelta(days=1)
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE payments_discrepancy, payments_reconciliationadjustment, "
            "payments_billline, payments_reconciliation, payments_refund, "
            "payments_paymenttransaction CASCADE"
        )
    member = Member.objects.order_by("pk").first() or member_register(
        actor=None,
        phone="13900000001",
        password="bench-pass-2026",  # noqa: S106 - scratch db
    )
    start = datetime(day.year, day.month, day.day, 0, 40, tzinfo=CN)
    span = 22 * 3600 + 40 * 60  # 00:40 … 23:20: far from midnight
    near_midnight = 20
    now = timezone.now().isoformat()
    buffer = io.StringIO()
    amounts = []
    times = []
    for i in range(lines + near_midnight):
        amount = Decimal(rng.randint(100, 99999)) / 100
        fee = (amount * Decimal("0.006")).quantize(Decimal("0.01"))
        if i < lines:
            paid = start + timedelta(seconds=rng.randrange(span))
        else:
            paid = datetime(day.year, day.month, day.day, 23, 50, tzinfo=CN)
        amounts.append((amount, fee))
        times.append(paid)
        buffer.write(
            f"T{i:012d}\t4200{i:014d}\trecharge\t{member.pk}\tsandbox\tjsapi\tpaid\t"
            f"{amount}\t0\t{amount}\t0\t{fee}\t\t{paid.isoformat()}\t{{}}\t{now}\t{now}\n"
        )
    buffer.seek(0)
    with connection.cursor() as cursor:
        cursor.cursor.copy_expert(
            "COPY payments_paymenttransaction (transaction_no, channel_trade_no, purpose, "
            "member_id, channel, scene, status, total_amount, discount_amount, paid_amount, "
            "refunded_amount, fee_amount, payer_encrypted, paid_at, pay_params, created_at, "
            "updated_at) FROM STDIN",
            buffer,
        )
        cursor.execute("ANALYZE payments_paymenttransaction")
    del buffer
    planted = {"platform_only": 100, "channel_only": 100, "amount_mismatch": 100}
    planted.update({"duplicate": 50, "fee_mismatch": 50, "cross_day": near_midnight})
    dropped = set(rng.sample(range(lines), planted["platform_only"]))
    rest = [i for i in rng.sample(range(lines), 1000) if i not in dropped]
    changed = set(rest[:100])
    duplicated = set(rest[100:150])
    fee_off = set(rest[150:200])

    def rows():
        for i in range(lines):
            if i in dropped:
                continue
            amount, fee = amounts[i]
            if i in changed:
                amount = amount + Decimal("1.00")
            if i in fee_off:
                fee = fee + Decimal("0.50")
            row = BillRow(
                0,
                "payment",
                times[i],
                f"T{i:012d}",
                f"4200{i:014d}",
                "",
                "",
                amount,
                amount,
                fee,
                "SUCCESS",
            )
            yield row
            if i in duplicated:
                yield row
        for j in range(planted["channel_only"]):
            amount = Decimal("12.34")
            yield BillRow(
                0,
                "payment",
                start,
                f"U{j:012d}",
                f"4299{j:014d}",
                "",
                "",
                amount,
                amount,
                Decimal("0.07"),
                "SUCCESS",
            )

    return rows, planted, day


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--database", default="mall_bench_recon")
    parser.add_argument("--target", type=float, default=60.0)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    base = os.environ.get("DATABASE_URL", "")
    url = _bench_database_url(base, args.database)
    _ensure_database(base, args.database)
    os.environ.pop("REDIS_URL", None)  # the task runs eagerly on commit, in this process
    os.environ.setdefault("PAYMENT_SANDBOX_SECRET", "bench-sandbox-secret")
    _setup_django(url)

    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.db import connection

    from mall.core.actors import system_actor
    from payments.models import Reconciliation
    from payments.reconciliation.wechat_bill import write_bill
    from payments.services.reconciliation import reconciliation_start

    began = time.perf_counter()
    rows, planted, day = _prepare(args.lines, args.seed)
    numbered = (row._replace(line_no=n + 2) for n, row in enumerate(rows()))
    data = write_bill(numbered)
    prepared = time.perf_counter() - began
    size_mb = len(data) / 1024 / 1024

    started = time.perf_counter()
    run = reconciliation_start(
        actor=system_actor(),
        channel="sandbox",
        bill_date=day,
        upload=SimpleUploadedFile("bill.csv", data),
    )
    run = Reconciliation.objects.get(pk=run.pk)
    end_to_end = time.perf_counter() - started

    join_started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT COUNT(*), SUM(t.paid_amount) FROM payments_billline b "
            "JOIN payments_paymenttransaction t ON t.transaction_no = b.transaction_no "
            "WHERE b.reconciliation_id = %s",
            [run.pk],
        )
        joined, _total = cursor.fetchone()
    join_seconds = time.perf_counter() - join_started

    found = {key: run.summary.get(key, 0) for key in planted}
    result = {
        "lines": run.rows_total,
        "bill_mb": round(size_mb, 1),
        "status": run.status,
        "error": run.error,
        "prepare_s": round(prepared, 1),
        "end_to_end_s": round(end_to_end, 2),
        "plain_join_s": round(join_seconds, 2),
        "ratio": round(end_to_end / join_seconds, 1) if join_seconds else None,
        "joined_rows": joined,
        "summary": run.summary,
        "planted": planted,
        "tie_out": run.totals.get("tie_out"),
    }
    ok = run.status == "done" and found == planted and end_to_end < args.target
    result["ok"] = ok
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
    else:
        for key, value in result.items():
            print(f"{key:>14}: {value}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
