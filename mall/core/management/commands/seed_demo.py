"""Create the demo data of DESIGN.md §7 (idempotent).

Each app contributes through ``<app>/demo.py`` with ``seed(*, stdout) -> None``;
they run in dependency order, so later apps can rely on earlier apps' rows. A demo
that needs rows of apps to its right (members' RFM scores the orders demo's orders)
also defines ``seed_last(*, stdout)``, called once every app's ``seed`` has run.
"""

from __future__ import annotations

import importlib
import importlib.util

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

DEMO_PASSWORD = "mall-demo-2026"  # noqa: S105 - the documented demo password
APP_ORDER = [
    "rbac",
    "ops",
    "catalog",
    "dispatch",
    "members",
    "orders",
    "payments",
    "risk",
    "ops.backups",
    "ops.reports",
    "ops.monitoring",
    "ops.tickets",
]


def seed_superuser() -> None:
    user_model = get_user_model()
    user, created = user_model.objects.get_or_create(
        username="admin",
        defaults={"is_staff": True, "is_superuser": True, "email": "admin@example.com"},
    )
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])


class Command(BaseCommand):
    help = "Create the demo data (idempotent). Refuses production settings without --force."

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="run even with DEBUG off")

    def handle(self, *args, **options):
        production_like = not (settings.DEBUG or settings.DEMO_MODE or settings.TESTING)
        if production_like and not options["force"]:
            raise CommandError(
                "seed_demo creates known passwords; refusing with production settings "
                "(set MALL_DEMO=1 or pass --force)."
            )
        with transaction.atomic():
            seed_superuser()
        for app in APP_ORDER:
            if importlib.util.find_spec(f"{app}.demo") is None:
                continue
            module = importlib.import_module(f"{app}.demo")
            self.stdout.write(f"seeding {app} …")
            module.seed(stdout=self.stdout)
        for app in APP_ORDER:
            if importlib.util.find_spec(f"{app}.demo") is None:
                continue
            module = importlib.import_module(f"{app}.demo")
            if hasattr(module, "seed_last"):
                module.seed_last(stdout=self.stdout)
        self.stdout.write(self.style.SUCCESS("demo data ready"))
