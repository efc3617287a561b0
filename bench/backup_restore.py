"""A backup and a verified restore of the 1,000,000-order data set, timed.

Run from the project root::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/mall .venv/bin/python \\
        bench/backup_restore.py --orders 1000000 --seed 7

It (re)creates and migrates a scratch database (``mall_bench_backups`` by default, on
the server of ``DATABASE_URL``) and fills it with ``bench/orders_generate.py`` (members,
catalog, channels and ``--orders`` orders with lines and shipments; ``COPY``, seeded);
``--keep`` reuses a database an earlier run generated. Then, alternating ``--rounds``
times:

* **backup** — ``ops.backups.services.backups.backup_run`` (daily, on demand): the
  REPEATABLE READ snapshot with per-table ``count(*)``, ``pg_dump --format=custom
  --snapshot``, sha256 and sidecars, the verified offsite copy; beside the baseline
  **plain pg_dump** (``pg_dump --format=custom`` of the same database to a file);
* **verified restore** — ``restore_check_run``: checksum, ``CREATE DATABASE`` +
  ``pg_restore``, per-table counts, ``stock_verify``, ``verify_member_ledgers``,
  ``balance_verify``, the channel ledger, the audit chain, ``DROP DATABASE``; beside
  the baseline **plain pg_restore** (``CREATE DATABASE`` + ``pg_restore`` of the same
  file + ``DROP DATABASE``).

Each figure is printed beside its baseline with the ratio (the overhead of counting,
checksums, the offsite copy and the verifications). The exit status is 0 when every
restore check passed.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _bench_database_url(base_url: str, name: str) -> str:
    parts = urlsplit(base_url)
    if not parts.scheme.startswith("postgres"):
        raise SystemExit("bench/backup_restore.py needs DATABASE_URL=postgres://… (PostgreSQL)")
    return urlunsplit(parts._replace(path=f"/{name}"))


def _admin_connection(base_url: str):
    import psycopg2

    connection = psycopg2.connect(urlunsplit(urlsplit(base_url)._replace(path="/postgres")))
    connection.autocommit = True
    return connection


def _ensure_database(base_url: str, name: str, *, drop: bool) -> None:
    from psycopg2 import sql

    connection = _admin_connection(base_url)
    try:
        with connection.cursor() as cursor:
            if drop:
                cursor.execute(
                    sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
                )
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
            if cursor.fetchone() is None:
                cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    finally:
        connection.close()


def _setup_django(database_url: str, folder: Path) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ["BACKUP_DIR"] = str(folder / "primary")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mall.settings")
    os.environ.setdefault("MALL_DEMO", "1")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    settings.BACKUP_OFFSITE_DIR = folder / "offsite"
    call_command("migrate", verbosity=0, interactive=False)


def _pg_args() -> tuple[list[str], dict]:
    from django.db import connection

    from ops.backups import engines

    settings_dict = connection.settings_dict
    return engines._pg_args(settings_dict), engines._pg_env(settings_dict)


def _plain_dump(target: Path) -> float:
    from django.db import connection

    args, env = _pg_args()
    started = time.perf_counter()
    subprocess.run(
        ["pg_dump", "--format=custom", f"--file={target}", *args, connection.settings_dict["NAME"]],
        env=env,
        check=True,
    )
    return time.perf_counter() - started


def _plain_restore(source: Path, name: str) -> float:
    from django.db import connection

    from ops.backups import engines

    args, env = _pg_args()
    started = time.perf_counter()
    engines.drop_scratch(name)
    admin = engines._pg_connect(connection.settings_dict, "postgres")
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
        # marked like the restore tool's scratch databases, so drop_scratch may drop it
        cursor.execute(f"COMMENT ON DATABASE \"{name}\" IS '{engines.SCRATCH_MARK}'")
    admin.close()
    subprocess.run(
        ["pg_restore", "--no-owner", "--no-privileges", f"--dbname={name}", *args, str(source)],
        env=env,
        check=True,
    )
    engines.drop_scratch(name)
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--members", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--database", default="mall_bench_backups")
    parser.add_argument("--keep", action="store_true", help="reuse the generated database")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    base_url = os.environ.get("DATABASE_URL", "")
    url = _bench_database_url(base_url, args.database)
    _ensure_database(base_url, args.database, drop=not args.keep)
    folder = Path(tempfile.mkdtemp(prefix="bench-backups-"))
    _setup_django(url, folder)

    from django.db import connection

    from mall.core.actors import system_actor
    from ops.backups.models import Backup
    from ops.backups.services.backups import backup_run
    from ops.backups.services.restore import restore_check_run

    figures: dict = {"orders": args.orders, "database": args.database, "rounds": []}
    if not args.keep:
        from bench.orders_generate import generate

        started = time.perf_counter()
        figures["generate"] = generate(orders=args.orders, seed=args.seed, members=args.members)
        figures["generate_seconds"] = round(time.perf_counter() - started, 1)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_database_size(current_database())")
        figures["database_bytes"] = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM orders_order")
        figures["orders_in_database"] = cursor.fetchone()[0]

    ok = True
    actor = system_actor()
    scratch = f"{args.database}_restore_bench"  # the scratch naming rule: <live>_restore_…
    for number in range(args.rounds):
        plain_file = folder / f"plain-{number}.dump"
        plain_dump = _plain_dump(plain_file)
        started = time.perf_counter()
        backup = backup_run(actor=actor, kind=Backup.Kind.DAILY, scheduled=False, prune=False)
        backup_seconds = time.perf_counter() - started
        plain_restore = _plain_restore(plain_file, scratch)
        started = time.perf_counter()
        check = restore_check_run(actor=actor, backup=backup, into=scratch)
        restore_seconds = time.perf_counter() - started
        ok = ok and check.status == "passed"
        plain_file.unlink(missing_ok=True)
        figures["rounds"].append(
            {
                "backup_seconds": round(backup_seconds, 2),
                "plain_pg_dump_seconds": round(plain_dump, 2),
                "backup_ratio": round(backup_seconds / plain_dump, 2),
                "verified_restore_seconds": round(restore_seconds, 2),
                "plain_pg_restore_seconds": round(plain_restore, 2),
                "restore_ratio": round(restore_seconds / plain_restore, 2),
                "dump_bytes": backup.size_bytes,
                "tables_compared": len(check.table_counts),
                "restore_check": check.status,
                "checks": {row["name"]: row["ok"] for row in check.checks},
            }
        )

    if args.json:
        print(json.dumps(figures, indent=1, default=str))
    else:
        print(
            f"database {args.database}: {figures['orders_in_database']:,} orders, "
            f"{figures['database_bytes'] / 2**20:,.0f} MiB"
        )
        for index, row in enumerate(figures["rounds"], 1):
            print(
                f"round {index}: backup {row['backup_seconds']:.1f} s vs plain pg_dump "
                f"{row['plain_pg_dump_seconds']:.1f} s (x{row['backup_ratio']}); verified "
                f"restore {row['verified_restore_seconds']:.1f} s vs plain pg_restore "
                f"{row['plain_pg_restore_seconds']:.1f} s (x{row['restore_ratio']}); "
                f"dump {row['dump_bytes'] / 2**20:,.0f} MiB; {row['tables_compared']} tables; "
                f"check {row['restore_check']}"
            )
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
