"""Writes on the audit log: the retention purge (the chain itself is ``ops.audit_chain``)."""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import partial

from django.db import transaction
from django.db.models import Min
from django.utils import timezone

from ..audit_chain import (
    AUDIT_RETENTION_MIN_DAYS,
    _set_local,
    audit_anchor_append,
    audit_entry_record,
)
from ..models import AuditChainHead, AuditEntry


def audit_entries_purge(*, actor, retention_days: int, now: datetime | None = None) -> int:
    """Remove the sealed entries older than the retention period (never under 180 days).

    Only a prefix of the chain is cut: everything before the first sealed entry
    written at or after the cutoff (so an entry sealed late never leaves a hole).
    The head records the new first ``seq`` and so does the anchor file, which is
    how ``audit_verify`` tells a purge from a deleted prefix. The purge is itself
    audited. Returns the number of entries removed.
    """
    retention_days = max(int(retention_days), AUDIT_RETENTION_MIN_DAYS)
    cutoff = (now or timezone.now()) - timedelta(days=retention_days)
    with transaction.atomic():
        # No head lock while deleting (sealers keep going): sealed entries never change,
        # and entries sealed meanwhile get a seq beyond the head read here.
        head = AuditChainHead.objects.filter(pk=1).first()
        sealed = AuditEntry._base_manager.filter(seq__isnull=False)
        kept = sealed.filter(at__gte=cutoff).aggregate(first=Min("seq"))["first"]
        first_kept = kept if kept is not None else (head.seq if head else 0) + 1
        # The default manager refuses bulk deletion and, on PostgreSQL, a trigger refuses
        # it too (migrations 0005/0006); retention is the one sanctioned path.
        _set_local("mall.audit_purge", "on")
        removed, _details = sealed.filter(seq__lt=first_kept).delete()
        _set_local("mall.audit_purge", "off")
        if AuditChainHead.objects.filter(pk=1, first_seq__lt=first_kept).update(
            first_seq=first_kept
        ):
            transaction.on_commit(
                partial(
                    audit_anchor_append,
                    {"kind": "purge", "first_seq": first_kept, "at": timezone.now().isoformat()},
                )
            )
        audit_entry_record(
            actor=actor,
            action="audit.purge",
            data={"cutoff": cutoff.isoformat(), "removed": removed, "first_seq": first_kept},
        )
    return removed
