"""The audit log is append-only and chained; audit_verify finds tampering, also with the
anchors kept outside the database, and tells a retention purge from a deleted prefix."""

import itertools
import json
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from mall.core.audit import audit, snapshot
from ops.audit_chain import audit_chain_verify, audit_entries_seal, audit_entry_hash
from ops.models import AuditChainHead, AuditEntry
from ops.services.audit import audit_entries_purge
from tests.conftest import requires_postgres


def write_entries(count, actor, start=0):
    for index in range(start, start + count):
        audit(
            actor=actor,
            action="test.write",
            object_type="test.thing",
            object_id=index,
            before={"n": index, "same": 1},
            after={"n": index + 1, "same": 1},
        )


@pytest.fixture
def chain(db, superuser, django_capture_on_commit_callbacks):
    """Five entries, sealed by the on-commit request and anchored (one seal per commit)."""
    for index in range(5):
        with django_capture_on_commit_callbacks(execute=True):
            write_entries(1, superuser, start=index)
    return list(AuditEntry.objects.order_by("seq"))


def raw_sql(sql, params=()):
    """Tamper like a database superuser would: past the append-only trigger."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(sql, params)
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = origin")


def recompute_chain(start_seq=None):
    """What an attacker holding the key does after an edit: re-seal every later entry."""
    head = AuditChainHead.objects.get(pk=1)
    entries = list(AuditEntry.objects.filter(seq__isnull=False).order_by("seq"))
    previous = ""
    for entry in entries:
        if start_seq is None or entry.seq >= start_seq:
            entry.prev_hash = previous
            entry.hash = audit_entry_hash(entry)
            raw_sql(
                "UPDATE ops_auditentry SET prev_hash = %s, hash = %s WHERE id = %s",
                [entry.prev_hash, entry.hash, entry.pk],
            )
        previous = entry.hash
    raw_sql("UPDATE ops_auditchainhead SET hash = %s WHERE id = %s", [previous, head.pk])


def test_entries_link_each_to_the_previous_one_with_a_keyed_hash(chain):
    assert [e.seq for e in chain] == [1, 2, 3, 4, 5]
    assert chain[0].prev_hash == ""
    assert all(later.prev_hash == earlier.hash for earlier, later in itertools.pairwise(chain))
    assert {e.key_id for e in chain} == {"dev"}
    assert all(e.sealed_at is not None for e in chain)
    report = audit_chain_verify()
    assert (report.ok, report.checked, report.anchors) == (True, 5, 5)


def test_only_changed_fields_are_kept_as_the_diff(chain):
    assert chain[0].before == {"n": 0}
    assert chain[0].after == {"n": 1}


def test_the_entry_records_who_what_and_from_where(db, superuser):
    from mall.core.context import client_ip_var, request_id_var

    ip_token, rid_token = client_ip_var.set("192.0.2.7"), request_id_var.set("req-12345678")
    try:
        entry = audit(
            actor=superuser,
            action="user.touch",
            target=superuser,
            after=snapshot(superuser, ["email"]),
        )
    finally:
        client_ip_var.reset(ip_token)
        request_id_var.reset(rid_token)
    entry.refresh_from_db()
    assert (entry.actor_id, entry.actor_label) == (superuser.pk, superuser.username)
    assert (entry.object_type, entry.object_id) == ("auth.user", str(superuser.pk))
    assert (entry.ip, entry.request_id) == ("192.0.2.7", "req-12345678")


def test_entries_cannot_be_changed_or_deleted_through_the_orm(chain):
    entry = chain[0]
    entry.action = "forged"
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        entry.delete()
    with pytest.raises(PermissionError):
        AuditEntry.objects.filter(pk=entry.pk).update(action="forged")
    with pytest.raises(PermissionError):
        AuditEntry.objects.all().delete()


def test_an_edited_entry_is_found(chain):
    raw_sql("UPDATE ops_auditentry SET action = %s WHERE seq = 3", ["forged"])

    report = audit_chain_verify()
    assert (report.ok, report.broken_seq) == (False, 3)
    with pytest.raises(CommandError, match="seq 3"):
        call_command("audit_verify")


def test_an_edit_that_also_recomputes_its_own_hash_breaks_the_next_link(chain, settings, tmp_path):
    entry = AuditEntry.objects.get(seq=2)
    entry.action = "forged"
    raw_sql(
        "UPDATE ops_auditentry SET action = %s, hash = %s WHERE seq = 2",
        ["forged", audit_entry_hash(entry)],
    )

    report = audit_chain_verify()
    assert (report.ok, report.broken_seq, report.problem) == (
        False,
        2,
        "differs from its anchor (chain recomputed)",
    )
    settings.AUDIT_ANCHOR_PATH = tmp_path / "no-anchors.jsonl"
    report = audit_chain_verify()
    assert (report.ok, report.broken_seq, report.problem) == (
        False,
        3,
        "link to previous entry broken",
    )


def test_an_edit_with_a_hash_made_without_the_key_is_found(chain):
    import hashlib
    import hmac

    from ops.audit_chain import _canonical

    entry = AuditEntry.objects.get(seq=2)
    entry.action = "forged"
    forged_hash = hmac.new(b"a guessed key", _canonical(entry), hashlib.sha256).hexdigest()
    raw_sql(
        "UPDATE ops_auditentry SET action = %s, hash = %s WHERE seq = 2",
        ["forged", forged_hash],
    )

    report = audit_chain_verify()
    assert (report.ok, report.broken_seq) == (False, 2)


def test_a_deleted_entry_is_found(chain):
    raw_sql("DELETE FROM ops_auditentry WHERE seq = 2")

    report = audit_chain_verify()
    assert (report.ok, report.broken_seq, report.problem) == (False, 2, "entry missing")


def test_deleting_the_newest_entries_is_found(chain):
    raw_sql("DELETE FROM ops_auditentry WHERE seq >= 4")

    report = audit_chain_verify()
    assert (report.ok, report.broken_seq) == (False, 4)


def test_deleting_the_newest_entries_and_rewinding_the_head_is_found_by_the_anchors(chain):
    raw_sql("DELETE FROM ops_auditentry WHERE seq >= 4")
    raw_sql("UPDATE ops_auditchainhead SET seq = 3, hash = %s", [chain[2].hash])

    report = audit_chain_verify()
    assert (report.ok, report.broken_seq, report.problem) == (
        False,
        4,
        "newest entries missing (anchored)",
    )


def test_a_deleted_prefix_is_found(chain):
    raw_sql("DELETE FROM ops_auditentry WHERE seq <= 2")

    report = audit_chain_verify()
    assert (report.ok, report.broken_seq, report.problem) == (False, 1, "entries missing")


def test_a_deleted_prefix_passed_off_as_a_purge_is_found_by_the_anchors(chain):
    raw_sql("DELETE FROM ops_auditentry WHERE seq <= 2")
    raw_sql("UPDATE ops_auditchainhead SET first_seq = 3")

    report = audit_chain_verify()
    assert (report.ok, report.broken_seq, report.problem) == (
        False,
        1,
        "entries missing (no purge anchored)",
    )


def test_a_recomputed_chain_is_found_by_the_anchors(chain):
    raw_sql("UPDATE ops_auditentry SET action = %s WHERE seq = 2", ["forged"])
    recompute_chain(start_seq=2)
    # In the database alone the forgery is consistent...
    assert AuditEntry.objects.get(seq=2).action == "forged"

    report = audit_chain_verify()
    # ...but the head anchored after entry 2 was sealed names its original hash.
    assert (report.ok, report.broken_seq, report.problem) == (
        False,
        2,
        "differs from its anchor (chain recomputed)",
    )


def test_without_the_anchors_a_recomputed_chain_would_pass(chain, settings, tmp_path):
    """The control for the test above: the anchors are what catch it."""
    raw_sql("UPDATE ops_auditentry SET action = %s WHERE seq = 2", ["forged"])
    recompute_chain(start_seq=2)
    settings.AUDIT_ANCHOR_PATH = tmp_path / "elsewhere.jsonl"

    assert audit_chain_verify().ok


def test_audit_verify_reports_success(chain, capsys):
    call_command("audit_verify")
    out = capsys.readouterr().out
    assert "audit chain ok: 5 entries, 5 anchors" in out
    assert "derived from SECRET_KEY" in out


def test_a_purge_is_told_apart_from_a_deleted_prefix(
    db, superuser, monkeypatch, settings, django_capture_on_commit_callbacks
):
    old = timezone.now() - timedelta(days=400)
    with monkeypatch.context() as patch:
        patch.setattr(timezone, "now", lambda: old)
        with django_capture_on_commit_callbacks(execute=True):
            write_entries(2, superuser)
    with django_capture_on_commit_callbacks(execute=True):
        write_entries(3, superuser, start=2)
    assert audit_chain_verify().ok

    with django_capture_on_commit_callbacks(execute=True):
        removed = audit_entries_purge(actor=superuser, retention_days=30)  # → 180

    assert removed == 2
    assert not AuditEntry.objects.filter(seq__lte=2).exists()
    assert AuditEntry.objects.filter(action="audit.purge", seq=6).exists()
    assert AuditChainHead.objects.get(pk=1).first_seq == 3
    anchors = [json.loads(line) for line in settings.AUDIT_ANCHOR_PATH.read_text().splitlines()]
    assert {key: anchors[-2][key] for key in ("kind", "first_seq")} == {
        "kind": "purge",
        "first_seq": 3,
    }
    assert audit_chain_verify().ok

    # The same rows removed without the purge are a deleted prefix, even with the head
    # rewritten to match (the anchors remember only the purge up to 3).
    raw_sql("DELETE FROM ops_auditentry WHERE seq <= 4")
    raw_sql("UPDATE ops_auditchainhead SET first_seq = 5")
    report = audit_chain_verify()
    assert (report.ok, report.problem) == (False, "entries missing (no purge anchored)")


def test_the_purge_cuts_only_a_prefix_even_when_an_old_entry_was_sealed_late(
    db, superuser, monkeypatch
):
    old = timezone.now() - timedelta(days=400)
    write_entries(2, superuser)
    audit_entries_seal()  # seq 1, 2: recent
    with monkeypatch.context() as patch:
        patch.setattr(timezone, "now", lambda: old)
        write_entries(1, superuser)  # written long ago, committed and sealed late
    audit_entries_seal()  # seq 3: old

    assert audit_entries_purge(actor=superuser, retention_days=180) == 0
    audit_entries_seal()
    assert AuditEntry.objects.filter(seq=3).exists()
    assert audit_chain_verify().ok


@requires_postgres
def test_on_postgresql_the_database_itself_refuses_updates_and_deletes(chain):
    from django.db import DatabaseError, transaction

    for statement in (
        "UPDATE ops_auditentry SET action = 'forged' WHERE seq = 1",
        "DELETE FROM ops_auditentry WHERE seq = 1",
        # Even with the sealer's flag, a sealed entry is never sealed again...
        "SET LOCAL mall.audit_seal = 'on'; UPDATE ops_auditentry SET hash = 'x' WHERE seq = 1",
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(statement)
    assert AuditEntry.objects.get(seq=1).action == "test.write"
    assert audit_chain_verify().ok


@requires_postgres
def test_on_postgresql_sealing_may_set_only_the_seal_columns_once(db, superuser):
    from django.db import DatabaseError, transaction

    entry = audit(actor=superuser, action="test.unsealed")
    seal = "seq = 99, prev_hash = '', hash = 'h', key_id = 'dev', sealed_at = now()"
    for statement in (
        f"UPDATE ops_auditentry SET {seal} WHERE id = %s",  # without the sealer's flag
        # ...and the flag does not let the content change at the same time.
        "SET LOCAL mall.audit_seal = 'on'; "
        f"UPDATE ops_auditentry SET {seal}, action = 'forged' WHERE id = %s",
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(statement, [entry.pk])
    assert audit_entries_seal() == 1
    entry.refresh_from_db()
    assert (entry.seq, entry.action) == (1, "test.unsealed")
    assert audit_chain_verify().ok


def test_a_transaction_that_audits_many_times_asks_for_one_seal(
    db, superuser, django_capture_on_commit_callbacks
):
    from django.db import transaction

    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        write_entries(2, superuser)
        with transaction.atomic():  # a savepoint released into the transaction
            write_entries(2, superuser, start=2)
        try:
            with transaction.atomic():  # a savepoint rolled back: its entry is gone
                write_entries(1, superuser, start=4)
                raise RuntimeError
        except RuntimeError:
            pass
    assert sum(type(c).__name__ == "_SealOnCommit" for c in callbacks) == 1
    assert list(AuditEntry.objects.order_by("seq").values_list("seq", flat=True)) == [1, 2, 3, 4]


def test_a_seal_request_lost_with_a_rolled_back_savepoint_is_asked_again(
    db, superuser, django_capture_on_commit_callbacks
):
    from django.db import transaction

    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        try:
            with transaction.atomic():
                write_entries(1, superuser)
                raise RuntimeError
        except RuntimeError:
            pass
        write_entries(1, superuser, start=1)
    assert sum(type(c).__name__ == "_SealOnCommit" for c in callbacks) == 1
    assert list(AuditEntry.objects.values_list("seq", flat=True)) == [1]
