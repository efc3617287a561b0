"""Exports: columns, the file writers, the synchronous response and the export job.

An export of at most ``core.export_sync_max_rows`` rows is streamed in the request
(:func:`export_response`). A larger one becomes a ``FileJob``
(:class:`~mall.core.api.ScopedExportMixin`): the job stores the export's registered
name, the format and the query string as the caller sent it, and
:func:`export_job_run` (on the ``heavy`` queue) rebuilds the same viewset for the
same user with the same query, checks the function permission again, applies the
same data scope and filters, masks per the user's permissions at that moment, and
audits ``data.export`` and ``pii.reveal`` like the synchronous path.
"""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import IO, Any

from django.contrib.auth import get_user_model
from django.core.files import File
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, QueryDict, StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import ValidationError

from .actors import system_actor
from .audit import audit, conceal_personal
from .cells import export_cell
from .exceptions import ApplicationError, PermissionDeniedError
from .masking import PII_PERMISSION, PiiPolicy
from .scoping import scope_queryset

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
EXPORT_FORMATS = ("csv", "xlsx")


@dataclass(frozen=True)
class ExportColumn:
    """One export column: header, how to read it (dotted attribute or callable), PII kind."""

    header: str
    source: str | Callable[[Any], Any]
    pii: str | None = None

    @property
    def pii_name(self) -> str:
        """The field named in the ``pii.reveal`` audit entry."""
        return self.source if isinstance(self.source, str) else str(self.header)

    def read(self, obj, policy: PiiPolicy):
        if callable(self.source):
            value = self.source(obj)
        else:
            value = obj
            for part in self.source.split("."):
                value = getattr(value, part, None) if value is not None else None
        if self.pii:
            value = policy.value(obj, self.pii_name, value, self.pii)
        if value is None:
            return ""
        if hasattr(value, "isoformat"):
            return value.isoformat()
        return export_cell(value if isinstance(value, int | float) else str(value))


class _Echo:
    def write(self, value):
        return value


def _csv_rows(rows: Iterable, columns, policy: PiiPolicy, context: str) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield "\ufeff"  # Excel opens UTF-8 CSV with a BOM correctly
    yield writer.writerow([str(column.header) for column in columns])
    for obj in rows:
        yield writer.writerow([column.read(obj, policy) for column in columns])
    policy.flush(context=context)


def export_file_write(
    *,
    out: IO[bytes],
    fmt: str,
    rows: Iterable,
    columns: list[ExportColumn],
    policy: PiiPolicy,
    title: str = "export",
    progress: Callable[[int], None] | None = None,
) -> int:
    """Write ``rows`` as CSV or xlsx into the binary file ``out``; return the rows written.

    ``progress(rows_done)`` is called after each row. Reveals stay in ``policy`` for
    the caller to flush.
    """
    count = 0
    if fmt == "csv":
        writer = csv.writer(_Echo())
        out.write("\ufeff".encode())
        out.write(writer.writerow([str(column.header) for column in columns]).encode())
        for obj in rows:
            line = writer.writerow([column.read(obj, policy) for column in columns])
            out.write(line.encode())
            count += 1
            if progress is not None:
                progress(count)
        return count
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=str(title)[:31])
    sheet.append([str(column.header) for column in columns])
    for obj in rows:
        sheet.append([column.read(obj, policy) for column in columns])
        count += 1
        if progress is not None:
            progress(count)
    workbook.save(out)
    return count


def export_file_name(filename: str, fmt: str) -> str:
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    return f"{filename}-{stamp}.{fmt}"


def export_response(
    *,
    user,
    queryset: QuerySet,
    columns: list[ExportColumn],
    filename: str,
    fmt: str = "csv",
    filters: dict | None = None,
    reason: str = "",
    pii_permission: str = PII_PERMISSION,
    scoped: bool = False,
    rows: int | None = None,
) -> HttpResponse:
    """Export ``queryset`` for ``user``: data scope, masking and audit like the screen.

    ``scoped=True`` says the caller already applied :func:`scope_queryset`; otherwise
    it is applied here. CSV is streamed; xlsx is written with openpyxl (write-only).
    The export is audited (who, model, format, filters, row count) before any row is
    sent; personal data shown unmasked is audited as ``pii.reveal``. ``rows`` is the
    row count when the caller already has it.
    """
    if fmt not in EXPORT_FORMATS:
        raise ValidationError({"format": [f"one of {', '.join(EXPORT_FORMATS)}"]})
    if not scoped:
        queryset = scope_queryset(user, queryset)
    model = queryset.model
    if rows is None:
        rows = queryset.count()
    with transaction.atomic():
        audit(
            actor=user,
            action="data.export",
            object_type=model._meta.label_lower,
            data={"format": fmt, "filters": conceal_personal(filters) or {}, "rows": rows},
        )
    policy = PiiPolicy(user, reason=reason, permission=pii_permission)
    name = export_file_name(filename, fmt)
    context = f"export {model._meta.label_lower}"
    # The reveal is audited before the first row is produced: if it cannot be
    # written, the export fails and nothing is sent (docs/SECURITY.md).
    policy.announce(
        object_type=model._meta.label_lower,
        records=queryset.values_list("pk", flat=True) if policy.reveal else (),
        fields=[column.pii_name for column in columns if column.pii],
        context=context,
    )
    iterator = queryset.iterator(chunk_size=2000)
    if fmt == "csv":
        response = StreamingHttpResponse(
            _csv_rows(iterator, columns, policy, context), content_type="text/csv; charset=utf-8"
        )
    else:
        buffer = io.BytesIO()
        export_file_write(
            out=buffer,
            fmt=fmt,
            rows=iterator,
            columns=columns,
            policy=policy,
            title=model._meta.verbose_name_plural,
        )
        policy.flush(context=context)
        response = HttpResponse(buffer.getvalue(), content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["X-Export-Rows"] = str(rows)
    return response


# --- exports as jobs -----------------------------------------------------------------------

# export name → the viewset class that serves it (filled by ScopedExportMixin subclasses)
_export_views: dict[str, type] = {}


def register_export_view(name: str, view_class: type) -> None:
    _export_views[name] = view_class


def export_view_class(name: str) -> type:
    """Return the viewset registered under ``name`` (loading the URLconf's views first)."""
    if name not in _export_views:
        from django.urls import get_resolver

        get_resolver().url_patterns  # noqa: B018 - imports every API module, which registers
    try:
        return _export_views[name]
    except KeyError:
        raise ApplicationError(
            _("This export is no longer available."), code="export_unknown"
        ) from None


def export_job_request(
    *,
    actor,
    export_name: str,
    fmt: str,
    query: list[tuple[str, str]],
    reason: str = "",
    model: str = "",
):
    """Queue a large export as a job for ``actor``; return the ``FileJob``.

    ``query`` is the request's query string as pairs (the filters, replayed by the
    job); ``reason`` the reason given for seeing personal data; ``model`` the
    exported model's label (for the job list).
    """
    from .filejobs import file_job_create
    from .models import FileJob
    from .tasks import export_job_run_task

    return file_job_create(
        actor=actor,
        kind=FileJob.Kind.EXPORT,
        name=export_name,
        task=export_job_run_task,
        parameters={
            "model": model,
            "format": fmt,
            "query": [list(pair) for pair in query],
            "reason": reason,
        },
    )


def _replayed_view(view_class: type, user, query: list[list[str]]):
    """Build ``view_class`` for ``user`` as if they had sent ``GET …/export/?<query>``."""
    from rest_framework.request import Request

    django_request = HttpRequest()
    django_request.method = "GET"
    django_request.META = {"SERVER_NAME": "job", "SERVER_PORT": "80"}
    params = QueryDict(mutable=True)
    for key, value in query:
        params.appendlist(key, value)
    django_request.GET = params
    request = Request(django_request, authenticators=())
    request.user = user
    request.auth = None
    view = view_class(action="export", request=request, args=(), kwargs={}, format_kwarg=None)
    return view, request


def export_job_queryset(*, job, user):
    """Rebuild the export's viewset for ``user`` with the job's stored query string.

    Checks the view's permissions again (``PermissionDeniedError`` when lost) and
    returns ``(view, rows)``: the same scope and filters as the request had.
    """
    view, request = _replayed_view(
        export_view_class(job.name), user, job.parameters.get("query", [])
    )
    for permission in view.get_permissions():
        if not permission.has_permission(request, view):
            raise PermissionDeniedError()
    return view, view.filter_queryset(view.get_queryset())


def export_job_run(*, job, progress) -> dict:
    """Write the export of ``job`` as its owner would get it now; return the result.

    Refuses (``permission_denied``) when the owner lost the function permission or is
    no longer active staff. Audits ``data.export`` (with the job id) and, for data
    shown unmasked, ``pii.reveal`` before the file is released.
    """
    from .filejobs import file_job_succeed

    user = get_user_model().objects.get(pk=job.requested_by_id)  # fresh permission cache
    params = job.parameters
    fmt = params.get("format", "csv")
    view, queryset = export_job_queryset(job=job, user=user)
    model = queryset.model
    total = queryset.count()
    progress.rows_total = total
    progress(0)
    filters = {key: value for key, value in params.get("query", []) if key not in ("format",)}
    filters.pop("pii_reason", None)
    with transaction.atomic():
        audit(
            actor=user,
            action="data.export",
            object_type=model._meta.label_lower,
            data={
                "format": fmt,
                "filters": conceal_personal(filters),
                "rows": total,
                "job": job.pk,
            },
        )
    policy = PiiPolicy(user, reason=params.get("reason", ""), permission=view.pii_permission)
    with tempfile.TemporaryFile() as out:
        written = export_file_write(
            out=out,
            fmt=fmt,
            rows=queryset.iterator(chunk_size=2000),
            columns=view.get_export_columns(),
            policy=policy,
            title=model._meta.verbose_name_plural,
            progress=progress,
        )
        policy.flush(context=f"export job {job.pk} {model._meta.label_lower}")
        out.seek(0)
        job.rows_total = written
        file_job_succeed(
            actor=system_actor(),
            job=job,
            result={"rows": written, "format": fmt},
            file=File(out),
            file_name=export_file_name(view.export_filename, fmt),
        )
    return {"rows": written}
