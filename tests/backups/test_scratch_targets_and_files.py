"""What the restore tool refuses (databases it did not create, the live SQLite file under
another name, a scratch name a running check holds), unique scratch names, the retried
Sunday task, private file modes, and pages without server paths or English summaries."""

from __future__ import annotations

import io
import os
import stat
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.management import CommandError, call_command
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from mall.core.actors import system_actor
from ops.backups import engines
from ops.backups.exceptions import (
    RestoreTargetRefused,
    ScratchTargetBusy,
    ScratchTargetForeign,
    ScratchTargetRefused,
)
from ops.backups.models import Backup, RestoreCheck
from ops.backups.services.backups import backup_run
from ops.backups.services.restore import restore_check_run
from tests.conftest import requires_postgres

pytestmark = pytest.mark.django_db(transaction=True)

requires_sqlite = pytest.mark.skipif(
    django_settings.IS_POSTGRES, reason="the SQLite file rules (PostgreSQL has its own test)"
)


def _pg_admin():
    return engines._pg_connect(connection.settings_dict, "postgres")


def _pg_database_exists(name: str) -> bool:
    admin = _pg_admin()
    try:
        with admin.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
            return cursor.fetchone() is not None
    finally:
        admin.close()


@pytest.fixture
def foreign_database(backup_dirs):
    """An existing database that follows the scratch naming rule but that the restore
    tool did not create (no mark): it must survive every restore attempt."""
    name = f"{connection.settings_dict['NAME']}_restore_foreign"
    admin = _pg_admin()
    admin.autocommit = True
    try:
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
            cursor.execute(f'CREATE DATABASE "{name}"')
        yield name
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


@requires_postgres
def test_restore_into_an_existing_database_the_tool_did_not_create_is_refused(foreign_database):
    backup = backup_run(actor=system_actor(), kind=Backup.Kind.DAILY)

    with pytest.raises(ScratchTargetForeign):
        restore_check_run(actor=system_actor(), backup=backup, into=foreign_database)
    with pytest.raises(CommandError):
        call_command(
            "restore_backup", str(backup.pk), "--into", foreign_database, stdout=io.StringIO()
        )
    with pytest.raises(engines.EngineError):
        engines.drop_scratch(foreign_database)

    assert _pg_database_exists(foreign_database)
    assert not RestoreCheck.objects.exists()


@requires_postgres
def test_on_postgresql_only_names_with_the_live_restore_prefix_are_scratch_databases(backup_dirs):
    backup = backup_run(actor=system_actor(), kind=Backup.Kind.DAILY)
    live = connection.settings_dict["NAME"]

    for name in ("postgres", "template1", f"{live}_restore_", f"{live}x", "other_restore_1"):
        with pytest.raises(ScratchTargetRefused):
            restore_check_run(actor=system_actor(), backup=backup, into=name)
        with pytest.raises(engines.EngineError):
            engines.drop_scratch(name)

    assert _pg_database_exists("postgres")
    assert not RestoreCheck.objects.exists()


@requires_postgres
def test_a_scratch_database_the_tool_created_carries_its_mark(scratch_name):
    backup = backup_run(actor=system_actor(), kind=Backup.Kind.DAILY)

    check = restore_check_run(actor=system_actor(), backup=backup, into=scratch_name, keep=True)

    assert check.status == RestoreCheck.Status.PASSED, check.error
    assert engines._pg_database_mark(scratch_name) == engines.SCRATCH_MARK
    engines.drop_scratch(scratch_name)
    assert not _pg_database_exists(scratch_name)


@pytest.fixture
def live_sqlite_file(backup_dirs, tmp_path, monkeypatch):
    """A live SQLite database in a file (the test database lives in memory)."""
    live = tmp_path / "live" / "mall.sqlite3"
    live.parent.mkdir()
    live.write_bytes(b"LIVE DATA")
    Path(f"{live}-wal").write_bytes(b"LIVE WAL")
    monkeypatch.setattr(engines, "_configured_names", lambda: {str(live)})
    return live


@requires_sqlite
def test_on_sqlite_a_hard_link_or_side_file_of_the_live_database_is_refused(live_sqlite_file):
    backup = backup_run(actor=system_actor(), kind=Backup.Kind.DAILY)
    engines.scratch_dir().mkdir(parents=True, exist_ok=True)
    hard_link = engines.scratch_dir() / "linked.sqlite3"
    os.link(live_sqlite_file, hard_link)
    wal_link = engines.scratch_dir() / "walled.sqlite3"
    os.link(f"{live_sqlite_file}-wal", f"{wal_link}-wal")
    symlink = engines.scratch_dir() / "symlinked.sqlite3"
    symlink.symlink_to(live_sqlite_file)

    for into in (hard_link, wal_link, symlink, Path(f"{live_sqlite_file}-wal")):
        with pytest.raises((RestoreTargetRefused, ScratchTargetRefused)):
            restore_check_run(actor=system_actor(), backup=backup, into=str(into))
        with pytest.raises(engines.EngineError):
            engines.drop_scratch(str(into))

    assert live_sqlite_file.read_bytes() == b"LIVE DATA"
    assert Path(f"{live_sqlite_file}-wal").read_bytes() == b"LIVE WAL"
    assert not RestoreCheck.objects.exists()


@requires_sqlite
def test_on_sqlite_a_scratch_file_outside_the_scratch_folder_is_refused(backup_dirs, tmp_path):
    backup = backup_run(actor=system_actor(), kind=Backup.Kind.DAILY)
    outside = tmp_path / "precious.sqlite3"
    outside.write_bytes(b"PRECIOUS")

    with pytest.raises(ScratchTargetRefused):
        restore_check_run(actor=system_actor(), backup=backup, into=str(outside))
    with pytest.raises(CommandError):
        call_command("restore_backup", str(backup.pk), "--into", str(outside), stdout=io.StringIO())

    assert outside.read_bytes() == b"PRECIOUS"
    assert not RestoreCheck.objects.exists()


def test_two_restore_checks_get_their_own_scratch_databases(backup_dirs):
    backup = backup_run(actor=system_actor(), kind=Backup.Kind.DAILY)

    first = restore_check_run(actor=system_actor(), backup=backup)
    second = restore_check_run(actor=system_actor(), backup=backup)

    assert first.status == second.status == RestoreCheck.Status.PASSED, second.error
    assert first.scratch_database != second.scratch_database
    assert first.scratch_database.endswith(f"restore_{first.pk}") or (
        Path(first.scratch_database).name == f"restore-{first.pk}.sqlite3"
    )


def test_a_scratch_database_a_running_check_holds_is_refused(backup_dirs, scratch_name):
    backup = backup_run(actor=system_actor(), kind=Backup.Kind.DAILY)
    RestoreCheck.objects.create(
        backup=backup,
        source="x",
        scratch_database=scratch_name,
        status=RestoreCheck.Status.RUNNING,
        started_at=timezone.now() - timedelta(minutes=5),
    )

    with pytest.raises(ScratchTargetBusy):
        restore_check_run(actor=system_actor(), backup=backup, into=scratch_name)

    assert RestoreCheck.objects.count() == 1


def test_a_sunday_task_retried_after_its_worker_died_mid_check_still_verifies(
    backup_dirs, monkeypatch
):
    from ops.backups.tasks import backup_run_task

    sunday = timezone.make_aware(timezone.datetime(2026, 11, 29, 2, 0))
    monkeypatch.setattr(timezone, "now", lambda: sunday)
    backup = backup_run(actor=system_actor(), kind=Backup.Kind.FULL)  # then the worker died
    RestoreCheck.objects.create(
        backup=backup,
        source="x",
        scratch_database="abandoned",
        status=RestoreCheck.Status.RUNNING,
        started_at=sunday - timedelta(hours=7),
    )

    result = backup_run_task.delay().get()
    again = backup_run_task.delay().get()

    assert result["backup_id"] == backup.pk
    assert result["restore_check"] == RestoreCheck.Status.PASSED
    assert "restore_check" not in again  # verified once
    assert backup.restore_checks.filter(status=RestoreCheck.Status.PASSED).count() == 1


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_backup_files_are_private_to_the_owner_in_both_locations(backup_dirs):
    primary, offsite = backup_dirs

    backup = backup_run(actor=system_actor(), kind=Backup.Kind.FULL)

    for root in (Path(primary), Path(offsite)):
        files = [path for path in root.rglob("*") if path.is_file()]
        folders = [root, *(path for path in root.rglob("*") if path.is_dir())]
        assert len(files) >= 5  # database, media archive, two sidecars, manifest
        assert {(path.name, _mode(path)) for path in files} == {(p.name, 0o600) for p in files}
        assert {_mode(path) for path in folders} == {0o700}
    assert backup.offsite_copied


def test_pages_and_the_api_show_backup_files_without_server_paths(
    backup_dirs, admin_client_for, staff_client, tech_lead
):
    backup = backup_run(actor=system_actor(), kind=Backup.Kind.DAILY)
    check = restore_check_run(actor=system_actor(), backup=backup)
    root = str(django_settings.BACKUP_DIR)
    offsite_root = str(django_settings.BACKUP_OFFSITE_DIR)
    client = admin_client_for(tech_lead)

    pages = [
        client.get(reverse("admin:backups_backup_change", args=[backup.pk])),
        client.get(reverse("admin:backups_restorecheck_change", args=[check.pk])),
        staff_client(tech_lead).get(f"/api/v1/backups/{backup.pk}/"),
    ]

    for page in pages:
        assert page.status_code == 200
        text = page.content.decode()
        assert root not in text and offsite_root not in text
    assert Path(backup.database_path).name in pages[0].content.decode()


def test_the_restore_check_page_sums_up_each_verification_in_chinese(
    backup_dirs, admin_client_for, tech_lead
):
    backup = backup_run(actor=system_actor(), kind=Backup.Kind.DAILY)
    check = restore_check_run(actor=system_actor(), backup=backup)
    assert check.status == RestoreCheck.Status.PASSED, check.error

    html = (
        admin_client_for(tech_lead)
        .get(reverse("admin:backups_restorecheck_change", args=[check.pk]))
        .content.decode()
    )

    tables = len(check.table_counts)
    assert f"{tables} 张表的行数全部一致" in html
    english_outputs = (f"{tables} tables", " entries, ", "stock rows match", "their ledgers")
    for english in english_outputs:
        assert english not in html
    assert "group object permission" not in html
