"""Retention prunes old dailies (and fulls) but never the newest full; the offsite copy
is a verified copy of every artifact."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from mall.core.actors import system_actor
from ops.backups import engines
from ops.backups.exceptions import BackupFailed
from ops.backups.models import Backup
from ops.backups.services.backups import backup_prune, backup_run

pytestmark = pytest.mark.django_db


def _stored(root: Path, offsite: Path, kind: str, day, name: str) -> Backup:
    """A succeeded backup row with its files in both folders (as ``backup_run`` leaves)."""
    relative = Path(kind) / f"{day:%Y-%m-%d}"
    path = root / relative / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"backup of " + name.encode())
    digest = engines.sha256_file(path)
    engines.write_sidecar(path, digest)
    engines.copy_verified(path, offsite / relative / name, digest)
    started = timezone.make_aware(datetime.combine(day, datetime.min.time()))
    return Backup.objects.create(
        kind=kind,
        status=Backup.Status.SUCCEEDED,
        day=day,
        engine="sqlite",
        database_path=str(path),
        sha256=digest,
        offsite_copied=True,
        offsite_path=str(offsite / relative / name),
        started_at=started,
    )


def test_retention_prunes_dailies_past_the_retention_days_in_both_locations(backup_dirs):
    root, offsite = backup_dirs
    today = timezone.localdate()
    old = _stored(root, offsite, "daily", today - timedelta(days=15), "old.sqlite3")
    recent = _stored(root, offsite, "daily", today - timedelta(days=13), "recent.sqlite3")

    pruned = backup_prune(actor=system_actor())

    old.refresh_from_db()
    recent.refresh_from_db()
    assert pruned == 1
    assert old.status == Backup.Status.PRUNED
    assert recent.status == Backup.Status.SUCCEEDED
    assert not Path(old.database_path).exists()
    assert not Path(old.offsite_path).exists()
    assert not Path(f"{old.database_path}.sha256").exists()
    assert Path(recent.database_path).exists() and Path(recent.offsite_path).exists()


def test_retention_never_prunes_the_newest_full_backup_however_old(backup_dirs):
    root, offsite = backup_dirs
    today = timezone.localdate()
    older_full = _stored(root, offsite, "full", today - timedelta(weeks=20), "f1.sqlite3")
    newest_full = _stored(root, offsite, "full", today - timedelta(weeks=10), "f2.sqlite3")

    pruned = backup_prune(actor=system_actor())

    older_full.refresh_from_db()
    newest_full.refresh_from_db()
    assert pruned == 1
    assert older_full.status == Backup.Status.PRUNED
    assert newest_full.status == Backup.Status.SUCCEEDED
    assert Path(newest_full.database_path).exists()


def test_pruning_twice_prunes_nothing_more(backup_dirs):
    root, offsite = backup_dirs
    _stored(root, offsite, "daily", timezone.localdate() - timedelta(days=30), "a.sqlite3")

    assert backup_prune(actor=system_actor()) == 1
    assert backup_prune(actor=system_actor()) == 0


@pytest.mark.django_db(transaction=True)
def test_the_offsite_copy_has_the_same_checksum_and_its_sidecar(backup_dirs):
    _root, offsite = backup_dirs

    backup = backup_run(actor=system_actor(), kind=Backup.Kind.DAILY)

    copy = Path(backup.offsite_path)
    assert backup.offsite_copied
    assert copy.is_relative_to(offsite)
    assert (
        engines.sha256_file(copy)
        == backup.sha256
        == engines.sha256_file(Path(backup.database_path))
    )
    assert engines.read_sidecar(copy) == backup.sha256
    assert engines.read_manifest(copy)["table_counts"] == backup.table_counts


@pytest.mark.django_db(transaction=True)
def test_a_damaged_offsite_copy_fails_the_backup_and_leaves_no_copy(backup_dirs, monkeypatch):
    _root, offsite = backup_dirs

    def damaging_copy(source, target):  # the transfer to the second location corrupts
        Path(target).write_bytes(Path(source).read_bytes() + b"\x00")

    monkeypatch.setattr(engines.shutil, "copyfile", damaging_copy)

    with pytest.raises(BackupFailed):
        backup_run(actor=system_actor(), kind=Backup.Kind.DAILY)

    backup = Backup.objects.get()
    assert backup.status == Backup.Status.FAILED
    assert "offsite copy" in backup.error
    assert not backup.offsite_copied
    assert not any(path.is_file() for path in offsite.rglob("*.sqlite3*"))


@pytest.mark.django_db(transaction=True)
def test_without_an_offsite_folder_the_backup_succeeds_marked_not_copied(backup_dirs, settings):
    settings.BACKUP_OFFSITE_DIR = ""

    backup = backup_run(actor=system_actor(), kind=Backup.Kind.DAILY)

    assert backup.status == Backup.Status.SUCCEEDED
    assert not backup.offsite_copied


def test_a_staff_user_without_the_permission_cannot_back_up(backup_dirs, make_staff):
    from ops.backups.exceptions import BackupPermissionDenied

    viewer = make_staff("viewer", perms=("backups.view_backup",))

    with pytest.raises(BackupPermissionDenied):
        backup_run(actor=viewer, kind=Backup.Kind.DAILY)
    assert not Backup.objects.exists()
