"""Backups on the workbench (工作台): the tech lead's tile 最近一次恢复校验.

Hours since the last passed restore check; red when older than eight days (or never),
green otherwise. Shown to readers with ``backups.view_backup``.
"""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from ops.workbench import Tile, register

from . import permissions as perms
from .selectors import last_verified_restore_age_hours

STALE_HOURS = 8 * 24


def _age(actor) -> float | None:
    return last_verified_restore_age_hours(actor=actor)


def _tone(actor) -> str:
    age = _age(actor)
    return "danger" if age is None or age > STALE_HOURS else "success"


register(
    Tile(
        key="backups.last_verified_restore",
        title=_("Hours since the last verified restore"),
        hint=_("a backup restored and verified; red when older than 8 days"),
        icon="settings_backup_restore",
        count=lambda actor: None if (age := _age(actor)) is None else int(age),
        link=lambda actor: reverse("admin:backups_restorecheck_changelist"),
        visible=lambda actor: actor.has_perm(perms.VIEW_BACKUP),
        tone=_tone,
        order=90,
    )
)
