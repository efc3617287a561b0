"""What a restore reads: a backup row or a backup file with its manifest (no service)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from . import engines
from .exceptions import BackupUnavailable
from .models import Backup


@dataclass(frozen=True)
class Source:
    """What is restored: the database file, its media archive and what was recorded."""

    backup: Backup | None
    database_path: Path
    sha256: str
    media_path: Path | None
    media_sha256: str
    table_counts: dict
    audit_head_seq: int | None
    engine: str


def source_for_backup(backup: Backup) -> Source:
    if backup.status != Backup.Status.SUCCEEDED or not backup.database_path:
        raise BackupUnavailable()
    return Source(
        backup,
        Path(backup.database_path),
        backup.sha256,
        Path(backup.media_path) if backup.media_path else None,
        backup.media_sha256,
        backup.table_counts or {},
        backup.audit_head_seq,
        backup.engine,
    )


def source_for_path(path: Path) -> Source:
    """A backup file given by path: its manifest says what it holds (its sidecar, when the
    manifest is missing, gives the checksum)."""
    backup = Backup.objects.filter(database_path=str(path), status=Backup.Status.SUCCEEDED).first()
    if backup is not None:
        return source_for_backup(backup)
    manifest = engines.read_manifest(path)
    if not path.exists() or not (manifest.get("sha256") or engines.read_sidecar(path)):
        raise BackupUnavailable()
    return Source(
        None,
        path,
        manifest.get("sha256") or engines.read_sidecar(path),
        None,
        "",
        manifest.get("table_counts") or {},
        manifest.get("audit_head_seq"),
        manifest.get("engine") or ("postgresql" if path.suffix == ".dump" else "sqlite"),
    )
