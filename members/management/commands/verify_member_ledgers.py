"""Check that every member's points balance equals the points ledger and the lots,
and their growth equals the growth ledger. Exit status 1 on any difference."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Sum

from mall.core.actors import system_actor
from members.models import GrowthEntry, Member
from members.selectors import points_verify_all


class Command(BaseCommand):
    help = "Verify members' points and growth balances against their ledgers."

    def handle(self, *args, **options):
        problems = 0
        for check in points_verify_all(actor=system_actor()):
            problems += 1
            self.stdout.write(
                f"member {check.member_id}: points balance {check.balance}, "
                f"ledger {check.ledger_total}, lots {check.lots_total}"
            )
        totals = dict(
            GrowthEntry.objects.values("member_id")
            .annotate(total=Sum("amount"))
            .values_list("member_id", "total")
        )
        for member_id, growth in Member.objects.values_list("pk", "growth").iterator():
            if totals.get(member_id, 0) != growth:
                problems += 1
                self.stdout.write(
                    f"member {member_id}: growth {growth}, ledger {totals.get(member_id, 0)}"
                )
        if problems:
            raise CommandError(f"{problems} member balances differ from their ledgers")
        self.stdout.write(self.style.SUCCESS("all member balances match their ledgers"))
