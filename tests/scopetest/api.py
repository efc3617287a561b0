"""API for the test-only app, built on the kernel's scoped bases."""

from __future__ import annotations

from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from mall.core.api import ExportColumn, MaskedField, ScopedExportMixin, ScopedViewSetMixin

from . import models, services


class TicketSerializer(serializers.ModelSerializer):
    region = serializers.CharField(source="region.code")
    phone = MaskedField(kind="phone")
    customer_name = MaskedField(kind="name")

    class Meta:
        model = models.Ticket
        fields = ["id", "title", "region", "phone", "customer_name", "is_closed"]


class RegionOnlyTicketSerializer(serializers.ModelSerializer):
    class Meta:
        model = models.RegionOnlyTicket
        fields = ["id", "title", "is_closed"]


class _TicketViewSetBase(
    ScopedViewSetMixin,
    ScopedExportMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    required_permissions = {"close": ["scopetest.close_ticket"]}

    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        ticket = self.get_object()
        services.ticket_close(actor=request.user, ticket=ticket)
        return Response({"id": ticket.pk, "is_closed": True})


class TicketViewSet(_TicketViewSetBase):
    scope_model = models.Ticket
    queryset = models.Ticket.objects.select_related("region")
    serializer_class = TicketSerializer
    pii_permission = "scopetest.view_ticket_pii"
    filterset_fields = ["site"]  # a filter on a granted relation (existence must not leak)
    export_filename = "tickets"
    export_columns = [
        ExportColumn("id", "id"),
        ExportColumn("title", "title"),
        ExportColumn("region", "region.code"),
        ExportColumn("phone", "phone", pii="phone"),
        ExportColumn("customer", "customer_name", pii="name"),
    ]


class RegionOnlyTicketViewSet(_TicketViewSetBase):
    scope_model = models.RegionOnlyTicket
    queryset = models.RegionOnlyTicket.objects.all()
    serializer_class = RegionOnlyTicketSerializer
    export_filename = "region-tickets"
    export_columns = [ExportColumn("id", "id"), ExportColumn("title", "title")]
