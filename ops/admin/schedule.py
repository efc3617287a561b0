"""The schedule (django-celery-beat) admins on the kernel's bases, in words."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from mall.core.admin import (
    TabularInline,
)
from mall.core.labels import (
    task_label,
)


def _harden_third_party_admins() -> None:
    """Give the schedule admins (django-celery-beat) the kernel's declared-lookups rule.

    (DRF's token app, whose admin listed token keys, is no longer installed: staff
    tokens are ``mall.core.StaffToken``, stored hashed.)
    """
    from django_celery_beat import admin as beat_admin
    from django_celery_beat import models as beat
    from unfold.admin import ModelAdmin as UnfoldModelAdmin

    from mall.core.admin import DeclaredLookupsOnlyMixin

    for model, base in (
        (beat.PeriodicTask, beat_admin.PeriodicTaskAdmin),
        (beat.ClockedSchedule, beat_admin.ClockedScheduleAdmin),
        (beat.CrontabSchedule, beat_admin.CrontabScheduleAdmin),
        (beat.SolarSchedule, beat_admin.SolarScheduleAdmin),
        (beat.IntervalSchedule, beat_admin.IntervalScheduleAdmin),
    ):
        attributes = {
            "__module__": __name__,
            "nav_group": "system",
            # The schedules' "tasks using this" inline in the theme's look too.
            "inlines": [
                type(inline.__name__, (inline, TabularInline), {"__module__": __name__})
                for inline in base.inlines
            ],
        }
        if model is beat.PeriodicTask:
            attributes.update(_PERIODIC_TASK_IN_WORDS)
        hardened = type(
            base.__name__, (DeclaredLookupsOnlyMixin, base, UnfoldModelAdmin), attributes
        )
        if admin.site.is_registered(model):
            admin.site.unregister(model)
        admin.site.register(model, hardened)


@admin.display(description=_("task"), ordering="name")
def _periodic_task_label(self, obj):
    return task_label(obj.name) or obj.name


@admin.display(description=_("schedule"))
def _periodic_task_schedule(self, obj):
    if obj.crontab_id:
        return obj.crontab.human_readable
    return str(obj.schedule) if obj.interval_id or obj.clocked_id or obj.solar_id else "—"


# The schedule reads in words: each entry by its label (TASK_LABELS of the app's
# labels module, mall.core.labels), its timing in words; the dotted task path and the
# English name stay on the change page for whoever edits the entry.
_PERIODIC_TASK_IN_WORDS = {
    "list_display": (
        "task_label_text",
        "enabled",
        "schedule_text",
        "last_run_at",
        "total_run_count",
    ),
    "list_display_links": ("task_label_text",),
    "list_filter": ["enabled", "one_off"],
    "list_select_related": ("crontab", "interval", "clocked", "solar"),
    "task_label_text": _periodic_task_label,
    "schedule_text": _periodic_task_schedule,
    "nav_order": 40,
    "nav_icon": "schedule",
}


_harden_third_party_admins()
