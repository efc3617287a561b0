"""The daily task (idempotent; Sunday: full + restore check) and the two commands."""

from __future__ import annotations

import io
import re
from datetime import datetime
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from mall.core.models import JobRun
from ops.backups.exceptions import BackupCorrupted
from ops.backups.models import Backup, RestoreCheck
from ops.backups.tasks import SCHEDULE, backup_run_task

pytestmark = pytest.mark.django_db(transaction=True)


def _at(day: str) -> datetime:
    return timezone.make_aware(datetime.fromisoformat(f"{day}T02:00:00"))


def test_the_daily_task_backs_up_once_per_day_however_often_it_runs(backup_dirs, monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: _at("2026-11-25"))  # a Wednesday

    first = backup_run_task.delay().get()
    second = backup_run_task.delay().get()

    assert first["created"] and not second["created"]
    assert first["backup_id"] == second["backup_id"]
    assert Backup.objects.filter(kind=Backup.Kind.DAILY).count() == 1
    assert not RestoreCheck.objects.exists()
    assert JobRun.objects.filter(name="backups.backup_run", status="succeeded").count() == 2


def test_on_sunday_the_task_makes_a_full_backup_and_verifies_its_restore(backup_dirs, monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: _at("2026-11-29"))  # a Sunday

    result = backup_run_task.delay().get()

    backup = Backup.objects.get(pk=result["backup_id"])
    assert backup.kind == Backup.Kind.FULL and backup.media_path
    assert result["restore_check"] == RestoreCheck.Status.PASSED
    assert RestoreCheck.objects.get().backup == backup


def test_the_schedule_runs_the_backup_at_two_on_the_heavy_queue():
    entry = SCHEDULE["backups: daily backup"]

    assert entry["cron"] == "0 2 * * *"
    assert entry["queue"] == "heavy"
    assert entry["task"] == backup_run_task.name


def test_backup_now_with_verify_backs_up_and_passes_the_restore_check(backup_dirs):
    out = io.StringIO()

    call_command("backup_now", "--verify", stdout=out)

    backup = Backup.objects.get()
    assert backup.trigger == Backup.Trigger.MANUAL
    assert f"backup #{backup.pk}" in out.getvalue()
    assert "passed" in out.getvalue()
    assert RestoreCheck.objects.get().status == RestoreCheck.Status.PASSED


def test_backup_now_full_includes_the_media_archive(backup_dirs):
    call_command("backup_now", "--full", stdout=io.StringIO())

    backup = Backup.objects.get()
    assert backup.kind == Backup.Kind.FULL
    assert Path(backup.media_path).exists()


def test_restore_backup_by_id_into_a_scratch_database_verifies_it(backup_dirs, scratch_name):
    call_command("backup_now", stdout=io.StringIO())
    backup = Backup.objects.get()
    out = io.StringIO()

    call_command(
        "restore_backup", str(backup.pk), "--into", scratch_name, "--verify-only", stdout=out
    )

    check = RestoreCheck.objects.get()
    assert check.status == RestoreCheck.Status.PASSED
    assert check.scratch_database == scratch_name
    assert "passed" in out.getvalue()


def test_restore_backup_by_path_of_a_corrupted_file_refuses_with_a_clear_error(
    backup_dirs, scratch_name
):
    call_command("backup_now", stdout=io.StringIO())
    path = Path(Backup.objects.get().database_path)
    data = bytearray(path.read_bytes())
    data[100] ^= 0xFF
    path.write_bytes(bytes(data))

    with pytest.raises(CommandError, match=re.escape(str(BackupCorrupted.default_message))):
        call_command("restore_backup", str(path), "--into", scratch_name, stdout=io.StringIO())

    check = RestoreCheck.objects.get()
    assert check.status == RestoreCheck.Status.FAILED
    assert [(row["name"], row["ok"]) for row in check.checks] == [("checksum", False)]


def test_restore_backup_over_the_live_database_is_refused_without_force_live(backup_dirs):
    call_command("backup_now", stdout=io.StringIO())
    backup = Backup.objects.get()
    live = str(connection.settings_dict["NAME"])

    with pytest.raises(CommandError, match="--force-live"):
        call_command("restore_backup", str(backup.pk), "--into", live, stdout=io.StringIO())

    assert Backup.objects.count() == 1  # the live database was not touched
    assert not RestoreCheck.objects.exists()


def test_restore_backup_of_an_unknown_id_says_not_found(backup_dirs, scratch_name):
    with pytest.raises(CommandError):
        call_command("restore_backup", "999999", "--into", scratch_name, stdout=io.StringIO())
