"""Models of the reports app: the report archive (报表归档) and subscriptions (报表订阅).

* :class:`ReportArchive` — one generated report (daily core-data report, weekly or monthly
  report) for one period, its Excel file in private storage. One row per kind and
  period (a second generation of the same report finds the row and does nothing).
  Kept at least two years (``reports.archive_retention_days``, ≥ 730), then purged.
* :class:`ReportSubscription` — a staff member asks to be told when a report kind is
  generated (a notice in their inbox with the download link).

Reports are mall-wide figures: only readers whose data scope covers every order (scope
"all") and who hold ``reports.view_report`` may list or download them (docs/REPORTS.md).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from mall.core.models import private_storage


class ReportKind(models.TextChoices):
    DAILY = "daily", pgettext_lazy("report kind", "Daily core-data report")
    WEEKLY = "weekly", pgettext_lazy("report kind", "Weekly operations report")
    MONTHLY = "monthly", pgettext_lazy("report kind", "Monthly operations report")


class ReportArchive(models.Model):
    """One generated report file for one period (mall-wide figures)."""

    kind = models.CharField(_("report kind"), max_length=10, choices=ReportKind.choices)
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end (inclusive)"))
    file = models.FileField(
        _("report file"), storage=private_storage, upload_to="reports/", max_length=200
    )
    file_name = models.CharField(_("download name"), max_length=120)
    size_bytes = models.PositiveIntegerField(_("file size (bytes)"), default=0)
    summary = models.JSONField(_("key figures"), default=dict, blank=True)
    generated_at = models.DateTimeField(_("generated at"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("report archive")
        verbose_name_plural = _("report archive")
        ordering = ["-period_start", "kind"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "period_start"], name="reports_archive_one_per_period"
            ),
            models.CheckConstraint(
                condition=models.Q(period_end__gte=models.F("period_start")),
                name="reports_archive_period_ordered",
            ),
        ]
        permissions = [
            ("view_report", _("Can list and download mall-wide reports")),
            ("view_dashboard", _("Can view the data dashboard")),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.period_start:%Y-%m-%d}"


class ReportSubscription(models.Model):
    """A staff member told (in their inbox) whenever a report of ``kind`` is generated."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("staff member"),
        on_delete=models.CASCADE,
        related_name="report_subscriptions",
    )
    kind = models.CharField(_("report kind"), max_length=10, choices=ReportKind.choices)
    created_at = models.DateTimeField(_("subscribed at"), auto_now_add=True)

    class Meta:
        verbose_name = _("report subscription")
        verbose_name_plural = _("report subscriptions")
        ordering = ["kind", "id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="reports_one_subscription"),
        ]

    def __str__(self) -> str:
        return str(self.get_kind_display())
