"""DRF bases for staff endpoints: data scope, function permissions, masking, exports.

A staff viewset built on :class:`ScopedViewSetMixin`::

    class TicketViewSet(ScopedViewSetMixin, mixins.ListModelMixin,
                        mixins.RetrieveModelMixin, viewsets.GenericViewSet):
        scope_model = Ticket
        serializer_class = TicketSerializer
        required_permissions = {"close": ["app.close_ticket"]}

        def get_base_queryset(self):
            return ticket_list_base()          # a selector, unscoped part

        @action(detail=True, methods=["post"])
        def close(self, request, pk=None):
            ticket = self.get_object()         # out of scope → 404
            ...

* ``get_queryset`` = ``scope_queryset(user, get_base_queryset())``; list, detail and
  every ``@action`` that calls ``get_object()`` / ``get_queryset()`` are scoped, so a
  row outside the caller's scope is 404.
* Filters: :class:`ScopedFilterBackend` (django-filter) scopes the choices of every
  filter on a relation, so ``?warehouse=<id of a row outside scope>`` is refused like
  an id that does not exist (no existence leak through filter parameters).
* Permissions: :class:`~mall.core.permissions.ModelActionPermissions` — view perm for
  reads, add/change/delete for writes, custom actions must be named.
* Personal data: declare serializer fields as :class:`MaskedField`; the view gives
  the serializer a :class:`~mall.core.masking.PiiPolicy` and audits reveals once the
  response is built.
* Exports: add :class:`ScopedExportMixin` and ``export_columns``; ``GET …/export/
  ?format=csv|xlsx&<filters>`` streams the scoped, filtered, masked rows and audits
  the export (who, filters, row count); above ``core.export_sync_max_rows`` rows it
  answers ``202`` and runs as a job (mall/core/exports.py, mall/core/filejobs.py).
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils.functional import cached_property
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from .exports import (
    EXPORT_FORMATS,
    ExportColumn,
    export_job_request,
    export_response,
    register_export_view,
)
from .job_apis import FileJobSerializer, file_job_accepted_body
from .masking import PII_PERMISSION, PiiPolicy, pii_reason_from_request
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


class ScopedViewSetMixin:
    """Scope + function permissions + PII policy for a staff viewset (module docstring)."""

    permission_classes = [ModelActionPermissions]
    filter_backends = [ScopedFilterBackend]
    scope_model = None
    pii_permission = PII_PERMISSION
    required_permissions: dict[str, list[str]] = {}

    def get_base_queryset(self) -> QuerySet:
        """The unscoped rows (a selector's base); defaults to ``queryset``."""
        if getattr(self, "queryset", None) is not None:
            return self.queryset.all()
        return self.scope_model._default_manager.all()

    def get_queryset(self) -> QuerySet:
        return scope_queryset(self.request.user, self.get_base_queryset())

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
    """``GET …/export/?format=csv|xlsx`` for a :class:`ScopedViewSetMixin` viewset.

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
