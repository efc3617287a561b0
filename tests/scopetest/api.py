"""API for the test-only app, built on the kernel's scoped bases."""

from __future__ import annotations

from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from mall.core.api import ExportColumn, MaskedField, ScopedExportMixin, ScopedViewSet

from . import models, selectors, services
from .filters import TicketFilter


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


class _TicketViewSetBase(ScopedExportMixin, ScopedViewSet):
    required_permissions = {"close": ["scopetest.close_ticket"]}

    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        ticket = services.ticket_close(actor=request.user, ticket=self.get_object())
        return Response({"id": ticket.pk, "is_closed": True})


class TicketViewSet(_TicketViewSetBase):
    list_selector = selectors.ticket_list
    serializer_class = TicketSerializer
    pii_permission = "scopetest.view_ticket_pii"
    filterset_class = TicketFilter
    export_filename = "tickets"
    export_columns = [
        ExportColumn("id", "id"),
        ExportColumn("title", "title"),
        ExportColumn("region", "region.code"),
        ExportColumn("phone", "phone", pii="phone"),
        ExportColumn("customer", "customer_name", pii="name"),
    ]


class RegionOnlyTicketViewSet(_TicketViewSetBase):
    list_selector = selectors.region_only_ticket_list
    serializer_class = RegionOnlyTicketSerializer
    export_filename = "region-tickets"
    export_columns = [ExportColumn("id", "id"), ExportColumn("title", "title")]
