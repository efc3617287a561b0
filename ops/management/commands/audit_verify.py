from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from ops.audit_chain import audit_chain_verify
from ops.audit_keys import audit_key_ring, generate_key_entry


class Command(BaseCommand):
    help = (
        "Verify the audit log's sealed chain (HMAC links and the anchors outside the "
        "database) and report entries left unsealed past AUDIT_UNSEALED_MAX_SECONDS; "
        "exit 1 at the first broken link or when entries are overdue."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--generate-key",
            metavar="KEY_ID",
            help="print a new AUDIT_HMAC_KEYS entry with this key id and exit",
        )

    def handle(self, *args, **options):
        if options["generate_key"]:
            self.stdout.write(generate_key_entry(options["generate_key"]))
            return
        ring = audit_key_ring()
        if ring.derived:
            self.stdout.write(
                self.style.WARNING(
                    "audit key 'dev' is derived from SECRET_KEY (demo/test only); "
                    "set AUDIT_HMAC_KEYS in production"
                )
            )
        report = audit_chain_verify()
        if not report.ok:
            raise CommandError(
                f"audit chain broken at seq {report.broken_seq}: {report.problem} "
                f"({report.checked} entries checked, {report.anchors} anchors in "
                f"{settings.AUDIT_ANCHOR_PATH})"
            )
        if report.overdue:
            raise CommandError(
                f"{report.overdue} audit entries unsealed for more than "
                f"{settings.AUDIT_UNSEALED_MAX_SECONDS} s (oldest "
                f"{report.oldest_unsealed_seconds:.0f} s): is the sealer running?"
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"audit chain ok: {report.checked} entries, {report.anchors} anchors, "
                f"{report.unsealed} not sealed yet"
            )
        )
