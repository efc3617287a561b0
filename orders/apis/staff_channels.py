"""Staff API of sales channels (电商渠道/店铺): ``/api/v1/orders/channels/``.

* ``GET  …/channels/?q=&kind=&status=`` — channels in the caller's scope (a channel
  operator: the channels they operate or hold ``orders.work_channel`` on);
* ``GET  …/channels/{id}/``, ``POST …/channels/`` (``orders.add_saleschannel``),
  ``PATCH …/channels/{id}/`` (``orders.change_saleschannel``);
* ``POST …/channels/{id}/disable/`` / ``…/enable/`` ``{"reason"}`` — switching off is a
  409 ``channel_has_open_orders`` while orders or after-sales cases are unsettled;
* ``GET  …/channels/{id}/ledger/`` — the balance's ledger, newest first;
  ``POST …/channels/{id}/ledger/`` ``{"kind", "amount", "reference_no", "note"}``
  (``orders.adjust_channel_balance``; signed amount: + credit, − debit).

Money is a string (``"1200.50"``). Out of scope is 404.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from mall.core.api import ScopedViewSet
from mall.core.exceptions import InvalidInput
from mall.core.people import person_name

from .. import selectors
from ..filters_channels import ChannelLedgerFilter, SalesChannelFilter
from ..models import ChannelLedgerEntry, SalesChannel
from ..permissions import VIEW_CHANNEL
from ..services import channels as services


class SalesChannelSerializer(serializers.ModelSerializer):
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    operator_name = serializers.SerializerMethodField()

    class Meta:
        model = SalesChannel
        fields = [
            "id",
            "code",
            "name",
            "kind",
            "kind_label",
            "storefront_user_id",
            "redeem_domain",
            "operator",
            "operator_name",
            "status",
            "status_label",
            "balance_amount",
            "note",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_operator_name(self, channel) -> str:
        return person_name(channel.operator) if channel.operator_id else ""


class ChannelLedgerEntrySerializer(serializers.ModelSerializer):
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    created_by_name = serializers.SerializerMethodField()

    class Meta:
        model = ChannelLedgerEntry
        fields = [
            "id",
            "kind",
            "kind_label",
            "amount",
            "balance_after_amount",
            "reference_no",
            "note",
            "created_by_name",
            "created_at",
        ]
        read_only_fields = fields

    def get_created_by_name(self, entry) -> str:
        return person_name(entry.created_by)


def _operators():
    return get_user_model().objects.filter(is_staff=True, is_active=True)


MAX_ID = 2**31 - 1


class OperatorField(serializers.IntegerField):
    """An active staff member's id (bounded like every number the API takes)."""

    def __init__(self, **kwargs):
        super().__init__(min_value=1, max_value=MAX_ID, **kwargs)

    def to_internal_value(self, data):
        number = super().to_internal_value(data)
        user = _operators().filter(pk=number).first()
        if user is None:
            raise serializers.ValidationError(_("Choose an active staff member."))
        return user

    def to_representation(self, value):
        return getattr(value, "pk", value)


class ChannelCreateInput(serializers.Serializer):
    code = serializers.CharField(max_length=30)
    name = serializers.CharField(max_length=80)
    kind = serializers.ChoiceField(choices=SalesChannel.Kind.choices)
    storefront_user_id = serializers.CharField(max_length=80, required=False, allow_blank=True)
    redeem_domain = serializers.CharField(max_length=120, required=False, allow_blank=True)
    operator = OperatorField(required=False, allow_null=True)
    note = serializers.CharField(max_length=200, required=False, allow_blank=True)


class ChannelUpdateInput(serializers.Serializer):
    name = serializers.CharField(max_length=80, required=False)
    kind = serializers.ChoiceField(choices=SalesChannel.Kind.choices, required=False)
    storefront_user_id = serializers.CharField(max_length=80, required=False, allow_blank=True)
    redeem_domain = serializers.CharField(max_length=120, required=False, allow_blank=True)
    operator = OperatorField(required=False, allow_null=True)
    note = serializers.CharField(max_length=200, required=False, allow_blank=True)


class ChannelReasonInput(serializers.Serializer):
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class ChannelLedgerInput(serializers.Serializer):
    kind = serializers.ChoiceField(choices=ChannelLedgerEntry.Kind.choices)
    amount = serializers.DecimalField(max_digits=14, decimal_places=2)
    reference_no = serializers.CharField(max_length=60)
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


@extend_schema(tags=["orders"])
class SalesChannelViewSet(ScopedViewSet):
    """Sales channels in the caller's scope; create, change, switch off/on, balance ledger."""

    serializer_class = SalesChannelSerializer
    list_selector = selectors.channel_list
    get_selector = selectors.channel_get
    filterset_class = SalesChannelFilter
    required_permissions = {
        "disable": ["orders.view_saleschannel", "orders.change_saleschannel"],
        "enable": ["orders.view_saleschannel", "orders.change_saleschannel"],
        # GET reads the ledger; POST also needs orders.adjust_channel_balance (the service)
        "ledger": [VIEW_CHANNEL],
    }

    @extend_schema(request=ChannelCreateInput, responses={201: SalesChannelSerializer})
    def create(self, request):
        data = self.validated(ChannelCreateInput)
        channel = services.channel_create(actor=request.user, **data)
        return self.respond(channel, status.HTTP_201_CREATED)

    @extend_schema(request=ChannelUpdateInput, responses=SalesChannelSerializer)
    def partial_update(self, request, pk=None):
        channel = self.get_object()
        data = self.validated(ChannelUpdateInput, partial=True)
        channel = services.channel_update(actor=request.user, channel=channel, **data)
        return self.respond(channel)

    @extend_schema(request=ChannelReasonInput, responses=SalesChannelSerializer)
    @action(detail=True, methods=["post"])
    def disable(self, request, pk=None):
        """Switch the channel off (refused while it has unsettled orders or cases)."""
        channel = self.get_object()
        data = self.validated(ChannelReasonInput)
        channel = services.channel_disable(actor=request.user, channel=channel, **data)
        return self.respond(channel)

    @extend_schema(request=ChannelReasonInput, responses=SalesChannelSerializer)
    @action(detail=True, methods=["post"])
    def enable(self, request, pk=None):
        """Switch the channel on again."""
        channel = self.get_object()
        data = self.validated(ChannelReasonInput)
        channel = services.channel_enable(actor=request.user, channel=channel, **data)
        return self.respond(channel)

    @extend_schema(
        methods=["GET"], responses=ChannelLedgerEntrySerializer(many=True), filters=False
    )
    @extend_schema(
        methods=["POST"],
        request=ChannelLedgerInput,
        responses={201: ChannelLedgerEntrySerializer},
    )
    @action(detail=True, methods=["get", "post"])
    def ledger(self, request, pk=None):
        """The channel's balance ledger (GET, newest first) or one posting (POST)."""
        channel = self.get_object()
        if request.method == "POST":
            data = self.validated(ChannelLedgerInput)
            entry = services.channel_ledger_post(actor=request.user, channel=channel, **data)
            return self.respond(
                entry, status.HTTP_201_CREATED, serializer_class=ChannelLedgerEntrySerializer
            )
        filterset = ChannelLedgerFilter(
            request.query_params,
            queryset=selectors.channel_ledger_list(actor=request.user).filter(channel=channel),
        )
        if not filterset.is_valid():
            raise InvalidInput(_("Invalid filter."), fields=dict(filterset.errors))
        page = self.paginate_queryset(filterset.qs.select_related("created_by"))
        data = ChannelLedgerEntrySerializer(page, many=True).data
        return self.get_paginated_response(data)

    def respond(self, instance, code: int = 200, serializer_class=None):
        if isinstance(instance, ChannelLedgerEntry):
            # A ledger entry is answered as written (it is read through its channel).
            serializer = (serializer_class or ChannelLedgerEntrySerializer)(instance)
            return Response(serializer.data, status=code)
        return super().respond(instance, code, serializer_class)


router = SimpleRouter()
router.register("api/v1/orders/channels", SalesChannelViewSet, basename="orders-channel")

urlpatterns = [path("", include(router.urls))]
