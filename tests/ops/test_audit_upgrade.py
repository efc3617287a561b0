"""Entries chained before sealing existed (plain SHA-256, key id 'sha256') still verify,
and the sealed chain continues from them; they cannot be used to hide later edits."""

import pytest
from django.utils import timezone

from mall.core.audit import audit
from ops.audit_chain import audit_chain_verify, audit_entries_seal, audit_entry_hash
from ops.models import AuditChainHead, AuditEntry

from .test_audit_chain import raw_sql


@pytest.fixture
def legacy_chain(db):
    """Three entries as the old recorder wrote them (what migration 0006 leaves)."""
    previous = ""
    for seq in (1, 2, 3):
        entry = AuditEntry(
            seq=seq,
            at=timezone.now(),
            actor_label="old",
            action="test.legacy",
            prev_hash=previous,
            key_id="sha256",
        )
        entry.hash = previous = audit_entry_hash(entry)
        entry.save(force_insert=True)
    AuditChainHead.objects.update_or_create(pk=1, defaults={"seq": 3, "hash": previous})
    return previous


def test_the_sealed_chain_continues_from_the_legacy_one(legacy_chain, superuser):
    audit(actor=superuser, action="test.new")
    audit_entries_seal()

    entry = AuditEntry.objects.get(action="test.new")
    assert (entry.seq, entry.prev_hash, entry.key_id) == (4, legacy_chain, "dev")
    assert audit_chain_verify().ok


def test_an_unkeyed_entry_after_keyed_ones_is_refused(legacy_chain, superuser, settings, tmp_path):
    audit(actor=superuser, action="test.a")
    audit(actor=superuser, action="test.b")
    audit_entries_seal()
    # Rewrite entry 5 (keyed) as a legacy entry and re-link everything after it.
    settings.AUDIT_ANCHOR_PATH = tmp_path / "none.jsonl"
    entry = AuditEntry.objects.get(seq=5)
    entry.key_id = "sha256"
    raw_sql(
        "UPDATE ops_auditentry SET key_id = 'sha256', hash = %s WHERE seq = 5",
        [audit_entry_hash(entry)],
    )
    raw_sql("UPDATE ops_auditchainhead SET hash = %s", [audit_entry_hash(entry)])

    report = audit_chain_verify()
    assert (report.ok, report.broken_seq, report.problem) == (
        False,
        5,
        "unkeyed entry after keyed ones",
    )
