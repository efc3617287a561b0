from django.core.management.base import BaseCommand

from mall.core.labels import task_label
from mall.core.schedule import schedule_sync


class Command(BaseCommand):
    help = "Create the default Celery beat entries that are missing (never overwrites edits)."

    def handle(self, *args, **options):
        created = schedule_sync()
        for name in created:
            label = task_label(name)
            self.stdout.write(f"created {name}" + (f" ({label})" if label else ""))
        self.stdout.write(self.style.SUCCESS(f"schedule in sync ({len(created)} created)"))
