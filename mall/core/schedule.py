"""Default Celery beat schedule (DESIGN.md §6), collected from every app.

Each app's ``tasks.py`` may define ``SCHEDULE``::

    SCHEDULE = {
        "catalog: publish scheduled listings": {
            "task": "catalog.tasks.product_publish_scheduled_task",
            "cron": "* * * * *",              # minute hour day-of-month month day-of-week
            "queue": "realtime",
        },
    }

``manage.py sync_schedule`` (also run after ``migrate``) creates the missing
django-celery-beat entries and never overwrites an entry ops edited in the admin.
"""

from __future__ import annotations

import importlib
import importlib.util
import json

from django.apps import apps
from django.conf import settings
from django.db import transaction


def collect_schedule() -> dict[str, dict]:
    schedule: dict[str, dict] = {}
    for config in apps.get_app_configs():
        module_name = f"{config.name}.tasks"
        if importlib.util.find_spec(module_name) is None:
            continue
        module = importlib.import_module(module_name)
        schedule.update(getattr(module, "SCHEDULE", {}))
    return schedule


def schedule_sync() -> list[str]:
    """Create beat entries that do not exist yet; return the names created."""
    from django_celery_beat.models import CrontabSchedule, PeriodicTask

    created: list[str] = []
    with transaction.atomic():
        for name, entry in collect_schedule().items():
            if PeriodicTask.objects.filter(name=name).exists():
                continue
            minute, hour, day_of_month, month, day_of_week = entry["cron"].split()
            crontab, _ = CrontabSchedule.objects.get_or_create(
                minute=minute,
                hour=hour,
                day_of_month=day_of_month,
                month_of_year=month,
                day_of_week=day_of_week,
                timezone=settings.TIME_ZONE,
            )
            PeriodicTask.objects.create(
                name=name,
                task=entry["task"],
                crontab=crontab,
                queue=entry.get("queue") or None,
                kwargs=json.dumps(entry.get("kwargs", {})),
                description=entry.get("description", ""),
            )
            created.append(name)
    return created
