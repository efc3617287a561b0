"""DRF bases for staff endpoints: data scope, function permissions, masking, exports.

:class:`ScopedViewSet` is the one base of a staff endpoint (its docstring shows a
complete example); :class:`ScopedFilterBackend` validates and scopes the app's
FilterSet (:mod:`mall.core.filters`); :class:`MaskedField` masks personal data in
serializers; :class:`ScopedExportMixin` adds ``GET …/export/?format=csv|xlsx``.
Above ``core.export_sync_max_rows`` rows an export answers ``202`` and runs as a job
(mall/core/exports.py, mall/core/filejobs.py).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db.models import QuerySet
from django.utils.functional import cached_property
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import MethodNotAllowed, ValidationError
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from .exceptions import NotFound
from .exports import (
    EXPORT_FORMATS,
    ExportColumn,
    export_job_request,
    export_response,
    register_export_view,
)
from .job_apis import FileJobSerializer, file_job_accepted_body
from .masking import PII_PERMISSION, PiiPolicy, pii_reason_from_request
from .pagination import DefaultCursorPagination
from .parameters import EXPORT_SYNC_MAX_ROWS, kernel_parameter
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
# Columns, writers and the synchronous response live in mall/core/exports.py; these names
# stay importable from here.
__all__ = ["EXPORT_FORMATS", "ExportColumn", "export_response"]


class _CsvFormatRenderer(JSONRenderer):
    """Lets ``?format=csv`` pass DRF's content negotiation; errors still render as JSON."""

    format = "csv"


class _XlsxFormatRenderer(JSONRenderer):
    format = "xlsx"


EXPORT_RENDERERS = [JSONRenderer, _CsvFormatRenderer, _XlsxFormatRenderer]


class ScopedExportMixin:
    """``GET …/export/?format=csv|xlsx`` for a :class:`ScopedViewSet`.

    Up to ``core.export_sync_max_rows`` rows the file is streamed at once; above, the
    export becomes a job: ``202 {"job": id, "status_url", …}`` and the file is fetched
    from ``/api/v1/jobs/<id>/download/`` when done (mall/core/exports.py). A filter
    named in ``export_pii_filters`` (e.g. a full phone number) holds personal data,
    which is never stored in a job: such an export is always answered at once.
    Each subclass is registered under ``export_name`` so the job can rebuild it.
    """

    export_columns: list[ExportColumn] = []
    export_filename = "export"
    export_name = ""
    export_pii_filters: tuple[str, ...] = ()

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "export_name" not in cls.__dict__ or not cls.export_name:
            cls.export_name = f"{cls.__module__}.{cls.__qualname__}"
        register_export_view(cls.export_name, cls)

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
            (202, "application/json"): OpenApiResponse(
                FileJobSerializer,
                description="More rows than core.export_sync_max_rows: the export runs as a "
                "job; poll status_url, then fetch download_url.",
            ),
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
        """Download the rows in your data scope as CSV or Excel, with the list's filters.

        Up to `core.export_sync_max_rows` rows the file comes at once; above, the answer
        is 202 with the job: poll `status_url`, then fetch `download_url`.
        """
        queryset = self.filter_queryset(self.get_queryset())
        fmt = request.query_params.get("format", "csv")
        if fmt not in EXPORT_FORMATS:
            raise ValidationError({"format": [f"one of {', '.join(EXPORT_FORMATS)}"]})
        filters = {
            key: value
            for key, value in request.query_params.items()
            if key not in ("format", "pii_reason")
        }
        rows = queryset.count()
        holds_pii = any(filters.get(name) for name in self.export_pii_filters)
        if rows > kernel_parameter(EXPORT_SYNC_MAX_ROWS) and not holds_pii:
            job = export_job_request(
                actor=request.user,
                export_name=self.export_name,
                fmt=fmt,
                query=[
                    (key, value)
                    for key, values in request.query_params.lists()
                    if key != "pii_reason"
                    for value in values
                ],
                reason=pii_reason_from_request(request),
                model=queryset.model._meta.label_lower,
            )
            return Response(file_job_accepted_body(job, request), status=202)
        return export_response(
            user=request.user,
            queryset=queryset,
            columns=self.get_export_columns(),
            filename=self.export_filename,
            fmt=fmt,
            filters=filters,
            reason=pii_reason_from_request(request),
            pii_permission=self.pii_permission,
            scoped=True,
            rows=rows,
        )

    def get_export_columns(self) -> list[ExportColumn]:
        return list(self.export_columns)
