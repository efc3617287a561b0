"""The audit chain's machinery: recording, sealing, anchors and verification.

The kernel's ``mall.core.audit.audit()`` calls :func:`audit_entry_record` (registered
in ``OpsConfig.ready()``); the sealer, the anchor file and ``audit_verify`` are
infrastructure with no actor of their own (the sealer must not audit itself). The
one write a person or job asks for — the retention purge — is the service
``ops.services.audit.audit_entries_purge``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from mall.core.audit import diff, jsonable
from mall.core.context import current_client_ip, current_request_id

from .audit_keys import LEGACY_KEY_ID, audit_key_ring
from .models import AuditChainHead, AuditEntry

logger = logging.getLogger(__name__)

AUDIT_RETENTION_MIN_DAYS = 180


def _actor_fields(actor) -> tuple[int | None, str]:
    """Return (staff user id, printable name) for any actor: staff, member, system."""
    if actor is None:
        return None, "anonymous"
    from django.contrib.auth import get_user_model

    if isinstance(actor, get_user_model()):
        return actor.pk, actor.get_username()
    label = getattr(actor, "audit_label", None)
    return None, str(label or f"{actor._meta.label_lower}:{actor.pk}")


def _legacy_canonical(entry: AuditEntry) -> bytes:
    """The content hashed by the SHA-256 chain of entries written before sealing."""
    at = entry.at.astimezone(UTC).isoformat(timespec="microseconds")
    payload = {
        "seq": entry.seq,
        "at": at,
        "actor_id": entry.actor_id,
        "actor_label": entry.actor_label,
        "action": entry.action,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "before": entry.before,
        "after": entry.after,
        "data": entry.data,
        "ip": entry.ip,
        "request_id": entry.request_id,
        "prev_hash": entry.prev_hash,
    }
    return json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def _canonical(entry: AuditEntry) -> bytes:
    """Everything an entry says plus its place in the chain, as canonical JSON."""
    payload = {
        "id": entry.pk,
        "seq": entry.seq,
        "at": entry.at.astimezone(UTC).isoformat(timespec="microseconds"),
        "actor_id": entry.actor_id,
        "actor_label": entry.actor_label,
        "action": entry.action,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "before": entry.before,
        "after": entry.after,
        "data": entry.data,
        "ip": entry.ip,
        "request_id": entry.request_id,
        "prev_hash": entry.prev_hash,
        "key_id": entry.key_id,
        "sealed_at": entry.sealed_at.astimezone(UTC).isoformat(timespec="microseconds"),
    }
    return json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


class UnknownAuditKey(Exception):
    """An entry names a key id that is not (or no longer) in ``AUDIT_HMAC_KEYS``."""


def audit_entry_hash(entry: AuditEntry) -> str:
    """The seal of a sealed entry: HMAC-SHA256 with the key named by its ``key_id``.

    Entries chained before sealing existed (``key_id = 'sha256'``) keep their plain
    SHA-256 hash.
    """
    if entry.key_id == LEGACY_KEY_ID:
        return hashlib.sha256(_legacy_canonical(entry)).hexdigest()
    key = audit_key_ring().keys.get(entry.key_id)
    if key is None:
        raise UnknownAuditKey(entry.key_id)
    return hmac.new(key, _canonical(entry), hashlib.sha256).hexdigest()


def audit_entry_record(
    *,
    actor,
    action: str,
    object_type: str = "",
    object_id: str = "",
    before: dict | None = None,
    after: dict | None = None,
    data: dict | None = None,
) -> AuditEntry:
    """Insert one audit entry in the caller's transaction; it is sealed after commit.

    No lock is taken: the entry gets its chain position (``seq``, ``prev_hash``,
    ``hash``) from the sealer once the caller's transaction has committed, so a
    long transaction that audited early holds up nobody else's audit. A seal is
    requested on commit. ``before``/``after`` are reduced to
    the keys that changed.
    """
    if before is not None or after is not None:
        before, after = diff(jsonable(before), jsonable(after))
    actor_id, actor_label = _actor_fields(actor)
    entry = AuditEntry(
        at=timezone.now(),
        actor_id=actor_id,
        actor_label=actor_label[:150],
        action=action[:100],
        object_type=object_type[:100],
        object_id=str(object_id)[:64],
        before=before,
        after=after,
        data=jsonable(data) if data is not None else None,
        ip=current_client_ip(),
        request_id=current_request_id()[:64],
    )
    entry.save(force_insert=True)
    _request_seal_on_commit()
    return entry


# --- sealing ------------------------------------------------------------------------------

SEAL_PENDING_KEY = "ops:audit:seal-pending"
SEAL_PENDING_SECONDS = 30


class _SealOnCommit:
    """One on-commit seal request; remembers whether it ran (see below)."""

    __slots__ = ("done",)

    def __init__(self) -> None:
        self.done = False

    def __call__(self) -> None:
        self.done = True
        _request_seal()


def _request_seal_on_commit() -> None:
    """Ask for a seal once the current transaction commits (at once in autocommit).

    Once per transaction: a transaction that audits many times (an import, a batch
    approval, the demo seed) registers one request, not one per entry — in eager mode
    each request runs the sealer inline. Any request still pending can be reused: a
    savepoint rolled back takes its requests out of the list, so one still listed
    was made in a savepoint since released into this transaction or in one still
    open around this entry — either way it runs when this entry commits. ("Still
    pending": a test's captured callbacks stay listed after they ran.)
    """
    connection = transaction.get_connection()
    if connection.in_atomic_block:
        for _sids, func, _robust in connection.run_on_commit:
            if isinstance(func, _SealOnCommit) and not func.done:
                return
    transaction.on_commit(_SealOnCommit(), robust=True)


def _request_seal() -> None:
    """Enqueue ``audit_entries_seal_task`` on the realtime queue (inline when eager).

    A cache flag keeps at most one request waiting (a transaction that audited many
    times asks many times): the task clears it before it looks for entries, so an
    entry committed before a request that found the flag set is seen by the waiting
    task. Never raises: the business transaction has already committed, and the
    per-minute safety job seals what is left.
    """
    try:
        if not cache.add(SEAL_PENDING_KEY, 1, timeout=SEAL_PENDING_SECONDS):
            return
        from .tasks import audit_entries_seal_task

        audit_entries_seal_task.delay()
    except Exception:
        logger.exception("audit: could not request a seal; the safety job will seal")
        cache.delete(SEAL_PENDING_KEY)


def audit_seal_request_clear() -> None:
    """Called by the seal task before it looks for entries (see ``_request_seal``)."""
    cache.delete(SEAL_PENDING_KEY)


def _set_local(name: str, value: str) -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL {name} = '{value}'")


def _head_for_update() -> AuditChainHead:
    """Lock the chain head for the sealer's own short transaction."""
    if connection.vendor != "postgresql":
        # SQLite: take the write lock first, so two sealers never both read the head.
        AuditChainHead.objects.filter(pk=1).update(seq=F("seq"))
    head, _created = AuditChainHead.objects.select_for_update().get_or_create(pk=1)
    return head


def _seal_batch(batch_size: int) -> tuple[int, dict | None]:
    if not AuditEntry._base_manager.filter(seq__isnull=True).exists():
        return 0, None  # nothing committed is unsealed: no need to queue at the head
    with transaction.atomic():
        head = _head_for_update()
        entries = list(
            AuditEntry._base_manager.filter(seq__isnull=True).order_by("id")[:batch_size]
        )
        if not entries:
            return 0, None
        ring = audit_key_ring()
        now = timezone.now()
        seq, previous = head.seq, head.hash
        for entry in entries:
            seq += 1
            entry.seq, entry.prev_hash = seq, previous
            entry.key_id, entry.sealed_at = ring.current_id, now
            entry.hash = previous = audit_entry_hash(entry)
        _set_local("mall.audit_seal", "on")
        AuditEntry._base_manager.bulk_update(
            entries, ["seq", "prev_hash", "key_id", "sealed_at", "hash"]
        )
        _set_local("mall.audit_seal", "off")
        AuditChainHead.objects.filter(pk=1).update(seq=seq, hash=previous, sealed_at=now)
        anchor = {
            "kind": "seal",
            "seq": seq,
            "hash": previous,
            "key_id": ring.current_id,
            "sealed": len(entries),
            "at": now.isoformat(),
        }
        transaction.on_commit(partial(audit_anchor_append, anchor))
    return len(entries), anchor


def audit_entries_seal(*, batch_size: int = 500, max_batches: int = 200) -> int:
    """Chain committed unsealed entries; return how many were sealed.

    One sealer at a time (the head row is locked in the sealer's own transaction,
    never in a business one). Entries are taken in ``id`` order in batches; each
    gets the next ``seq``, the previous hash and its HMAC, and each batch's new head
    is appended to the anchor file after the batch commits. The chain order is the
    order of sealing: an entry whose transaction commits late is chained late.
    """
    total = 0
    for _ in range(max_batches):
        sealed, _anchor = _seal_batch(batch_size)
        total += sealed
        if sealed < batch_size:
            break
    return total


# --- anchors outside the database -----------------------------------------------------------


def audit_anchor_append(record: dict) -> None:
    """Append one line to the anchor file (``settings.AUDIT_ANCHOR_PATH``).

    Opened in append mode and synced to disk; a failure is logged, never raised (the
    seal itself is committed; the next batch anchors a later head).
    """
    path = Path(settings.AUDIT_ANCHOR_PATH)
    line = json.dumps(record, sort_keys=True, separators=(",", ":")) + "\n"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
        try:
            os.write(descriptor, line.encode())
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
    except OSError:
        logger.exception("audit: could not append to the anchor file %s", path)


@dataclass(frozen=True)
class Anchors:
    seals: dict[int, str]  # seq → hash of the head at a seal batch
    purged_before: int  # the highest first_seq a purge recorded (1 when none)
    newest_seq: int
    bad_lines: int


def audit_anchors_read() -> Anchors:
    path = Path(settings.AUDIT_ANCHOR_PATH)
    seals: dict[int, str] = {}
    purged_before, bad_lines = 1, 0
    if path.exists():
        with path.open(encoding="utf-8") as lines:
            for line in lines:
                try:
                    record = json.loads(line)
                    if record["kind"] == "seal":
                        seals[int(record["seq"])] = str(record["hash"])
                    elif record["kind"] == "purge":
                        purged_before = max(purged_before, int(record["first_seq"]))
                except (ValueError, KeyError, TypeError):
                    bad_lines += 1
    return Anchors(seals, purged_before, max(seals, default=0), bad_lines)


# --- verification -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ChainReport:
    checked: int
    ok: bool
    broken_seq: int | None = None
    problem: str = ""
    anchors: int = 0
    unsealed: int = 0
    overdue: int = 0  # unsealed entries older than AUDIT_UNSEALED_MAX_SECONDS
    oldest_unsealed_seconds: float = 0.0


def audit_unsealed_status(*, now: datetime | None = None) -> tuple[int, int, float]:
    """(unsealed entries, of which past the threshold, age in seconds of the oldest)."""
    now = now or timezone.now()
    threshold = now - timedelta(seconds=settings.AUDIT_UNSEALED_MAX_SECONDS)
    unsealed = AuditEntry._base_manager.filter(seq__isnull=True)
    oldest = unsealed.order_by("at").values_list("at", flat=True).first()
    return (
        unsealed.count(),
        unsealed.filter(at__lt=threshold).count(),
        (now - oldest).total_seconds() if oldest else 0.0,
    )


def audit_chain_verify(*, batch_size: int = 5000, now: datetime | None = None) -> ChainReport:
    """Walk the sealed chain oldest first; report the first broken link.

    In the database: an edited entry (its HMAC no longer matches), a removed entry
    (a gap in ``seq`` or a ``prev_hash`` that does not match), removed newest
    entries (the head names a later entry) and a removed prefix (the first entry is
    not the head's ``first_seq``). Against the anchor file: a recomputed chain (an
    anchored head hash differs), newest entries removed together with the head (an
    anchor names a later entry) and a removed prefix passed off as a purge (the
    first entry is later than the last purge the anchors record). Also counts the
    entries still unsealed and those unsealed past ``AUDIT_UNSEALED_MAX_SECONDS``.
    """
    unsealed, overdue, oldest = audit_unsealed_status(now=now)
    anchors = audit_anchors_read()
    head = AuditChainHead.objects.filter(pk=1).first()
    head_seq, head_hash = (head.seq, head.hash) if head else (0, "")
    first_seq = head.first_seq if head else 1

    def report(checked: int, broken_seq: int | None = None, problem: str = "") -> ChainReport:
        return ChainReport(
            checked,
            not problem,
            broken_seq,
            problem,
            len(anchors.seals),
            unsealed,
            overdue,
            oldest,
        )

    checked = 0
    previous: AuditEntry | None = None
    keyed = False
    queryset = AuditEntry._base_manager.filter(seq__isnull=False).order_by("seq")
    for entry in queryset.iterator(chunk_size=batch_size):
        checked += 1
        if previous is None:
            if entry.seq > first_seq:
                return report(checked, first_seq, "entries missing")
            if entry.seq < first_seq:
                return report(checked, entry.seq, "entry before the recorded first entry")
            if entry.seq > anchors.purged_before:
                return report(checked, anchors.purged_before, "entries missing (no purge anchored)")
            if entry.seq == 1 and entry.prev_hash:
                return report(checked, entry.seq, "first entry links to nothing")
        if entry.key_id == LEGACY_KEY_ID:
            if keyed:
                return report(checked, entry.seq, "unkeyed entry after keyed ones")
        else:
            keyed = True
        try:
            if not hmac.compare_digest(audit_entry_hash(entry), entry.hash):
                return report(checked, entry.seq, "content does not match its hash")
        except UnknownAuditKey:
            return report(checked, entry.seq, f"unknown key id {entry.key_id!r}")
        if previous is not None:
            if entry.seq != previous.seq + 1:
                return report(checked, previous.seq + 1, "entry missing")
            if entry.prev_hash != previous.hash:
                return report(checked, entry.seq, "link to previous entry broken")
        anchored = anchors.seals.get(entry.seq)
        if anchored is not None and anchored != entry.hash:
            return report(checked, entry.seq, "differs from its anchor (chain recomputed)")
        previous = entry
    if previous is None:
        if head_seq >= first_seq:
            return report(checked, first_seq, "entries missing")
        if first_seq > anchors.purged_before:
            return report(checked, anchors.purged_before, "entries missing (no purge anchored)")
    elif head_seq != previous.seq or head_hash != previous.hash:
        return report(checked, previous.seq + 1, "newest entries missing")
    if anchors.newest_seq > head_seq:
        return report(checked, head_seq + 1, "newest entries missing (anchored)")
    return report(checked)
