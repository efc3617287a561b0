"""Serializers of the customer-service APIs (storefront and staff; docs/API.md "Tickets").

Output: the storefront never sees internal notes, staff names or the SLA; the staff
API masks the member's phone (``MaskedField``, revealed only with
``members.view_member_pii``, each reveal audited). Input: one serializer per action;
the services check everything again.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from mall.core.api import MaskedField

from .models import BODY_MAX, SUBJECT_MAX, Ticket, TicketMessage

NUMBER_MAX = 24


def _name(user) -> str | None:
    if user is None:
        return None
    from mall.core.people import person_name

    return person_name(user)


# --- storefront ----------------------------------------------------------------------------


class StoreTicketCreateInput(serializers.Serializer):
    category = serializers.ChoiceField(choices=Ticket.Category.choices)
    subject = serializers.CharField(max_length=SUBJECT_MAX)
    body = serializers.CharField(max_length=BODY_MAX)
    order_no = serializers.CharField(max_length=NUMBER_MAX, required=False, allow_blank=True)
    after_sale_no = serializers.CharField(max_length=NUMBER_MAX, required=False, allow_blank=True)
    kind = serializers.ChoiceField(
        choices=Ticket.Kind.choices, required=False, default=Ticket.Kind.TICKET
    )


class StoreTicketCreatedSerializer(serializers.ModelSerializer):
    class Meta:
        model = Ticket
        fields = ["ticket_no", "status"]


class StoreMessageSerializer(serializers.ModelSerializer):
    """A public message: who wrote it is "member" or "staff", never a staff name."""

    class Meta:
        model = TicketMessage
        fields = ["author_kind", "body", "created_at"]


class StoreTicketSerializer(serializers.ModelSerializer):
    order_no = serializers.SerializerMethodField()

    class Meta:
        model = Ticket
        fields = [
            "ticket_no",
            "kind",
            "category",
            "subject",
            "status",
            "order_no",
            "created_at",
            "updated_at",
            "rating",
        ]

    @extend_schema_field(OpenApiTypes.STR)
    def get_order_no(self, ticket) -> str | None:
        return ticket.order.order_no if ticket.order_id else None


class StoreTicketDetailSerializer(StoreTicketSerializer):
    after_sale_no = serializers.SerializerMethodField()
    messages = serializers.SerializerMethodField()
    can_rate = serializers.SerializerMethodField()

    class Meta(StoreTicketSerializer.Meta):
        fields = [
            *StoreTicketSerializer.Meta.fields,
            "body",
            "after_sale_no",
            "resolution",
            "resolved_at",
            "closed_at",
            "rating_comment",
            "can_rate",
            "messages",
        ]

    @extend_schema_field(OpenApiTypes.STR)
    def get_after_sale_no(self, ticket) -> str | None:
        return ticket.after_sale.case_no if ticket.after_sale_id else None

    @extend_schema_field(StoreMessageSerializer(many=True))
    def get_messages(self, ticket) -> list:
        return StoreMessageSerializer(self.context.get("messages", []), many=True).data

    def get_can_rate(self, ticket) -> bool:
        return ticket.status == Ticket.Status.CLOSED and ticket.rating is None


class StoreReplyInput(serializers.Serializer):
    body = serializers.CharField(max_length=BODY_MAX)


class StoreRatingInput(serializers.Serializer):
    rating = serializers.IntegerField(min_value=1, max_value=5)
    comment = serializers.CharField(max_length=500, required=False, allow_blank=True)


# --- staff -----------------------------------------------------------------------------------


class MessageSerializer(serializers.ModelSerializer):
    staff = serializers.SerializerMethodField()

    class Meta:
        model = TicketMessage
        fields = ["id", "author_kind", "staff", "is_internal", "body", "created_at"]

    @extend_schema_field(OpenApiTypes.STR)
    def get_staff(self, message) -> str | None:
        return _name(message.staff) if message.staff_id else None


class TicketSerializer(serializers.ModelSerializer):
    member_id = serializers.IntegerField(read_only=True)
    member_phone = MaskedField(kind="phone", source="member.phone", allow_null=True)
    order_no = serializers.SerializerMethodField()
    after_sale_no = serializers.SerializerMethodField()
    region = serializers.SerializerMethodField()
    assignee = serializers.SerializerMethodField()
    assignee_id = serializers.IntegerField(read_only=True, allow_null=True)
    escalated = serializers.SerializerMethodField()

    class Meta:
        model = Ticket
        fields = [
            "ticket_no",
            "kind",
            "category",
            "source",
            "priority",
            "status",
            "subject",
            "member_id",
            "member_phone",
            "order_no",
            "after_sale_no",
            "region",
            "assignee",
            "assignee_id",
            "first_response_at",
            "resolved_at",
            "closed_at",
            "escalated",
            "rating",
            "created_at",
            "updated_at",
        ]

    @extend_schema_field(OpenApiTypes.STR)
    def get_order_no(self, ticket) -> str | None:
        return ticket.order.order_no if ticket.order_id else None

    @extend_schema_field(OpenApiTypes.STR)
    def get_after_sale_no(self, ticket) -> str | None:
        return ticket.after_sale.case_no if ticket.after_sale_id else None

    @extend_schema_field(OpenApiTypes.STR)
    def get_region(self, ticket) -> str | None:
        return ticket.region.code if ticket.region_id else None

    @extend_schema_field(OpenApiTypes.STR)
    def get_assignee(self, ticket) -> str | None:
        return _name(ticket.assignee) if ticket.assignee_id else None

    def get_escalated(self, ticket) -> bool:
        return ticket.escalated_at is not None or bool(getattr(ticket, "sla_escalated", False))


class TicketSlaClockSerializer(serializers.Serializer):
    kind = serializers.CharField()
    status = serializers.CharField()
    started_at = serializers.DateTimeField()
    due_at = serializers.DateTimeField()
    closed_at = serializers.DateTimeField(allow_null=True)
    escalated_at = serializers.DateTimeField(allow_null=True)


class TicketDetailSerializer(TicketSerializer):
    messages = serializers.SerializerMethodField()
    sla_clocks = serializers.SerializerMethodField()
    escalated_by = serializers.SerializerMethodField()

    class Meta(TicketSerializer.Meta):
        fields = [
            *TicketSerializer.Meta.fields,
            "body",
            "resolution",
            "close_reason",
            "reopened_count",
            "escalated_at",
            "escalated_by",
            "escalation_reason",
            "rating_comment",
            "rated_at",
            "sla_clocks",
            "messages",
        ]

    @extend_schema_field(MessageSerializer(many=True))
    def get_messages(self, ticket) -> list:
        return MessageSerializer(self.context.get("messages", []), many=True).data

    @extend_schema_field(TicketSlaClockSerializer(many=True))
    def get_sla_clocks(self, ticket) -> list:
        return TicketSlaClockSerializer(self.context.get("sla_clocks", []), many=True).data

    @extend_schema_field(OpenApiTypes.STR)
    def get_escalated_by(self, ticket) -> str | None:
        return _name(ticket.escalated_by) if ticket.escalated_by_id else None


class StaffCreateInput(serializers.Serializer):
    """Staff entry: the member by full phone number (``member_phone``) or id (``member``)."""

    member_phone = serializers.CharField(max_length=20, required=False, allow_blank=True)
    member = serializers.IntegerField(min_value=1, max_value=2**63 - 1, required=False)
    kind = serializers.ChoiceField(choices=Ticket.Kind.choices, default=Ticket.Kind.TICKET)
    category = serializers.ChoiceField(choices=Ticket.Category.choices)
    # the full list (one enum in the schema); the service refuses "storefront"
    source = serializers.ChoiceField(choices=Ticket.Source.choices, default=Ticket.Source.PHONE)
    priority = serializers.ChoiceField(
        choices=Ticket.Priority.choices, default=Ticket.Priority.NORMAL
    )
    subject = serializers.CharField(max_length=SUBJECT_MAX)
    body = serializers.CharField(max_length=BODY_MAX)
    order_no = serializers.CharField(max_length=NUMBER_MAX, required=False, allow_blank=True)
    after_sale_no = serializers.CharField(max_length=NUMBER_MAX, required=False, allow_blank=True)

    def validate(self, attrs):
        if not attrs.get("member_phone") and not attrs.get("member"):
            raise serializers.ValidationError(
                {"member_phone": [_("Give the member's phone number or id.")]}
            )
        return attrs


class AssignInput(serializers.Serializer):
    assignee = serializers.IntegerField(
        min_value=1, max_value=2**63 - 1, required=False, allow_null=True
    )


class ReplyInput(serializers.Serializer):
    body = serializers.CharField(max_length=BODY_MAX)
    internal = serializers.BooleanField(default=False)
    await_member = serializers.BooleanField(default=True)


class ResolveInput(serializers.Serializer):
    resolution = serializers.CharField(max_length=BODY_MAX)


class TicketReasonInput(serializers.Serializer):
    reason = serializers.CharField(max_length=300)


class TicketCloseInput(serializers.Serializer):
    reason = serializers.CharField(max_length=300, required=False, allow_blank=True)


class CategoryCountSerializer(serializers.Serializer):
    category = serializers.CharField()
    tickets = serializers.IntegerField()
    complaints = serializers.IntegerField()


class PeriodCountSerializer(serializers.Serializer):
    period = serializers.DateField()
    tickets = serializers.IntegerField()
    complaints = serializers.IntegerField()


class SlaFiguresSerializer(serializers.Serializer):
    met = serializers.IntegerField()
    breached = serializers.IntegerField()
    met_percent = serializers.FloatField(allow_null=True)


class AnalysisSerializer(serializers.Serializer):
    since = serializers.DateTimeField()
    until = serializers.DateTimeField()
    by_category = CategoryCountSerializer(many=True)
    by_period = PeriodCountSerializer(many=True)
    rated = serializers.IntegerField()
    average_rating = serializers.FloatField(allow_null=True)
    first_response = SlaFiguresSerializer()
    resolution = SlaFiguresSerializer()


class AnalysisInput(serializers.Serializer):
    days = serializers.IntegerField(min_value=1, max_value=366, default=30)
    period = serializers.ChoiceField(choices=["day", "week", "month"], default="week")
