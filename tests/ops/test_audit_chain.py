"""The audit log is append-only and hash-chained; tampering is found by audit_verify."""

import itertools

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from mall.core.audit import audit, snapshot
from ops.models import AuditEntry
from ops.services.audit import audit_chain_verify, audit_entries_purge
from tests.conftest import requires_postgres


@pytest.fixture
def chain(db, superuser):
    for index in range(5):
        audit(
            actor=superuser,
            action="test.write",
            object_type="test.thing",
            object_id=index,
            before={"n": index, "same": 1},
            after={"n": index + 1, "same": 1},
        )
    return list(AuditEntry.objects.order_by("seq"))


def raw_sql(sql, params=()):
    """Tamper like a database superuser would: past the append-only trigger."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(sql, params)
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = origin")


def test_entries_link_each_to_the_previous_one(chain):
    assert [e.seq for e in chain] == [1, 2, 3, 4, 5]
    assert chain[0].prev_hash == ""
    assert all(later.prev_hash == earlier.hash for earlier, later in itertools.pairwise(chain))
    assert audit_chain_verify().ok


def test_only_changed_fields_are_kept_as_the_diff(chain):
    assert chain[0].before == {"n": 0}
    assert chain[0].after == {"n": 1}


def test_the_entry_records_who_what_and_from_where(rf, db, superuser):
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


def test_an_edited_row_is_found(chain):
    raw_sql("UPDATE ops_auditentry SET action = %s WHERE seq = 3", ["forged"])

    report = audit_chain_verify()
    assert (report.ok, report.broken_seq) == (False, 3)
    with pytest.raises(CommandError, match="seq 3"):
        call_command("audit_verify")


def test_an_edit_that_also_recomputes_its_own_hash_breaks_the_next_link(chain):
    from ops.services.audit import audit_entry_hash

    entry = AuditEntry.objects.get(seq=2)
    entry.action = "forged"
    raw_sql(
        "UPDATE ops_auditentry SET action = %s, hash = %s WHERE seq = 2",
        ["forged", audit_entry_hash(entry)],
    )

    report = audit_chain_verify()
    assert (report.ok, report.broken_seq) == (False, 3)


def test_a_deleted_row_is_found(chain):
    raw_sql("DELETE FROM ops_auditentry WHERE seq = 2")

    report = audit_chain_verify()
    assert (report.ok, report.broken_seq, report.problem) == (False, 2, "entry missing")


def test_deleting_the_newest_rows_is_found(chain):
    raw_sql("DELETE FROM ops_auditentry WHERE seq >= 4")

    report = audit_chain_verify()
    assert (report.ok, report.broken_seq) == (False, 4)


def test_audit_verify_reports_success(chain, capsys):
    call_command("audit_verify")
    assert "audit chain ok: 5 entries" in capsys.readouterr().out


def test_retention_purge_keeps_180_days_at_least_and_the_rest_verifies(chain, superuser):
    from datetime import timedelta

    from django.utils import timezone

    old = timezone.now() - timedelta(days=400)
    raw_sql("UPDATE ops_auditentry SET at = %s WHERE seq <= 2", [old])
    # Re-chain the two back-dated rows as if they had been written then.
    from ops.services.audit import audit_entry_hash

    previous_hash = ""
    for entry in AuditEntry.objects.order_by("seq"):
        entry.prev_hash = previous_hash
        entry.hash = audit_entry_hash(entry)
        raw_sql(
            "UPDATE ops_auditentry SET prev_hash = %s, hash = %s WHERE seq = %s",
            [entry.prev_hash, entry.hash, entry.seq],
        )
        previous_hash = entry.hash
    raw_sql("UPDATE ops_auditchainhead SET hash = %s", [previous_hash])

    assert audit_entries_purge(actor=superuser, retention_days=30) == 2  # 30 → raised to 180
    assert not AuditEntry.objects.filter(seq__lte=2).exists()
    assert AuditEntry.objects.filter(action="audit.purge").exists()
    assert audit_chain_verify().ok


@requires_postgres
def test_on_postgresql_the_database_itself_refuses_updates_and_deletes(chain):
    from django.db import DatabaseError, transaction

    for statement in (
        "UPDATE ops_auditentry SET action = 'forged' WHERE seq = 1",
        "DELETE FROM ops_auditentry WHERE seq = 1",
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(statement)
    assert AuditEntry.objects.get(seq=1).action == "test.write"
    assert audit_chain_verify().ok
