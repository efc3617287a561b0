from django.core.management.base import BaseCommand, CommandError

from ops.services.audit import audit_chain_verify


class Command(BaseCommand):
    help = "Verify the audit log's hash chain; exit 1 at the first broken link."

    def handle(self, *args, **options):
        report = audit_chain_verify()
        if not report.ok:
            raise CommandError(
                f"audit chain broken at seq {report.broken_seq}: {report.problem} "
                f"({report.checked} entries checked)"
            )
        self.stdout.write(self.style.SUCCESS(f"audit chain ok: {report.checked} entries"))
