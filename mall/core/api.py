"""DRF bases for staff endpoints: data scope, function permissions, masking, exports.

:class:`ScopedViewSet` is the one base of a staff endpoint (its docstring shows a
complete example); :class:`ScopedFilterBackend` validates and scopes the app's
FilterSet (:mod:`mall.core.filters`); :class:`MaskedField` masks personal data in
serializers; :class:`ScopedExportMixin` adds ``GET …/export/?format=csv|xlsx``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.functional import cached_property
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import MethodNotAllowed, ValidationError
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from .audit import audit
from .exceptions import NotFound
from .exports import export_cell
from .masking import PII_PERMISSION, PiiPolicy, pii_reason_from_request
from .pagination import DefaultCursorPagination
from .permissions import ModelActionPermissions
from .scoping import scope_queryset

# --- masking in serializers ---------------------------------------------------------------


class MaskedField(serializers.Field):
    """A read-only field holding personal data: masked unless the reader may see it.

    ``MaskedField(kind="phone")`` (kinds: phone, name, id_number, address). Without a
    policy in the serializer context the value is masked (fail closed).
    """

    def __init__(self, kind: str = "phone", **kwargs):
        kwargs["read_only"] = True
        self.kind = kind
        super().__init__(**kwargs)

    def get_attribute(self, instance):
        return (instance, super().get_attribute(instance))

    def to_representation(self, value):
        instance, raw = value
        policy: PiiPolicy | None = self.context.get("pii_policy")
        if policy is None:
            policy = PiiPolicy(None)
        return policy.value(instance, self.source or self.field_name, raw, self.kind)


try:  # describe MaskedField as a string in the OpenAPI schema
    from drf_spectacular.extensions import OpenApiSerializerFieldExtension

    class MaskedFieldExtension(OpenApiSerializerFieldExtension):
        target_class = "mall.core.api.MaskedField"

        def map_serializer_field(self, auto_schema, direction):
            return {"type": "string", "nullable": True, "readOnly": True}

except ImportError:  # pragma: no cover
    pass


# --- scoped viewsets ----------------------------------------------------------------------


class ScopedFilterBackend(DjangoFilterBackend):
    """django-filter whose relation filters only accept related rows in the reader's scope.

    Without it ``?site=<id>`` answers 200 (empty) for a row outside scope but 400 for
    an id that does not exist, which tells the caller the row exists.
    """

    def get_filterset(self, request, queryset, view):
        filterset = super().get_filterset(request, queryset, view)
        if filterset is None:
            return None
        for declared in filterset.filters.values():
            choices = getattr(declared, "queryset", None)  # ModelChoiceFilter & co.
            if isinstance(choices, QuerySet):
                declared.queryset = scope_queryset(request.user, choices)
                declared.extra.pop("queryset", None)
                declared.__dict__.pop("_field", None)  # rebuild the form field
        return filterset


ID_REGEX = r"[0-9]{1,18}"


def parse_pk(value) -> int | None:
    """Return ``value`` as a positive database id, or ``None`` for anything else."""
    text = str(value)
    if not text.isdigit() or len(text) > 18:
        return None
    number = int(text)
    return number if number > 0 else None


class ScopedViewSet(viewsets.GenericViewSet):
    """The one base of a staff endpoint: a scoped selector, permissions per action.

    A subclass names its selectors and serializer; list and retrieve come for free,
    every write is an action that validates input with a serializer, calls one
    service and answers with :meth:`respond`::

        class ShipmentViewSet(ScopedExportMixin, ScopedViewSet):
            serializer_class = ShipmentSerializer
            list_selector = selectors.shipment_list      # (*, actor) -> scoped QuerySet
            get_selector = selectors.shipment_get        # (*, actor, pk) -> row or NotFound
            filterset_class = ShipmentFilter             # dispatch/filters.py
            required_permissions = {"ship": ["dispatch.ship_shipment"]}

            @action(detail=True, methods=["post"])
            def ship(self, request, pk=None):
                data = self.validated(ShipInput)
                shipment = services.shipment_ship(actor=request.user,
                                                  shipment=self.get_object(), **data)
                return self.respond(shipment)

    * Reads: ``get_queryset()`` is ``list_selector(actor=user)``; ``get_object()`` is
      ``get_selector(actor=user, pk=…)`` (or the list selector filtered by id), so a
      row outside the caller's scope — or an id that is not a number — is 404 like a
      missing one, in every ``detail=True`` action too.
    * Filters: ``filterset_class`` from the app's ``filters.py`` (see
      :mod:`mall.core.filters`); relation choices are scoped by the backend.
    * Permissions: :class:`~mall.core.permissions.ModelActionPermissions` — view for
      reads, add/change/delete for create/update/destroy, every custom action named
      in ``required_permissions`` (fail closed). The service checks again.
    * Paging: cursor pagination (``?page_size=`` 1–200); set ``pagination_class =
      None`` on an action that answers a short fixed list.
    * Personal data: serializer fields declared as :class:`MaskedField` are masked
      unless the reader holds ``pii_permission``; reveals are audited.
    * Export: add :class:`ScopedExportMixin` and ``export_columns``.
    * An endpoint that is not a row resource (a report, a plan) is an ``@action``
      with ``detail=False`` on the viewset of the rows it reads.
    * A resource read only as a list (or only by id) names what it offers in
      ``read_actions``; the other read answers 405 (the router keeps its route).
    """

    permission_classes = [ModelActionPermissions]
    filter_backends = [ScopedFilterBackend]
    pagination_class = DefaultCursorPagination
    lookup_value_regex = ID_REGEX
    list_selector: Callable[..., QuerySet] | None = None
    get_selector: Callable[..., Any] | None = None
    scope_model = None
    pii_permission = PII_PERMISSION
    required_permissions: dict[str, list[str]] = {}
    read_actions: tuple[str, ...] = ("list", "retrieve")

    # --- reads ------------------------------------------------------------------------

    def get_queryset(self) -> QuerySet:
        selector = type(self).list_selector
        if selector is None:
            raise ImproperlyConfigured(f"{type(self).__name__} names no list_selector")
        return selector(actor=self.request.user)

    def get_object(self):
        lookup = self.kwargs.get(self.lookup_url_kwarg or self.lookup_field)
        instance = self.get_row(parse_pk(lookup))
        self.check_object_permissions(self.request, instance)
        return instance

    def get_row(self, pk: int | None):
        """The row ``pk`` in the caller's scope, or ``NotFound``."""
        if pk is None:
            raise NotFound()
        selector = type(self).get_selector
        if selector is not None:
            return selector(actor=self.request.user, pk=pk)
        instance = self.get_queryset().filter(pk=pk).first()
        if instance is None:
            raise NotFound()
        return instance

    def list(self, request, *args, **kwargs):
        if "list" not in self.read_actions:
            raise MethodNotAllowed(request.method)
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        if page is not None:
            return self.get_paginated_response(self.get_serializer(page, many=True).data)
        return Response(self.get_serializer(queryset, many=True).data)

    def retrieve(self, request, *args, **kwargs):
        if "retrieve" not in self.read_actions:
            raise MethodNotAllowed(request.method)
        return Response(self.get_serializer(self.get_object()).data)

    # --- writes -----------------------------------------------------------------------

    def validated(self, serializer_class, data=None, **kwargs) -> dict:
        """Validate ``data`` (default: the request body) with an input serializer."""
        serializer = serializer_class(
            data=self.request.data if data is None else data,
            context=self.get_serializer_context(),
            **kwargs,
        )
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    def respond(self, instance, code: int = 200, serializer_class=None) -> Response:
        """Answer with ``instance`` as the caller now sees it (re-read through the selector).

        A write that moved the row out of the caller's scope (handed to another owner)
        answers with what was saved rather than a 404 for a committed change.
        """
        try:
            fresh = self.get_row(instance.pk)
        except NotFound:
            fresh = instance
        serializer_class = serializer_class or self.get_serializer_class()
        data = serializer_class(fresh, context=self.get_serializer_context()).data
        return Response(data, status=code)

    # --- personal data ----------------------------------------------------------------

    @cached_property
    def pii_policy(self) -> PiiPolicy:
        return PiiPolicy(
            self.request.user,
            reason=pii_reason_from_request(self.request),
            permission=self.pii_permission,
        )

    def get_serializer_context(self):
        context = super().get_serializer_context()
        context["pii_policy"] = self.pii_policy
        return context

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if "pii_policy" in self.__dict__ and response.status_code < 400:
            self.pii_policy.flush(context=f"api {request.method} {request.path}")
        return response


# --- exports ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExportColumn:
    """One export column: header, how to read it (dotted attribute or callable), PII kind."""

    header: str
    source: str | Callable[[Any], Any]
    pii: str | None = None

    def read(self, obj, policy: PiiPolicy):
        if callable(self.source):
            value = self.source(obj)
        else:
            value = obj
            for part in self.source.split("."):
                value = getattr(value, part, None) if value is not None else None
        if self.pii:
            name = self.source if isinstance(self.source, str) else self.header
            value = policy.value(obj, name, value, self.pii)
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


EXPORT_FORMATS = ("csv", "xlsx")


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
) -> HttpResponse:
    """Export ``queryset`` for ``user``: data scope, masking and audit like the screen.

    ``scoped=True`` says the caller already applied :func:`scope_queryset`; otherwise
    it is applied here. CSV is streamed; xlsx is written with openpyxl (write-only).
    The export is audited (who, model, format, filters, row count) before any row is
    sent; personal data shown unmasked is audited as ``pii.reveal``.
    """
    if fmt not in EXPORT_FORMATS:
        raise ValidationError({"format": [f"one of {', '.join(EXPORT_FORMATS)}"]})
    if not scoped:
        queryset = scope_queryset(user, queryset)
    model = queryset.model
    rows = queryset.count()
    with transaction.atomic():
        audit(
            actor=user,
            action="data.export",
            object_type=model._meta.label_lower,
            data={"format": fmt, "filters": filters or {}, "rows": rows},
        )
    policy = PiiPolicy(user, reason=reason, permission=pii_permission)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    name = f"{filename}-{stamp}.{fmt}"
    context = f"export {model._meta.label_lower}"
    iterator = queryset.iterator(chunk_size=2000)
    if fmt == "csv":
        response = StreamingHttpResponse(
            _csv_rows(iterator, columns, policy, context), content_type="text/csv; charset=utf-8"
        )
    else:
        from openpyxl import Workbook

        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet(title=str(model._meta.verbose_name_plural)[:31])
        sheet.append([str(column.header) for column in columns])
        for obj in iterator:
            sheet.append([column.read(obj, policy) for column in columns])
        buffer = io.BytesIO()
        workbook.save(buffer)
        policy.flush(context=context)
        response = HttpResponse(
            buffer.getvalue(),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["X-Export-Rows"] = str(rows)
    return response


class _CsvFormatRenderer(JSONRenderer):
    """Lets ``?format=csv`` pass DRF's content negotiation; errors still render as JSON."""

    format = "csv"


class _XlsxFormatRenderer(JSONRenderer):
    format = "xlsx"


EXPORT_RENDERERS = [JSONRenderer, _CsvFormatRenderer, _XlsxFormatRenderer]


class ScopedExportMixin:
    """``GET …/export/?format=csv|xlsx`` for a :class:`ScopedViewSet`."""

    export_columns: list[ExportColumn] = []
    export_filename = "export"

    @extend_schema(
        parameters=[
            OpenApiParameter("format", OpenApiTypes.STR, enum=list(EXPORT_FORMATS), required=False)
        ],
        responses={
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.BINARY, description="CSV file"),
            (
                200,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            ): OpenApiResponse(OpenApiTypes.BINARY, description="Excel file"),
        },
        filters=True,
    )
    @action(
        detail=False,
        methods=["get"],
        url_path="export",
        renderer_classes=EXPORT_RENDERERS,
        pagination_class=None,
    )
    def export(self, request, *args, **kwargs):
        queryset = self.filter_queryset(self.get_queryset())
        filters = {
            key: value
            for key, value in request.query_params.items()
            if key not in ("format", "pii_reason")
        }
        return export_response(
            user=request.user,
            queryset=queryset,
            columns=self.get_export_columns(),
            filename=self.export_filename,
            fmt=request.query_params.get("format", "csv"),
            filters=filters,
            reason=pii_reason_from_request(request),
            pii_permission=self.pii_permission,
            scoped=True,
        )

    def get_export_columns(self) -> list[ExportColumn]:
        return list(self.export_columns)
