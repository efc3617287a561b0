"""Backup → restore into a scratch database → verified equal (SQLite and PostgreSQL);
a corrupted backup is detected before anything is restored."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.db import transaction

from mall.core.actors import system_actor
from mall.core.audit import audit
from ops.backups import engines
from ops.backups.exceptions import BackupCorrupted
from ops.backups.models import Backup, RestoreCheck
from ops.backups.services.backups import backup_run
from ops.backups.services.restore import restore_check_run
from tests.conftest import requires_postgres

pytestmark = pytest.mark.django_db(transaction=True)


def _some_committed_rows(make_staff) -> None:
    for number in range(3):
        user = make_staff(f"staff_{number}")
        with transaction.atomic():
            audit(actor=system_actor(), action="auth.login", target=user)


def test_a_backup_restored_into_a_scratch_database_is_verified_equal(
    backup_dirs, scratch_name, make_staff
):
    _some_committed_rows(make_staff)

    backup = backup_run(actor=system_actor(), kind=Backup.Kind.DAILY)
    check = restore_check_run(actor=system_actor(), backup=backup, into=scratch_name)

    assert backup.status == Backup.Status.SUCCEEDED
    assert backup.table_counts["auth_user"] >= 3
    assert check.status == RestoreCheck.Status.PASSED, check.error
    assert {row["name"] for row in check.checks} >= {
        "checksum",
        "table_counts",
        "stock_verify",
        "verify_member_ledgers",
        "balance_verify",
        "channel_ledger",
        "audit_verify",
    }
    assert all(row["ok"] for row in check.checks)
    assert check.table_counts["auth_user"] == {
        "expected": backup.table_counts["auth_user"],
        "restored": backup.table_counts["auth_user"],
    }
    assert check.duration_seconds is not None


def test_the_scratch_database_is_dropped_after_the_check_unless_kept(backup_dirs, scratch_name):
    backup = backup_run(actor=system_actor(), kind=Backup.Kind.DAILY)

    restore_check_run(actor=system_actor(), backup=backup, into=scratch_name)
    dropped = _scratch_exists(scratch_name)
    restore_check_run(actor=system_actor(), backup=backup, into=scratch_name, keep=True)

    assert not dropped
    assert _scratch_exists(scratch_name)


def test_rows_written_after_the_backup_are_not_in_the_restore_and_counts_still_match(
    backup_dirs, scratch_name, make_staff
):
    backup = backup_run(actor=system_actor(), kind=Backup.Kind.DAILY)
    _some_committed_rows(make_staff)

    check = restore_check_run(actor=system_actor(), backup=backup, into=scratch_name)

    assert check.status == RestoreCheck.Status.PASSED, check.error
    restored = check.table_counts["auth_user"]["restored"]
    assert restored == backup.table_counts["auth_user"]


def test_a_corrupted_backup_is_detected_before_restoring_and_the_check_is_failed(
    backup_dirs, scratch_name
):
    backup = backup_run(actor=system_actor(), kind=Backup.Kind.DAILY)
    path = Path(backup.database_path)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))

    check = restore_check_run(actor=system_actor(), backup=backup, into=scratch_name)

    assert check.status == RestoreCheck.Status.FAILED
    assert check.checks == [
        {
            "name": "checksum",
            "ok": False,
            "detail": f"{path.name}: checksum mismatch",
            "data": {"files": 1},
        }
    ]
    assert check.error == str(BackupCorrupted.default_message)
    assert "备份文件" in check.error  # shown in Chinese (the compiled catalog)
    assert check.table_counts == {}
    assert not _scratch_exists(scratch_name)


def test_a_full_backup_archives_the_media_files_and_the_check_reads_the_archive(
    backup_dirs, scratch_name, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    (settings.MEDIA_ROOT / "products").mkdir(parents=True)
    (settings.MEDIA_ROOT / "products" / "a.jpg").write_bytes(b"jpeg")
    settings.PRIVATE_MEDIA_ROOT.mkdir()
    (settings.PRIVATE_MEDIA_ROOT / "id.pdf").write_bytes(b"pdf")

    backup = backup_run(actor=system_actor(), kind=Backup.Kind.FULL)
    check = restore_check_run(actor=system_actor(), backup=backup, into=scratch_name)

    import tarfile

    with tarfile.open(backup.media_path) as archive:
        names = set(archive.getnames())
    assert {"media/products/a.jpg", "private/id.pdf"} <= names
    assert backup.media_sha256 == engines.sha256_file(Path(backup.media_path))
    media = next(row for row in check.checks if row["name"] == "media_archive")
    assert media["ok"]
    assert check.status == RestoreCheck.Status.PASSED, check.error


@requires_postgres
def test_on_postgresql_the_backup_is_a_pg_dump_custom_archive(backup_dirs, scratch_name):
    backup = backup_run(actor=system_actor(), kind=Backup.Kind.DAILY)

    assert backup.engine == "postgresql"
    assert Path(backup.database_path).read_bytes()[:5] == b"PGDMP"
    check = restore_check_run(actor=system_actor(), backup=backup, into=scratch_name)
    assert check.status == RestoreCheck.Status.PASSED, check.error


def _scratch_exists(name: str) -> bool:
    from django.conf import settings

    if settings.IS_POSTGRES:
        try:
            engines.scratch_counts(name)
        except Exception:  # noqa: BLE001 - psycopg2's "database does not exist"
            return False
        return True
    return Path(name).exists()


def test_a_backup_that_does_not_restore_fails_the_check_and_leaves_no_scratch_database(
    backup_dirs, scratch_name
):
    backup = backup_run(actor=system_actor(), kind=Backup.Kind.DAILY)
    path = Path(backup.database_path)
    path.write_bytes(b"not a database at all" * 100)  # damaged before its checksum was taken
    Backup.objects.filter(pk=backup.pk).update(sha256=engines.sha256_file(path))
    backup.refresh_from_db()

    check = restore_check_run(actor=system_actor(), backup=backup, into=scratch_name)

    assert check.status == RestoreCheck.Status.FAILED
    assert check.error
    assert not _scratch_exists(scratch_name)
