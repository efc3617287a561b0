"""Audited writes on different rows at 1, 2, 4 and 8 sessions: the audit chain's cost.

Run from the project root::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/mall .venv/bin/python bench/audit_writes.py

It creates (once) and migrates a scratch database (``mall_bench_audit`` by default, on
the server of ``DATABASE_URL``) and ``--members`` members. Each audited write is one
daily check-in (``members.services.member_sign_in``: locks that member's row, writes
the points lot, entry and growth, audits) by a different member, so the writes share
no business row: only the audit chain can make them wait for each other. For each
session count it runs ``--writes`` check-ins three ways, in the same run:

* ``baseline`` — a bare ``INSERT`` of one row per transaction (autocommit) into a
  scratch table, from the same threads: what the database does with no service;
* ``before`` — the old design, emulated: each audit call locks the chain head
  (``SELECT … FOR UPDATE`` on ``ops_auditchainhead``) and chains its entry inside the
  caller's transaction, so the lock is held until the caller commits (no anchors,
  no on-commit seal: exactly what ``audit_entry_record`` did before the redesign);
* ``after`` — the code as it is: the transaction only inserts its entry; after commit
  the seal request runs the sealer inline (eager Celery, as in the demo), which
  chains and anchors in its own short transaction — the session waits for that;
* ``worker`` — the same code with the seal request handed to one sealer thread (what
  the realtime Celery worker does in production): sessions never wait for the seal.

It prints writes per second, each as a ratio of the baseline, and ×before. The
sessions are threads, each with its own PostgreSQL connection, released together by
a barrier (``bench/flash_sale.py``'s harness). The exit status is 0 only when every
write succeeded, every entry of the ``after`` runs was sealed and the chain verifies.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import threading
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.flash_sale import _ensure_database, _race, _setup_django  # noqa: E402

PHONE_PREFIX = "1370000"  # + 4 digits: the bench's members


def _bench_database_url(base_url: str, name: str) -> str:
    parts = urlsplit(base_url)
    if not parts.scheme.startswith("postgres"):
        raise SystemExit("bench/audit_writes.py needs DATABASE_URL=postgres://… (PostgreSQL)")
    return urlunsplit(parts._replace(path=f"/{name}"))


def _members(count: int) -> list:
    from django.contrib.auth.hashers import make_password

    from members import crypto
    from members.models import Member
    from members.services import member_register

    password_hash = make_password("bench-only-password")  # hashed once, shared
    members = []
    for index in range(count):
        phone = f"{PHONE_PREFIX}{index:04d}"
        member = Member.objects.filter(phone_hash=crypto.lookup_hash(phone)).first()
        members.append(
            member or member_register(actor=None, phone=phone, password_hash=password_hash)
        )
    return members


def _next_free_day(members) -> datetime:
    """A day after every check-in the bench made before (each member checks in once a day)."""
    from django.db.models import Max
    from django.utils import timezone

    from members.models import PointsLot, PointsReason

    last = PointsLot.objects.filter(member__in=members, reason=PointsReason.SIGN_IN).aggregate(
        last=Max("earned_at")
    )["last"]
    start = (last or timezone.now()) + timedelta(days=1)
    return start.replace(hour=12, minute=0, second=0, microsecond=0)


def _old_design_recorder():
    """The pre-redesign recorder: head row locked from the audit call until commit."""
    from ops.services import audit as audit_service

    def record(**kwargs):
        entry = audit_service.audit_entry_record(**kwargs)
        # Chains the caller's own entry inside the caller's transaction: the sealer's
        # SELECT … FOR UPDATE on the head is then held until the caller commits.
        audit_service._seal_batch(1000)
        return entry

    return record


def _last_entry_id() -> int:
    from ops.models import AuditEntry

    return AuditEntry._base_manager.order_by("-id").values_list("id", flat=True).first() or 0


def _run_entries(first_id: int) -> dict:
    """Unsealed count and the longest insert-to-seal time of the entries after ``first_id``."""
    from ops.models import AuditEntry

    entries = AuditEntry._base_manager.filter(id__gt=first_id)
    lags = [
        (sealed - at).total_seconds()
        for at, sealed in entries.values_list("at", "sealed_at")
        if sealed is not None
    ]
    return {
        "unsealed": entries.filter(seq__isnull=True).count(),
        "lag": round(max(lags, default=0.0), 3),
    }


def _sealer(wake: threading.Event, stop: threading.Event) -> None:
    """Stand-in for the realtime worker: seal whenever asked, and once more at the end."""
    from django.db import connection

    from ops.audit_chain import audit_entries_seal

    try:
        while not stop.is_set():
            if wake.wait(timeout=0.05):
                wake.clear()
                audit_entries_seal()
        audit_entries_seal()
    finally:
        connection.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--writes", type=int, default=400, help="check-ins per run (400)")
    parser.add_argument("--sessions", default="1,2,4,8", help="session counts (1,2,4,8)")
    parser.add_argument("--members", type=int, default=200, help="members (200)")
    parser.add_argument("--database", default="mall_bench_audit", help="scratch database")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    levels = [int(n) for n in args.sessions.split(",")]

    base_url = os.environ.get("DATABASE_URL", "")
    database_url = _bench_database_url(base_url, args.database)
    _ensure_database(base_url, args.database)
    # The seal runs in-process after each commit (no worker needed) and the anchors of
    # this scratch database go to a scratch file, not to the backup location.
    os.environ["CELERY_EAGER"] = "1"
    anchor_dir = Path(tempfile.gettempdir())
    os.environ["AUDIT_ANCHOR_PATH"] = str(anchor_dir / f"{args.database}-audit-anchors.jsonl")
    _setup_django(database_url)

    from django.db import connection

    from mall.core import audit as kernel_audit
    from members.services import member_sign_in
    from ops.services import audit as audit_service

    members = _members(max(args.members, max(levels)))
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE IF NOT EXISTS bench_audit_baseline "
            "(id bigserial PRIMARY KEY, member_id bigint NOT NULL, day date NOT NULL)"
        )
    audit_service.audit_entries_seal()  # start from a sealed chain
    day_zero = _next_free_day(members)
    real = {
        "recorder": audit_service.audit_entry_record,
        "on_commit": audit_service._request_seal_on_commit,
        "anchor": audit_service.audit_anchor_append,
        "request": audit_service._request_seal,
    }
    rounds = 0

    def check_ins(sessions: int) -> tuple[float, list]:
        nonlocal rounds
        start_day = day_zero + timedelta(days=rounds * (args.writes // len(members) + 1))
        rounds += 1

        def check_in(index: int) -> str:
            member = members[index % len(members)]
            when = start_day + timedelta(days=index // len(members))
            try:
                member_sign_in(actor=member, member=member, now=when)
            except Exception as exc:  # noqa: BLE001 - counted and reported, never hidden
                return f"error: {exc!r}"
            return "ok"

        return _race(sessions, args.writes, check_in)

    def bare_insert(index: int) -> str:
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO bench_audit_baseline (member_id, day) VALUES (%s, %s)",
                [members[index % len(members)].pk, day_zero.date()],
            )
        return "ok"

    rows = []
    errors: list[str] = []
    seal_lag = 0.0
    for sessions in levels:
        baseline_seconds, outcomes = _race(sessions, args.writes, bare_insert)
        errors += [o for o in outcomes if o != "ok"]

        # before: the old head lock, emulated
        kernel_audit.register_recorder(_old_design_recorder())
        audit_service._request_seal_on_commit = lambda: None
        audit_service.audit_anchor_append = lambda record: None
        try:
            before_seconds, outcomes = check_ins(sessions)
        finally:
            kernel_audit.register_recorder(real["recorder"])
            audit_service._request_seal_on_commit = real["on_commit"]
            audit_service.audit_anchor_append = real["anchor"]
        errors += [o for o in outcomes if o != "ok"]

        # after: the code as it is, the seal run inline after each commit (eager Celery)
        first_id = _last_entry_id()
        after_seconds, outcomes = check_ins(sessions)
        errors += [o for o in outcomes if o != "ok"]
        inline = _run_entries(first_id)

        # after, the seal request handed to a sealer thread (as to the realtime worker)
        first_id = _last_entry_id()
        wake, stop = threading.Event(), threading.Event()
        sealer = threading.Thread(target=_sealer, args=(wake, stop))
        sealer.start()
        audit_service._request_seal = wake.set
        try:
            worker_seconds, outcomes = check_ins(sessions)
        finally:
            audit_service._request_seal = real["request"]
            stop.set()
            sealer.join()
        errors += [o for o in outcomes if o != "ok"]
        worker = _run_entries(first_id)
        seal_lag = max(seal_lag, inline["lag"], worker["lag"])
        rows.append(
            {
                "sessions": sessions,
                "writes": args.writes,
                "baseline_inserts_per_second": round(args.writes / baseline_seconds, 1),
                "before_per_second": round(args.writes / before_seconds, 1),
                "after_per_second": round(args.writes / after_seconds, 1),
                "before_ratio": round(baseline_seconds / before_seconds, 4),
                "after_ratio": round(baseline_seconds / after_seconds, 4),
                "after_over_before": round(before_seconds / after_seconds, 2),
                "after_unsealed": inline["unsealed"],
                "after_max_seal_lag_seconds": inline["lag"],
                "worker_per_second": round(args.writes / worker_seconds, 1),
                "worker_ratio": round(baseline_seconds / worker_seconds, 4),
                "worker_over_before": round(before_seconds / worker_seconds, 2),
                "worker_unsealed": worker["unsealed"],
                "worker_max_seal_lag_seconds": worker["lag"],
            }
        )
    connection.close()
    report = audit_service.audit_chain_verify()
    ok = (
        not errors
        and all(row["after_unsealed"] == row["worker_unsealed"] == 0 for row in rows)
        and report.ok
        and report.unsealed == 0
    )
    figures = {
        "rows": rows,
        "errors": len(errors),
        "chain_ok": report.ok,
        "chain_entries": report.checked,
        "chain_problem": report.problem,
        "max_seal_lag_seconds": round(seal_lag, 3),
        "ok": ok,
    }
    if args.json:
        print(json.dumps(figures, indent=2))
    else:
        print(
            f"audited writes on different rows: {args.writes} check-ins per run "
            f"({len(members)} members), PostgreSQL, sessions = threads"
        )
        print(
            "  before = old head lock held to commit; after = seal inline after commit; "
            "worker = seal by a sealer thread"
        )
        print(
            f"  {'sessions':>8} | {'bare INSERT/s':>13} | {'before /s':>9} {'ratio':>6} | "
            f"{'after /s':>8} {'ratio':>6} {'×before':>7} | "
            f"{'worker /s':>9} {'ratio':>6} {'×before':>7} | seal lag max"
        )
        for row in rows:
            print(
                f"  {row['sessions']:>8} | {row['baseline_inserts_per_second']:>13} | "
                f"{row['before_per_second']:>9} {row['before_ratio']:>6.1%} | "
                f"{row['after_per_second']:>8} {row['after_ratio']:>6.1%} "
                f"{row['after_over_before']:>6}x | "
                f"{row['worker_per_second']:>9} {row['worker_ratio']:>6.1%} "
                f"{row['worker_over_before']:>6}x | "
                f"{row['after_max_seal_lag_seconds']} s / {row['worker_max_seal_lag_seconds']} s"
            )
        print(
            f"  chain     : {'verified' if report.ok else 'BROKEN: ' + report.problem} "
            f"({report.checked} entries, {report.unsealed} unsealed); errors: {len(errors)}"
        )
        print("  result    : " + ("OK" if ok else "FAILED"))
        for error in errors[:5]:
            print("   ", error)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
