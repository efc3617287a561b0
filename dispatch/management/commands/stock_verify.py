"""``manage.py stock_verify``: prove the ledger sums to every stock row."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from dispatch.models import Stock, StockMovement
from dispatch.selectors import stock_ledger_mismatches
from mall.core.actors import system_actor


class Command(BaseCommand):
    help = "Check that on hand, reserved and in transit of every stock row equal its movements."

    def handle(self, *args, **options):
        problems = stock_ledger_mismatches(actor=system_actor())
        rows = Stock.objects.count()
        movements = StockMovement.objects.count()
        for problem in problems[:100]:
            self.stderr.write(
                "{warehouse} {sku} {figure}: stock {stock}, ledger {ledger}".format(**problem)
            )
        if problems:
            raise CommandError(f"{len(problems)} figure(s) differ from the ledger")
        self.stdout.write(f"ok: {rows} stock rows match {movements} movements")
