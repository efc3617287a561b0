"""Check that every member's stored balance equals the sum of their balance ledger.
Exit status 1 on any difference."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from mall.core.actors import system_actor
from members.services.balance import balance_verify


class Command(BaseCommand):
    help = "Verify members' stored balances against their balance ledgers."

    def handle(self, *args, **options):
        problems = balance_verify(actor=system_actor())
        for check in problems:
            self.stdout.write(
                f"member {check.member_id}: balance {check.balance:.2f}, "
                f"ledger {check.ledger_total:.2f}"
            )
        if problems:
            raise CommandError(f"{len(problems)} member balances differ from their ledgers")
        self.stdout.write(self.style.SUCCESS("all stored balances match their ledgers"))
