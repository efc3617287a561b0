"""Generating, downloading and purging archived reports (报表归档).

* :func:`report_generate` — the report of one kind and period, computed with the system
  actor (mall-wide figures, brushed orders out), written as Excel into private storage
  and archived as one ``ReportArchive`` row; subscribers who may read reports get a
  notice with the download link. Idempotent: the same kind and period twice keeps one
  row (a concurrent second run loses the unique constraint and removes its file).
* :func:`report_download` — the file for a reader with ``reports.view_report`` and scope
  "all"; audited ``report.download``. Anybody else: "not found".
* :func:`report_archives_purge` — reports whose period ended more than
  ``reports.archive_retention_days`` (≥ 730) days ago: file and row deleted, audited once.
"""

from __future__ import annotations

import logging
from datetime import date, timedelta

from django.conf import settings
from django.core.files.base import File
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from mall.core.actors import system_actor
from mall.core.audit import audit, jsonable

from .. import selectors
from ..exceptions import InvalidReportInput, ReportFileMissing, ReportNotFound
from ..models import ReportArchive, ReportKind, ReportSubscription
from ..parameters import ARCHIVE_RETENTION_DAYS

logger = logging.getLogger(__name__)

NOTIFICATION_KIND = "reports.report_ready"
FILE_SLUGS = {
    ReportKind.DAILY: "daily-core-data",
    ReportKind.WEEKLY: "weekly",
    ReportKind.MONTHLY: "monthly",
}


def _period(kind: str, start: date) -> tuple[date, date]:
    """The first and last day of the period of ``kind`` that starts on ``start``."""
    if kind == ReportKind.DAILY:
        return start, start
    if kind == ReportKind.WEEKLY:
        if start.weekday() != 0:
            raise InvalidReportInput(_("A weekly report starts on a Monday."))
        return start, start + timedelta(days=6)
    if kind == ReportKind.MONTHLY:
        if start.day != 1:
            raise InvalidReportInput(_("A monthly report starts on the first of a month."))
        following = (start.replace(day=28) + timedelta(days=4)).replace(day=1)
        return start, following - timedelta(days=1)
    raise InvalidReportInput(_("Unknown report kind."))


def _latest_start(kind: str, today: date) -> date:
    """The start of the last closed period of ``kind`` before ``today``."""
    if kind == ReportKind.DAILY:
        return today - timedelta(days=1)
    if kind == ReportKind.WEEKLY:
        return today - timedelta(days=today.weekday() + 7)
    if kind == ReportKind.MONTHLY:
        return (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    raise InvalidReportInput(_("Unknown report kind."))


def _figures(first: date, last: date) -> dict:
    actor = system_actor()
    window = selectors.days_window(first, (last - first).days + 1)
    return {
        "current": selectors.kpi_figures(actor=actor, window=window),
        "previous": selectors.kpi_figures(actor=actor, window=window.previous()),
        "by_region": selectors.kpi_breakdown(actor=actor, window=window, by="region"),
        "by_channel": selectors.kpi_breakdown(actor=actor, window=window, by="channel"),
        "daily": selectors.kpi_daily(actor=actor, window=window),
    }


def _period_label(first: date, last: date) -> str:
    return first.isoformat() if first == last else f"{first.isoformat()} ~ {last.isoformat()}"


def _notify_subscribers(*, actor, archive: ReportArchive) -> int:
    from ops.services.notifications import staff_notify

    users = [
        subscription.user
        for subscription in ReportSubscription.objects.filter(kind=archive.kind)
        .select_related("user")
        .order_by("id")
        if selectors.may_read_reports(actor=subscription.user)
    ]
    if not users:
        return 0
    return staff_notify(
        actor=actor,
        recipients=users,
        kind=NOTIFICATION_KIND,
        title=_("%(report)s %(period)s is ready")
        % {
            "report": archive.get_kind_display(),
            "period": _period_label(archive.period_start, archive.period_end),
        },
        body=_("Download it from the report archive."),
        link=reverse("admin:reports_reportarchive_download", args=[archive.pk]),
        dedupe_key=f"{NOTIFICATION_KIND}:{archive.kind}:{archive.period_start.isoformat()}",
    )


def report_generate(*, actor, kind: str, period_start: date) -> tuple[ReportArchive, bool]:
    """Generate and archive the report of ``kind`` for the period starting ``period_start``.

    Returns ``(archive, created)``; an archived report is returned as it is. Raises
    ``InvalidReportInput`` for an unknown kind, a period not starting on its first day
    (Monday, the 1st) or one that has not ended yet. Audited ``report.generate``; the
    subscribers' notices go out in the same transaction.
    """
    if kind not in ReportKind.values:
        raise InvalidReportInput(_("Unknown report kind."))
    first, last = _period(kind, period_start)
    if last >= timezone.localdate():
        raise InvalidReportInput(_("The period has not ended yet."))
    existing = ReportArchive.objects.filter(kind=kind, period_start=first).first()
    if existing is not None:
        return existing, False
    with translation.override(settings.LANGUAGE_CODE):
        from ..workbook import report_workbook_bytes, store_report_file

        figures = _figures(first, last)
        title = str(ReportKind(kind).label)
        content = report_workbook_bytes(
            title=title, period_label=_period_label(first, last), figures=figures
        )
        file_name = f"{FILE_SLUGS[kind]}-{first:%Y%m%d}.xlsx"
        archive = ReportArchive(
            kind=kind,
            period_start=first,
            period_end=last,
            file_name=file_name,
            size_bytes=len(content),
            summary=jsonable(figures["current"]),
        )
        archive.file.name = store_report_file(archive, file_name, content)
        try:
            with transaction.atomic():
                archive.save(force_insert=True)
                audit(
                    actor=actor,
                    action="report.generate",
                    target=archive,
                    data={"kind": kind, "period_start": first, "period_end": last},
                )
                _notify_subscribers(actor=actor, archive=archive)
        except IntegrityError:
            # Another run archived the same report first: keep theirs, drop our file.
            archive.file.delete(save=False)
            winner = ReportArchive.objects.filter(kind=kind, period_start=first).first()
            if winner is None:
                raise
            return winner, False
    return archive, True


def _previous_start(kind: str, start: date) -> date:
    if kind == ReportKind.DAILY:
        return start - timedelta(days=1)
    if kind == ReportKind.WEEKLY:
        return start - timedelta(days=7)
    return (start - timedelta(days=1)).replace(day=1)


CATCH_UP_PERIODS = 31  # at most this many missed periods are generated in one run


def report_generate_latest(*, actor, kind: str, today: date | None = None) -> dict:
    """Generate the report of the last closed period of ``kind`` (the scheduled job).

    Periods missed since the newest archived report of ``kind`` (the worker was down on
    a morning) are generated too, oldest first, at most :data:`CATCH_UP_PERIODS`; a
    mall without any report of the kind starts with the last closed period only.
    Returns the last period's result and how many missed ones were made.
    """
    today = today or timezone.localdate()
    latest = _latest_start(kind, today)
    newest = (
        ReportArchive.objects.filter(kind=kind, period_start__lt=latest)
        .order_by("-period_start")
        .values_list("period_start", flat=True)
        .first()
    )
    missed: list[date] = []
    if newest is not None:
        start = _previous_start(kind, latest)
        while start > newest and len(missed) < CATCH_UP_PERIODS:
            missed.append(start)
            start = _previous_start(kind, start)
    caught_up = 0
    for start in reversed(missed):
        caught_up += report_generate(actor=actor, kind=kind, period_start=start)[1]
    archive, created = report_generate(actor=actor, kind=kind, period_start=latest)
    return {
        "archive": archive.pk,
        "kind": kind,
        "period_start": archive.period_start,
        "created": created,
        "caught_up": caught_up,
    }


def report_download(*, actor, archive: ReportArchive) -> tuple[File, str]:
    """Open the report's file for a reader who may read reports; audited ``report.download``.

    Raises ``ReportNotFound`` for anybody else (as for a missing report) and
    ``ReportFileMissing`` when the file is gone from storage.
    """
    if not selectors.may_read_reports(actor=actor):
        raise ReportNotFound()
    if not archive.file:
        raise ReportFileMissing()
    try:
        handle = archive.file.open("rb")
    except FileNotFoundError:
        raise ReportFileMissing() from None
    with transaction.atomic():
        audit(
            actor=actor,
            action="report.download",
            target=archive,
            data={"kind": archive.kind, "period_start": archive.period_start},
        )
    return handle, archive.file_name


def report_archives_purge(*, actor, today: date | None = None) -> int:
    """Delete the reports whose period ended before the retention; return how many.

    The retention is ``reports.archive_retention_days`` (never below 730: two years).
    Audited once per run (``report.purge``, the kinds and periods) when anything went.
    """
    from ops.parameters import get_parameter

    today = today or timezone.localdate()
    cutoff = today - timedelta(days=max(int(get_parameter(ARCHIVE_RETENTION_DAYS)), 730))
    expired = list(ReportArchive.objects.filter(period_end__lt=cutoff).order_by("id"))
    if not expired:
        return 0
    with transaction.atomic():
        ReportArchive.objects.filter(pk__in=[archive.pk for archive in expired]).delete()
        audit(
            actor=actor,
            action="report.purge",
            object_type=ReportArchive._meta.label_lower,
            data={
                "cutoff": cutoff,
                "reports": [[a.kind, a.period_start.isoformat()] for a in expired],
            },
        )
    for archive in expired:
        if archive.file:
            try:
                archive.file.delete(save=False)
            except OSError:  # the row is gone; a stray file is only disk space
                logger.warning("report file %s could not be deleted", archive.file.name)
    return len(expired)
