"""Writes of the ops app: the audit log."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db import connection, transaction
from django.utils import timezone

from mall.core.audit import diff, jsonable
from mall.core.context import current_client_ip, current_request_id

from ..models import AuditChainHead, AuditEntry

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


def _canonical(entry: AuditEntry) -> bytes:
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


def audit_entry_hash(entry: AuditEntry) -> str:
    return hashlib.sha256(_canonical(entry)).hexdigest()


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
    """Append one entry to the audit chain inside the caller's transaction.

    The chain head is locked (``SELECT … FOR UPDATE``) so appends are serialised
    and ``seq`` has no gaps; the lock is held until the caller commits, so callers
    audit as the last step of their transaction. ``before``/``after`` are reduced
    to the keys that changed.
    """
    if before is not None or after is not None:
        before, after = diff(jsonable(before), jsonable(after))
    actor_id, actor_label = _actor_fields(actor)
    with transaction.atomic():
        head, _created = AuditChainHead.objects.select_for_update().get_or_create(pk=1)
        entry = AuditEntry(
            seq=head.seq + 1,
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
            prev_hash=head.hash,
        )
        entry.hash = audit_entry_hash(entry)
        entry.save(force_insert=True)
        AuditChainHead.objects.filter(pk=1).update(seq=entry.seq, hash=entry.hash)
    return entry


@dataclass(frozen=True)
class ChainReport:
    checked: int
    ok: bool
    broken_seq: int | None = None
    problem: str = ""


def audit_chain_verify(*, batch_size: int = 5000) -> ChainReport:
    """Walk the chain oldest first; report the first entry whose link is broken.

    Detects an edited entry (its hash no longer matches its content), a removed
    entry (a gap in ``seq`` or a ``prev_hash`` that does not match) and removed
    newest entries (the head names a later entry than the last one found).
    Entries purged by retention only shorten the chain's start.
    """
    checked = 0
    previous: AuditEntry | None = None
    queryset = AuditEntry.objects.order_by("seq")
    for entry in queryset.iterator(chunk_size=batch_size):
        checked += 1
        if audit_entry_hash(entry) != entry.hash:
            return ChainReport(checked, False, entry.seq, "content does not match its hash")
        if previous is not None:
            if entry.seq != previous.seq + 1:
                return ChainReport(checked, False, previous.seq + 1, "entry missing")
            if entry.prev_hash != previous.hash:
                return ChainReport(checked, False, entry.seq, "link to previous entry broken")
        elif entry.seq == 1 and entry.prev_hash:
            return ChainReport(checked, False, entry.seq, "first entry links to nothing")
        previous = entry
    head = AuditChainHead.objects.filter(pk=1).first()
    head_seq = head.seq if head else 0
    last_seq = previous.seq if previous else 0
    if head_seq != last_seq or (previous is not None and head.hash != previous.hash):
        return ChainReport(checked, False, last_seq + 1, "newest entries missing")
    return ChainReport(checked, True)


def audit_entries_purge(*, actor, retention_days: int, now: datetime | None = None) -> int:
    """Remove entries older than the retention period (never under 180 days).

    Only the chain's start is cut, so the rest still verifies. The purge is itself
    audited. Returns the number of entries removed.
    """
    retention_days = max(int(retention_days), AUDIT_RETENTION_MIN_DAYS)
    cutoff = (now or timezone.now()) - timedelta(days=retention_days)
    with transaction.atomic():
        # The default manager refuses bulk deletion and, on PostgreSQL, a trigger refuses
        # it too (migration 0005); retention is the one sanctioned path.
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL mall.audit_purge = 'on'")
        removed, _details = AuditEntry._base_manager.filter(at__lt=cutoff).delete()
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL mall.audit_purge = 'off'")
        audit_entry_record(
            actor=actor,
            action="audit.purge",
            data={"cutoff": cutoff.isoformat(), "removed": removed},
        )
    return removed
