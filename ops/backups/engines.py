"""The mechanics behind the backup services (not services: no actor, no audit).

* **Dump** — PostgreSQL: ``pg_dump --format=custom --snapshot=<id>``, where the
  snapshot is exported by a REPEATABLE READ transaction that also counts the rows of
  every table; pg_dump then reads exactly the data the counts describe (the exporting
  transaction stays open until pg_dump has finished). SQLite: the online backup API
  (``sqlite3.Connection.backup``) on Django's own connection inside one transaction
  that counts first — the read snapshot (WAL) or the shared lock (rollback journal)
  holds for both.
* **Restore** into a scratch database — PostgreSQL: ``CREATE DATABASE`` +
  ``pg_restore --exit-on-error``; SQLite: a copy of the file.
* **Run against** a scratch database — the existing verifications (``stock_verify``,
  ``verify_member_ledgers``, ``balance_verify``, the audit chain) read the ``default``
  connection; :func:`run_against` runs them in a short-lived thread whose ``default``
  connection (Django keeps connections per thread) is a wrapper for the scratch
  database, so nothing in the live process is repointed.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tarfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connection, connections, transaction
from django.db.utils import load_backend

CHUNK = 1024 * 1024
SCRATCH_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


class EngineError(Exception):
    """A dump, restore or copy step failed (message is a short diagnostic)."""


def _driver_errors() -> tuple[type[BaseException], ...]:
    try:
        import psycopg2
    except ImportError:  # SQLite-only installs
        return ()
    return (psycopg2.Error,)


# What a dump, a copy or a restore can raise that means "this backup (or this restore)
# did not work" — recorded as a failed backup or check — rather than a bug.
RESTORE_ERRORS: tuple[type[BaseException], ...] = (
    EngineError,
    OSError,
    DatabaseError,
    sqlite3.Error,
    *_driver_errors(),
)


# --- files ------------------------------------------------------------------------------------


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with Path(path).open("rb") as source:
        while block := source.read(CHUNK):
            digest.update(block)
    return digest.hexdigest()


def sidecar_path(path: Path) -> Path:
    return Path(f"{path}.sha256")


def manifest_path(path: Path) -> Path:
    return Path(f"{path}.manifest.json")


def private_dir(path: Path) -> Path:
    """Create ``path`` (and missing parents) readable by the owner only (0700)."""
    path = Path(path)
    missing = []
    for folder in (path, *path.parents):
        if folder.exists():
            break
        missing.append(folder)
    for folder in reversed(missing):
        folder.mkdir(mode=0o700, exist_ok=True)
        os.chmod(folder, 0o700)
    if path.is_dir() and path not in missing:
        # a folder another user owns (a mounted volume's root) keeps its mode
        with contextlib.suppress(PermissionError):
            os.chmod(path, 0o700)
    return path


def private_file(path: Path) -> Path:
    """Create (or truncate) ``path`` with mode 0600, so what is written to it never was
    readable by others; writers that open it again keep the mode."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.close(fd)
    os.chmod(path, 0o600)
    return Path(path)


def write_private_text(path: Path, text: str) -> None:
    private_file(path)
    Path(path).write_text(text, encoding="utf-8")


def write_sidecar(path: Path, digest: str) -> None:
    write_private_text(sidecar_path(path), f"{digest}  {Path(path).name}\n")


def read_sidecar(path: Path) -> str:
    try:
        return sidecar_path(path).read_text(encoding="utf-8").split()[0]
    except (OSError, IndexError):
        return ""


def write_manifest(path: Path, manifest: dict) -> None:
    write_private_text(manifest_path(path), json.dumps(manifest, sort_keys=True, indent=1))


def read_manifest(path: Path) -> dict:
    try:
        return json.loads(manifest_path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def copy_verified(source: Path, target: Path, digest: str) -> None:
    """Copy ``source`` to ``target`` (and its sidecars); raise unless the copy's sha256 is
    ``digest``."""
    private_dir(target.parent)
    partial = private_file(target.with_name(target.name + ".partial"))
    shutil.copyfile(source, partial)
    copied = sha256_file(partial)
    if copied != digest:
        partial.unlink(missing_ok=True)
        raise EngineError(f"offsite copy of {source.name} does not match its checksum")
    os.replace(partial, target)
    for extra in (sidecar_path(source), manifest_path(source)):
        if extra.exists():
            copy = private_file(Path(f"{target}{extra.name[len(source.name) :]}"))
            shutil.copyfile(extra, copy)


def remove_artifact(path: str) -> None:
    if not path:
        return
    for file in (Path(path), sidecar_path(Path(path)), manifest_path(Path(path))):
        file.unlink(missing_ok=True)


def media_archive(target: Path) -> None:
    """Archive MEDIA_ROOT as ``media/`` and PRIVATE_MEDIA_ROOT as ``private/`` (tar.gz)."""
    private_file(target)
    with tarfile.open(target, "w:gz") as archive:
        for root, name in (
            (settings.MEDIA_ROOT, "media"),
            (settings.PRIVATE_MEDIA_ROOT, "private"),
        ):
            if root and Path(root).is_dir():
                archive.add(str(root), arcname=name)


def media_archive_readable(path: Path) -> int:
    """Read every member of the archive (gzip and tar checksums); return how many."""
    with tarfile.open(path, "r:gz") as archive:
        return sum(1 for _member in archive)


# --- the live database ------------------------------------------------------------------------


def engine_name() -> str:
    return "postgresql" if connection.vendor == "postgresql" else "sqlite"


def _pg_env(settings_dict: dict) -> dict:
    env = dict(os.environ)
    if settings_dict.get("PASSWORD"):
        env["PGPASSWORD"] = str(settings_dict["PASSWORD"])
    return env


def _pg_args(settings_dict: dict) -> list[str]:
    args = []
    if settings_dict.get("HOST"):
        args += ["--host", str(settings_dict["HOST"])]
    if settings_dict.get("PORT"):
        args += ["--port", str(settings_dict["PORT"])]
    if settings_dict.get("USER"):
        args += ["--username", str(settings_dict["USER"])]
    return args


def _pg_connect(settings_dict: dict, dbname: str | None = None):
    import psycopg2

    return psycopg2.connect(
        dbname=dbname or settings_dict["NAME"],
        host=settings_dict.get("HOST") or None,
        port=settings_dict.get("PORT") or None,
        user=settings_dict.get("USER") or None,
        password=settings_dict.get("PASSWORD") or None,
    )


def _pg_tables(cursor) -> list[str]:
    cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")
    return [row[0] for row in cursor.fetchall()]


def _pg_counts(cursor) -> dict[str, int]:
    counts = {}
    for table in _pg_tables(cursor):
        cursor.execute(f'SELECT count(*) FROM "{table}"')  # noqa: S608 - names from the catalog
        counts[table] = int(cursor.fetchone()[0])
    return counts


def _audit_head_seq(cursor) -> int | None:
    from ops.models import AuditChainHead

    table = AuditChainHead._meta.db_table
    cursor.execute(f'SELECT seq FROM "{table}" WHERE id = 1')  # noqa: S608 - a model's table
    row = cursor.fetchone()
    return int(row[0]) if row else None


def dump_database(target: Path) -> tuple[dict[str, int], int | None]:
    """Dump the live database to ``target``; return (rows per table, audit head seq)."""
    private_dir(target.parent)
    private_file(target)
    if engine_name() == "postgresql":
        return _pg_dump(target)
    return _sqlite_dump(target)


def _pg_dump(target: Path) -> tuple[dict[str, int], int | None]:
    import psycopg2.extensions

    settings_dict = connection.settings_dict
    snapshot_conn = _pg_connect(settings_dict)
    try:
        snapshot_conn.set_session(
            isolation_level=psycopg2.extensions.ISOLATION_LEVEL_REPEATABLE_READ, readonly=True
        )
        with snapshot_conn.cursor() as cursor:
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot = cursor.fetchone()[0]
            counts = _pg_counts(cursor)
            head = _audit_head_seq(cursor)
        command = [
            "pg_dump",
            "--format=custom",
            f"--snapshot={snapshot}",
            f"--file={target}",
            *_pg_args(settings_dict),
            str(settings_dict["NAME"]),
        ]
        done = subprocess.run(  # noqa: S603 - fixed program, arguments from settings
            command, env=_pg_env(settings_dict), capture_output=True, text=True, check=False
        )
        if done.returncode != 0:
            raise EngineError(f"pg_dump failed: {done.stderr.strip()[-2000:]}")
    finally:
        snapshot_conn.rollback()
        snapshot_conn.close()
    return counts, head


def _sqlite_counts(raw: sqlite3.Connection) -> dict[str, int]:
    tables = [
        row[0]
        for row in raw.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' "
            "AND name NOT LIKE 'sqlite_%' ORDER BY name"
        )
    ]
    counts = {}
    for table in tables:
        query = f'SELECT count(*) FROM "{table}"'  # noqa: S608 - names from the catalog
        counts[table] = int(raw.execute(query).fetchone()[0])
    return counts


def _sqlite_dump(target: Path) -> tuple[dict[str, int], int | None]:
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    private_file(partial)
    holds_writes = connection.in_atomic_block  # the caller's transaction (demo, tests)
    with transaction.atomic():
        connection.ensure_connection()
        raw = connection.connection
        counts = _sqlite_counts(raw)
        head = _audit_head_seq(raw.cursor())
        destination = sqlite3.connect(partial)
        try:
            if holds_writes:
                # The online backup API waits for ever while its own connection holds a
                # write transaction; the SQL dump of the same connection reads the same
                # snapshot (uncommitted rows included).
                destination.executescript("\n".join(raw.iterdump()))
            else:
                raw.backup(destination)
        finally:
            destination.close()
    os.replace(partial, target)
    return counts, head


# --- scratch databases ------------------------------------------------------------------------


SCRATCH_MARK = "mall-restore-scratch"  # COMMENT ON DATABASE of the scratch databases we create
SQLITE_SIDE_FILES = ("-wal", "-shm", "-journal")


def live_name() -> str:
    return str(connection.settings_dict["NAME"])


def scratch_prefix() -> str:
    """The fixed prefix of every scratch database: ``<live name>_restore_`` (PostgreSQL)."""
    return f"{live_name()}_restore_"


def scratch_dir() -> Path:
    """The only folder SQLite scratch databases may live in: ``BACKUP_DIR/scratch``."""
    return Path(settings.BACKUP_DIR) / "scratch"


def _configured_names() -> set[str]:
    names = set()
    for alias in settings.DATABASES:
        names.add(str(connections[alias].settings_dict.get("NAME") or ""))
        names.add(str(settings.DATABASES[alias].get("NAME") or ""))
    return names - {""}


def _sqlite_live_files() -> list[Path]:
    suffixes = ("", *SQLITE_SIDE_FILES)
    return [Path(f"{name}{suffix}") for name in _configured_names() for suffix in suffixes]


def _same_file(left: Path, right: Path) -> bool:
    try:
        return left.exists() and right.exists() and os.path.samefile(left, right)
    except OSError:
        return False


def is_live_target(name: str) -> bool:
    """True when ``name`` is the live database (PostgreSQL: its name; SQLite: its file,
    through a symbolic link, a hard link or one of its -wal/-shm/-journal files too)."""
    if engine_name() == "sqlite":
        try:
            target = Path(name).resolve()
        except (OSError, ValueError):
            return True  # cannot tell: treat as live (refused)
        for live in _sqlite_live_files():
            try:
                if target == live.resolve():
                    return True
            except (OSError, ValueError):
                continue
        for suffix in ("", *SQLITE_SIDE_FILES):
            candidate = Path(f"{target}{suffix}")
            if any(_same_file(candidate, live) for live in _sqlite_live_files()):
                return True
        return False
    return name == live_name()


def scratch_settings(name: str) -> dict:
    """Django settings of the scratch database ``name`` (a copy of the live ones)."""
    settings_dict = dict(connection.settings_dict)
    settings_dict["NAME"] = name
    settings_dict["CONN_MAX_AGE"] = 0
    settings_dict["CONN_HEALTH_CHECKS"] = False
    return settings_dict


def valid_scratch_name(name: str) -> bool:
    """A name the restore tool may create, fill and drop (never a configured database).

    PostgreSQL: ``<live name>_restore_<suffix>`` (lower case, digits, underscores, at
    most 63 characters). SQLite: a file inside ``BACKUP_DIR/scratch`` whose name does
    not end in -wal/-shm/-journal, and neither it nor its side files is a link to a
    configured database's files.
    """
    if not name or "\x00" in name:
        return False
    if engine_name() == "postgresql":
        return (
            bool(SCRATCH_NAME.match(name))
            and name.startswith(scratch_prefix())
            and len(name) > len(scratch_prefix())
            and name not in _configured_names()
        )
    if name.endswith(SQLITE_SIDE_FILES) or is_live_target(name):
        return False
    try:
        target = Path(name).resolve()
        folder = scratch_dir().resolve()
    except (OSError, ValueError):
        return False
    if target.parent != folder or Path(name).is_symlink():
        return False
    return not (target.exists() and not target.is_file())


def scratch_foreign(name: str) -> bool:
    """True when ``name`` exists but was not created by this tool (PostgreSQL: no
    ``mall-restore-scratch`` comment; SQLite: a file with more than one link)."""
    if engine_name() == "postgresql":
        mark = _pg_database_mark(name)
        return mark is not None and mark != SCRATCH_MARK
    for suffix in ("", *SQLITE_SIDE_FILES):
        path = Path(f"{name}{suffix}")
        try:
            if path.is_symlink() or (path.exists() and path.stat().st_nlink > 1):
                return True
        except OSError:
            return True
    return False


def _pg_database_mark(name: str) -> str | None:
    """The comment of database ``name`` (``""`` without one); ``None`` when it does not exist."""
    admin = _pg_connect(connection.settings_dict, "postgres")
    try:
        with admin.cursor() as cursor:
            cursor.execute(
                "SELECT coalesce(shobj_description(oid, 'pg_database'), '') "
                "FROM pg_database WHERE datname = %s",
                [name],
            )
            row = cursor.fetchone()
    finally:
        admin.close()
    return None if row is None else str(row[0])


def lock_scratch_name(name: str) -> None:
    """Serialize, until the end of the current transaction, the checks that claim the
    scratch database ``name`` (PostgreSQL advisory lock; SQLite serializes writes)."""
    if engine_name() == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"backups:{name}"])


def restore_into(source: Path, name: str, *, clean_live: bool = False) -> None:
    """Restore the database file ``source`` into the database ``name`` (created anew,
    unless ``clean_live``: then the objects of the live database are replaced)."""
    if engine_name() == "postgresql":
        _pg_restore(source, name, clean_live=clean_live)
    elif clean_live:
        connections.close_all()
        shutil.copyfile(source, Path(name))
    else:
        drop_scratch(name)
        private_dir(Path(name).parent)
        target = private_file(Path(name))
        shutil.copyfile(source, target)


def _pg_restore(source: Path, name: str, *, clean_live: bool) -> None:
    settings_dict = connection.settings_dict
    if not clean_live:
        drop_scratch(name)
        admin = _pg_connect(settings_dict, "postgres")
        admin.autocommit = True
        try:
            with admin.cursor() as cursor:
                cursor.execute(f'CREATE DATABASE "{name}"')  # name checked: valid_scratch_name
                cursor.execute(f"COMMENT ON DATABASE \"{name}\" IS '{SCRATCH_MARK}'")
        finally:
            admin.close()
    else:
        connections.close_all()
    command = [
        "pg_restore",
        "--exit-on-error",
        "--no-owner",
        "--no-privileges",
        *(["--clean", "--if-exists"] if clean_live else []),
        f"--dbname={name}",
        *_pg_args(settings_dict),
        str(source),
    ]
    done = subprocess.run(  # noqa: S603 - fixed program, arguments from settings
        command, env=_pg_env(settings_dict), capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise EngineError(f"pg_restore failed: {done.stderr.strip()[-2000:]}")


def drop_scratch(name: str) -> None:
    """Drop the scratch database ``name``: only a valid scratch name, and only a database
    this tool created (PostgreSQL: carries the ``mall-restore-scratch`` comment)."""
    if not valid_scratch_name(name):
        raise EngineError("refusing to drop a database that is not a scratch database")
    if scratch_foreign(name):
        raise EngineError("refusing to drop a database this tool did not create")
    if engine_name() == "postgresql":
        if _pg_database_mark(name) is None:
            return
        admin = _pg_connect(connection.settings_dict, "postgres")
        admin.autocommit = True
        try:
            with admin.cursor() as cursor:
                cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            admin.close()
    else:
        for suffix in ("", *SQLITE_SIDE_FILES):
            Path(f"{name}{suffix}").unlink(missing_ok=True)


def scratch_counts(name: str) -> dict[str, int]:
    if engine_name() == "postgresql":
        conn = _pg_connect(connection.settings_dict, name)
        try:
            with conn.cursor() as cursor:
                return _pg_counts(cursor)
        finally:
            conn.close()
    raw = sqlite3.connect(name)
    try:
        return _sqlite_counts(raw)
    finally:
        raw.close()


def run_against(name: str, func: Callable[[], Any]) -> Any:
    """Call ``func`` in a thread whose ``default`` connection is the scratch database."""
    settings_dict = scratch_settings(name)
    outcome: dict[str, Any] = {}

    def target() -> None:
        wrapper = load_backend(settings_dict["ENGINE"]).DatabaseWrapper(
            settings_dict, DEFAULT_DB_ALIAS
        )
        connections[DEFAULT_DB_ALIAS] = wrapper
        try:
            outcome["value"] = func()
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
            outcome["error"] = exc
        finally:
            wrapper.close()

    worker = threading.Thread(target=target, name="backups-restore-check")
    worker.start()
    worker.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("value")
