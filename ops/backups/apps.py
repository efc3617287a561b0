from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def _metrics(*, now) -> dict[str, float | None]:
    """The monitoring hook ``ops.metrics``: hours since the last passed restore check."""
    from mall.core.actors import system_actor

    from .selectors import last_verified_restore_age_hours

    return {
        "backup.last_verified_restore_age_hours": last_verified_restore_age_hours(
            actor=system_actor(), now=now
        )
    }


class BackupsConfig(AppConfig):
    """An edge app of ops (DESIGN.md §3): it may import any app; no app imports it."""

    name = "ops.backups"
    label = "backups"
    verbose_name = _("Backups")

    def ready(self) -> None:
        from mall.core.hooks import provide
        from mall.core.scoping import declare_scope

        from . import models as m
        from . import parameters  # noqa: F401 - registers the system parameters
        from .services import transitions  # noqa: F401 - registers the status tables

        # Technical records of the whole mall: function permission only.
        declare_scope(m.Backup, unscoped=True)
        declare_scope(m.RestoreCheck, unscoped=True)
        provide("ops.metrics", "backups", _metrics)
        from . import workbench_items  # noqa: F401 - the tech lead's tile
