"""Where backup files live and how they are named to staff (no service: plain helpers)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from django.conf import settings

from .models import Backup


def server_paths_hidden(text: str) -> str:
    """``text`` without the backup folders' absolute paths (errors shown to staff)."""
    for root in (offsite_root(), backup_root()):
        if root is not None:
            text = text.replace(f"{root}/", "").replace(str(root), "")
    return text


def backup_file_name(path: str) -> str:
    """The path of a backup artifact relative to its backup folder (else its file name)."""
    if not path:
        return ""
    for root in (backup_root(), offsite_root()):
        if root is not None:
            try:
                return str(Path(path).relative_to(root))
            except ValueError:
                continue
    return Path(path).name


def backup_kind_for(day: date) -> str:
    return Backup.Kind.FULL if day.weekday() == 6 else Backup.Kind.DAILY


def backup_root() -> Path:
    return Path(settings.BACKUP_DIR)


def offsite_root() -> Path | None:
    configured = getattr(settings, "BACKUP_OFFSITE_DIR", None)
    return Path(configured) if configured else None
