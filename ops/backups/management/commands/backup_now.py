"""``manage.py backup_now [--full] [--verify]``: back up now (on demand), optionally verify."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from mall.core.actors import system_actor
from mall.core.exceptions import ApplicationError

from ...models import Backup, RestoreCheck
from ...services.backups import backup_run
from ...services.restore import restore_check_run


class Command(BaseCommand):
    help = (
        "Back up the database now (--full: with the media files), copy it offsite when "
        "BACKUP_OFFSITE_DIR is set; --verify: restore it into the scratch database and "
        "verify it. Exit 1 when the backup or the check fails."
    )

    def add_arguments(self, parser):
        parser.add_argument("--full", action="store_true", help="include the media files")
        parser.add_argument(
            "--verify", action="store_true", help="restore into a scratch database and verify"
        )

    def handle(self, *args, **options):
        actor = system_actor()
        kind = Backup.Kind.FULL if options["full"] else Backup.Kind.DAILY
        try:
            backup = backup_run(actor=actor, kind=kind, scheduled=False)
        except ApplicationError as exc:
            failed = Backup.objects.filter(pk=(exc.extra or {}).get("backup_id")).first()
            raise CommandError(f"backup failed: {failed.error if failed else exc}") from exc
        self.stdout.write(
            f"backup #{backup.pk} ({backup.kind}): {backup.database_path} "
            f"{backup.size_bytes} bytes sha256 {backup.sha256} "
            f"offsite {'yes' if backup.offsite_copied else 'no'} "
            f"in {backup.duration_seconds:.1f} s"
        )
        if options["verify"]:
            check = restore_check_run(actor=actor, backup=backup)
            _report(self, check)


def _report(command: BaseCommand, check: RestoreCheck) -> None:
    for result in check.checks:
        mark = "ok  " if result["ok"] else "FAIL"
        command.stdout.write(f"  {mark} {result['name']}: {result.get('detail', '')}")
    if check.status != RestoreCheck.Status.PASSED:
        raise CommandError(f"restore check #{check.pk} failed: {check.error}")
    command.stdout.write(
        command.style.SUCCESS(
            f"restore check #{check.pk} passed in {check.duration_seconds:.1f} s "
            f"(scratch database {check.scratch_database})"
        )
    )
