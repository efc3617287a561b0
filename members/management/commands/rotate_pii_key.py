"""Re-encrypt members' personal data under the current PII key, in batches."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from mall.core.actors import system_actor
from members import crypto
from members.services.rotation import pii_rehash_lookups, pii_rotate


class Command(BaseCommand):
    help = (
        "Re-encrypt personal data still under an old key with the first key of "
        "PII_ENCRYPTION_KEYS (batches, resumable). --rehash recomputes phone lookup "
        "hashes after PII_LOOKUP_KEY changed. --generate-key ID prints a new key entry."
    )

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=500)
        parser.add_argument("--rehash", action="store_true")
        parser.add_argument("--generate-key", metavar="KEY_ID")

    def handle(self, *args, **options):
        if options["generate_key"]:
            key_id = options["generate_key"]
            if not key_id.isalnum():
                raise CommandError("the key id must be letters and digits")
            self.stdout.write(crypto.generate_key_entry(key_id))
            return
        if options["batch_size"] < 1:
            raise CommandError("--batch-size must be at least 1")
        result = pii_rotate(
            actor=system_actor(), batch_size=options["batch_size"], stdout=self.stdout
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"re-encrypted {result['rows']} rows under key {crypto.current_key_id()}"
            )
        )
        if options["rehash"]:
            count = pii_rehash_lookups(actor=system_actor(), batch_size=options["batch_size"])
            self.stdout.write(self.style.SUCCESS(f"recomputed {count} lookup hashes"))
