"""Restore checks: restore a backup into a scratch database and verify it.

The checks, each recorded with its result in ``RestoreCheck.checks``:

* ``checksum`` — the database file (and the media archive) match the sha256 recorded
  at backup time; on a mismatch nothing is restored and the check fails at once;
* ``table_counts`` — every table's rows in the scratch database equal the counts
  recorded in the backup's snapshot;
* ``stock_verify``, ``verify_member_ledgers`` (points and growth), ``balance_verify``
  — the existing commands, run against the scratch database (``engines.run_against``);
* ``channel_ledger`` — every sales channel's balance equals the sum of its ledger;
* ``audit_verify`` — the audit chain of the restored database, against the anchors
  file: anchors newer than the backup are expected (sealed after it) as long as the
  restored head is the head recorded at backup time;
* ``media_archive`` (full backups) — the archive reads to its end.
"""

from __future__ import annotations

import io
import tarfile
import time
from datetime import datetime

from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from mall.core.actors import is_system_actor
from mall.core.audit import audit
from mall.core.transitions import transition

from .. import engines
from ..exceptions import (
    BackupCorrupted,
    BackupUnavailable,
    RestoreTargetRefused,
    ScratchTargetBusy,
    ScratchTargetForeign,
    ScratchTargetRefused,
)
from ..files import server_paths_hidden
from ..models import Backup, RestoreCheck
from ..permissions import ensure_may_run
from ..sources import Source, source_for_backup
from .backups import STALE_RUNNING

ANCHORED_NEWER = "newest entries missing (anchored)"


def _latest_backup() -> Backup:
    backup = (
        Backup.objects.filter(status=Backup.Status.SUCCEEDED).order_by("-started_at", "-id").first()
    )
    if backup is None:
        raise BackupUnavailable()
    return backup


def _default_scratch_name(check_pk: int) -> str:
    """The scratch database of restore check ``check_pk`` (unique per check)."""
    if engines.engine_name() == "postgresql":
        return f"{engines.scratch_prefix()}{check_pk}"
    return str(engines.scratch_dir() / f"restore-{check_pk}.sqlite3")


def _ensure_scratch_target(name: str) -> None:
    if engines.is_live_target(name):
        raise RestoreTargetRefused()
    if not engines.valid_scratch_name(name):
        raise ScratchTargetRefused()
    if engines.scratch_foreign(name):
        raise ScratchTargetForeign()


def restore_check_run(
    *,
    actor,
    backup: Backup | None = None,
    source: Source | None = None,
    into: str | None = None,
    keep: bool = False,
    now: datetime | None = None,
) -> RestoreCheck:
    """Restore a backup into a scratch database, verify it and record the result.

    ``backup`` (or ``source``, a file given by path) defaults to the newest succeeded
    backup; ``into`` to ``<live name>_restore_<check id>`` (PostgreSQL) or
    ``BACKUP_DIR/scratch/restore-<check id>.sqlite3`` (SQLite), unique per check. The
    scratch database is dropped afterwards unless ``keep`` (the drill). A checksum
    mismatch fails the check before anything is restored. Returns the check, passed
    or failed (a failure is a result, not an exception). Raises
    :class:`BackupUnavailable` when there is nothing to restore,
    :class:`RestoreTargetRefused` for the live database, :class:`ScratchTargetRefused`
    for a name outside the scratch naming rule (docs/BACKUPS.md),
    :class:`ScratchTargetForeign` for an existing database the tool did not create and
    :class:`ScratchTargetBusy` while another running check uses ``into``.
    """
    ensure_may_run(actor)
    if source is None:
        source = source_for_backup(backup or _latest_backup())
    if into is not None:
        _ensure_scratch_target(into)
    if source.engine != engines.engine_name():
        raise BackupUnavailable()
    now = now or timezone.now()
    with transaction.atomic():
        if into is not None:
            engines.lock_scratch_name(into)
            busy = RestoreCheck.objects.filter(
                scratch_database=into,
                status=RestoreCheck.Status.RUNNING,
                started_at__gt=now - STALE_RUNNING,
            ).exists()
            if busy:
                raise ScratchTargetBusy()
        check = RestoreCheck.objects.create(
            backup=source.backup,
            source=str(source.database_path),
            scratch_database=into or "",
            status=RestoreCheck.Status.RUNNING,
            started_at=now,
            requested_by=None if is_system_actor(actor) else actor,
        )
        if into is None:
            check.scratch_database = _default_scratch_name(check.pk)
            check.save(update_fields=["scratch_database"])
        audit(actor=actor, action="backups.restore_check_start", target=check)
    name = check.scratch_database
    started = time.monotonic()
    results: list[dict] = []
    compared: dict = {}
    error = ""
    try:
        corrupted = _checksums(source, results)
        if corrupted:
            error = str(BackupCorrupted.default_message)
        else:
            try:
                engines.restore_into(source.database_path, name)
                compared = _compare_counts(source, name, results)
                _verifications(source, name, results)
            finally:
                if not keep:
                    engines.drop_scratch(name)
    except engines.RESTORE_ERRORS as exc:
        error = server_paths_hidden(f"{type(exc).__name__}: {exc}")[:4000]
    passed = not error and bool(results) and all(result["ok"] for result in results)
    with transaction.atomic():
        transition(
            check,
            RestoreCheck.Status.PASSED if passed else RestoreCheck.Status.FAILED,
            actor=actor,
            action="backups.restore_check_pass" if passed else "backups.restore_check_fail",
            finished_at=timezone.now(),
            duration_seconds=round(time.monotonic() - started, 3),
            table_counts=compared,
            checks=results,
            error=error or ("" if passed else _first_problem(results)),
        )
    return check


def _ensure_not_corrupted(source: Source) -> None:
    """Raise :class:`BackupCorrupted` unless the files match their recorded checksums."""
    if _checksums(source, []):
        raise BackupCorrupted()


def backup_restore_live(*, actor, source: Source, force_live: bool = False) -> None:
    """Restore ``source`` over the live database (the disaster drill's last step).

    Refuses without ``force_live`` (:class:`RestoreTargetRefused`) and for a corrupted
    file (:class:`BackupCorrupted`). Not recorded in the database: the live database is
    replaced by the backup's content (its own rows included); the command prints what
    it did and the operator runs the verify commands afterwards.
    """
    ensure_may_run(actor)
    if not force_live:
        raise RestoreTargetRefused()
    if source.engine != engines.engine_name():
        raise BackupUnavailable()
    _ensure_not_corrupted(source)
    engines.restore_into(source.database_path, engines.live_name(), clean_live=True)


def _checksums(source: Source, results: list[dict]) -> bool:
    """Append the checksum check to ``results``; True when a file is corrupted."""
    files = [(source.database_path, source.sha256)]
    if source.media_path is not None:
        files.append((source.media_path, source.media_sha256))
    problems = []
    for path, expected in files:
        if not path.exists():
            problems.append(f"{path.name}: missing")
        elif not expected or engines.sha256_file(path) != expected:
            problems.append(f"{path.name}: checksum mismatch")
    results.append({"name": "checksum", "ok": not problems, "detail": "; ".join(problems)})
    if problems:
        results[-1]["data"] = {"files": len(problems)}
    return bool(problems)


def _compare_counts(source: Source, name: str, results: list[dict]) -> dict:
    restored = engines.scratch_counts(name)
    compared = {
        table: {"expected": expected, "restored": restored.get(table)}
        for table, expected in sorted(source.table_counts.items())
    }
    differing = [t for t, c in compared.items() if c["expected"] != c["restored"]]
    results.append(
        {
            "name": "table_counts",
            "ok": bool(compared) and not differing,
            "detail": ", ".join(differing[:20]) if differing else f"{len(compared)} tables",
            "data": {"tables": len(compared), "differing": len(differing)},
        }
    )
    return compared


def _verifications(source: Source, name: str, results: list[dict]) -> None:
    for command in ("stock_verify", "verify_member_ledgers", "balance_verify"):
        results.append(engines.run_against(name, lambda command=command: _command(command)))
    results.append(engines.run_against(name, _channel_ledger))
    results.append(engines.run_against(name, lambda: _audit_chain(source.audit_head_seq)))
    if source.media_path is not None:
        try:
            members = engines.media_archive_readable(source.media_path)
            results.append(
                {
                    "name": "media_archive",
                    "ok": True,
                    "detail": f"{members} entries",
                    "data": {"entries": members},
                }
            )
        except (OSError, EOFError, tarfile.TarError) as exc:
            results.append({"name": "media_archive", "ok": False, "detail": str(exc)[:500]})


def _command(command: str) -> dict:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command(command, stdout=out, stderr=err)
    except CommandError as exc:
        return {"name": command, "ok": False, "detail": f"{exc} {err.getvalue()[:500]}".strip()}
    return {"name": command, "ok": True, "detail": out.getvalue().strip()[:500]}


def _channel_ledger() -> dict:
    from orders.models import ChannelLedgerEntry, SalesChannel

    totals = dict(
        ChannelLedgerEntry.objects.values("channel_id")
        .annotate(total=Sum("amount"))
        .values_list("channel_id", "total")
    )
    differing = [
        pk
        for pk, balance in SalesChannel.objects.values_list("pk", "balance_amount")
        if (totals.get(pk) or 0) != balance
    ]
    return {
        "name": "channel_ledger",
        "ok": not differing,
        "detail": f"channels {differing[:20]} differ from their ledger" if differing else "",
        "data": {"differing": len(differing)},
    }


def _audit_chain(recorded_head: int | None) -> dict:
    from ops.audit_chain import audit_chain_verify
    from ops.models import AuditChainHead

    report = audit_chain_verify()
    head = AuditChainHead.objects.filter(pk=1).values_list("seq", flat=True).first()
    ok = report.ok or (
        report.problem == ANCHORED_NEWER
        and recorded_head is not None
        and head == recorded_head
        and report.broken_seq == (head or 0) + 1
    )
    detail = f"{report.checked} entries, {report.anchors} anchors"
    if not report.ok:
        detail += f"; {report.problem} at {report.broken_seq}"
    data = {
        "entries": report.checked,
        "anchors": report.anchors,
        "anchored_newer": not report.ok and ok,
    }
    return {"name": "audit_verify", "ok": ok, "detail": detail, "data": data}


def _first_problem(results: list[dict]) -> str:
    for result in results:
        if not result["ok"]:
            return f"{result['name']}: {result['detail']}"[:4000]
    return ""
