"""``manage.py restore_backup <id|path> --into <name> [--verify-only] [--force-live]``.

* ``--into <scratch>``: restore into that scratch database (PostgreSQL: a database
  named ``<live>_restore_<suffix>``, created anew and marked; SQLite: a file in
  ``BACKUP_DIR/scratch``; an existing database the tool did not create is refused —
  docs/BACKUPS.md, *Scratch databases*), verify it and record a restore check; the
  scratch database is kept for inspection (the drill, docs/BACKUPS.md).
* ``--verify-only``: the same, and drop the scratch database afterwards.
* ``--into <the live database> --force-live``: replace the live database with the
  backup (refused without ``--force-live``); the checksum is verified first.
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from mall.core.actors import system_actor
from mall.core.exceptions import ApplicationError

from ... import engines
from ...selectors import backup_get
from ...services.restore import backup_restore_live, restore_check_run
from ...sources import source_for_backup, source_for_path
from .backup_now import _report


class Command(BaseCommand):
    help = (
        "Restore a backup (its id in the backup list, or the path of its file) into a "
        "scratch database and verify it; over the live database only with --force-live."
    )

    def add_arguments(self, parser):
        parser.add_argument("backup", help="backup id, or path of a .dump / .sqlite3 file")
        parser.add_argument(
            "--into",
            required=True,
            help="scratch database: <live name>_restore_<suffix> (SQLite: a file in "
            "BACKUP_DIR/scratch)",
        )
        parser.add_argument(
            "--verify-only",
            action="store_true",
            help="drop the scratch database after verifying it",
        )
        parser.add_argument(
            "--force-live",
            action="store_true",
            help="allow --into to name the live database (replaces all its data)",
        )

    def handle(self, *args, **options):
        actor = system_actor()
        reference, into = options["backup"], options["into"]
        try:
            if reference.isdigit():
                source = source_for_backup(backup_get(actor=actor, pk=reference))
            else:
                source = source_for_path(Path(reference))
            if engines.is_live_target(into):
                backup_restore_live(actor=actor, source=source, force_live=options["force_live"])
                self.stdout.write(
                    self.style.WARNING(
                        f"live database {into} replaced by {source.database_path}; run "
                        "migrate, stock_verify, audit_verify, verify_member_ledgers and "
                        "balance_verify now"
                    )
                )
                return
            check = restore_check_run(
                actor=actor, source=source, into=into, keep=not options["verify_only"]
            )
        except ApplicationError as exc:
            raise CommandError(str(exc.message)) from exc
        _report(self, check)
