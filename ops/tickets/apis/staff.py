"""Staff API of customer service under ``/api/v1/tickets/`` (docs/API.md "Tickets").

* ``GET tickets/`` — tickets in the caller's scope (filters: ``ops/tickets/filters.py``);
  ``POST tickets/`` — staff entry for a member (``{"member_phone" | "member", "category",
  "subject", "body", "kind"?, "source"?, "priority"?, "order_no"?, "after_sale_no"?}``);
* ``GET tickets/{ticket_no}/`` — with the whole thread (internal notes too) and the SLA
  clocks;
* actions ``assign/`` ``{"assignee"?}`` (default: me), ``reply/`` ``{"body", "internal"?,
  "await_member"?}``, ``resolve/`` ``{"resolution"}``, ``reopen/`` ``{"reason"}``,
  ``close/`` ``{"reason"?}``, ``escalate/`` ``{"reason"}``;
* ``GET tickets/analysis/?days=30&period=week`` — counts by classification and period,
  average satisfaction, SLA met (the caller's tickets only).

Every call: staff token or session, the function permission (403 when missing), then the
data scope — a ticket outside it, a malformed number and a missing one answer the same
404 ``not_found``. Every action calls one service, which checks permission and state
again (an illegal step is 409 ``invalid_transition`` / ``ticket_state_conflict``, with
nothing written).
"""

from __future__ import annotations

from dataclasses import asdict

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.urls import include, path
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from mall.core.api import ScopedViewSet

from .. import lookups, selectors
from .. import permissions as perms
from ..exceptions import TicketInvalid, TicketNotFound
from ..filters import TicketFilter
from ..models import Ticket
from ..parameters import FIRST_RESPONSE, RESOLUTION
from ..serializers import (
    AnalysisInput,
    AnalysisSerializer,
    AssignInput,
    ReplyInput,
    ResolveInput,
    StaffCreateInput,
    TicketCloseInput,
    TicketDetailSerializer,
    TicketReasonInput,
    TicketSerializer,
)
from ..services import tickets as services

TAGS = ["tickets"]
NUMBER_REGEX = r"[A-Za-z0-9-]{1,24}"


def staff_ticket_list(*, actor):
    """The staff list: scoped tickets with their SLA state annotated."""
    return selectors.ticket_list_with_sla(actor=actor)


@extend_schema_view(
    list=extend_schema(tags=TAGS, responses=TicketSerializer(many=True)),
    retrieve=extend_schema(tags=TAGS, responses=TicketDetailSerializer),
)
class TicketViewSet(ScopedViewSet):
    """Customer-service tickets in the caller's scope; the member's phone masked unless
    the caller holds ``members.view_member_pii`` (each reveal audited)."""

    serializer_class = TicketSerializer
    list_selector = staff_ticket_list
    filterset_class = TicketFilter
    lookup_field = "ticket_no"
    lookup_value_regex = NUMBER_REGEX
    required_permissions = {
        "list": [perms.VIEW_TICKET],
        "retrieve": [perms.VIEW_TICKET],
        "create": [perms.VIEW_TICKET, perms.ADD_TICKET],
        "assign": [perms.VIEW_TICKET, perms.CHANGE_TICKET],
        "reply": [perms.VIEW_TICKET, perms.CHANGE_TICKET],
        "resolve": [perms.VIEW_TICKET, perms.CHANGE_TICKET],
        "reopen": [perms.VIEW_TICKET, perms.CHANGE_TICKET],
        "close": [perms.VIEW_TICKET, perms.CHANGE_TICKET],
        "escalate": [perms.VIEW_TICKET, perms.ESCALATE_TICKET],
        "analysis": [perms.VIEW_TICKET],
    }

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no database
            return Ticket.objects.none()
        return super().get_queryset()

    def get_object(self):
        ticket = selectors.ticket_get(
            actor=self.request.user, ticket_no=self.kwargs.get(self.lookup_field)
        )
        self.check_object_permissions(self.request, ticket)
        return ticket

    def get_row(self, pk):
        if pk is None:
            raise TicketNotFound()
        return selectors.ticket_get_by_pk(actor=self.request.user, pk=pk)

    def get_serializer_class(self):
        if getattr(self, "action", None) == "list":
            return TicketSerializer
        return TicketDetailSerializer

    def get_serializer_context(self):
        context = super().get_serializer_context()
        ticket = getattr(self, "_detail_ticket", None)
        if ticket is not None:
            from ops.models import SlaClock

            context["messages"] = list(
                selectors.ticket_messages(actor=self.request.user, ticket=ticket)
            )
            context["sla_clocks"] = list(
                SlaClock.objects.filter(
                    subject_type=ContentType.objects.get_for_model(Ticket),
                    subject_id=str(ticket.pk),
                    kind__in=[FIRST_RESPONSE, RESOLUTION],
                ).order_by("id")
            )
        return context

    def _answer(self, ticket, code: int = 200) -> Response:
        fresh = selectors.ticket_list(actor=self.request.user).filter(pk=ticket.pk).first()
        self._detail_ticket = fresh or ticket
        data = TicketDetailSerializer(self._detail_ticket, context=self.get_serializer_context())
        return Response(data.data, status=code)

    def retrieve(self, request, *args, **kwargs):
        return self._answer(self.get_object())

    @extend_schema(request=StaffCreateInput, responses={201: TicketDetailSerializer}, tags=TAGS)
    def create(self, request, *args, **kwargs):
        """Enter a ticket for a member in your scope (phone call, chat, e-mail)."""
        data = self.validated(StaffCreateInput)
        if data.get("member_phone"):
            member = lookups.member_by_phone(request.user, data["member_phone"])
        else:
            member = lookups.member_by_id(request.user, data["member"])
        order, after_sale = lookups.links(
            request.user, data.get("order_no"), data.get("after_sale_no")
        )
        ticket = services.ticket_create(
            actor=request.user,
            member=member,
            kind=data["kind"],
            category=data["category"],
            source=data["source"],
            priority=data["priority"],
            subject=data["subject"],
            body=data["body"],
            order=order,
            after_sale=after_sale,
        )
        return self._answer(ticket, code=201)

    @extend_schema(request=AssignInput, responses=TicketDetailSerializer, tags=TAGS)
    @action(detail=True, methods=["post"])
    def assign(self, request, ticket_no=None):
        """Assign the ticket (``{"assignee": <staff id>}``; without it: to yourself —
        409 ``ticket_held_by_other`` when another agent holds it and you may not assign)."""
        data = self.validated(AssignInput)
        ticket = self.get_object()
        assignee = None
        if data.get("assignee"):
            assignee = get_user_model().objects.filter(pk=data["assignee"], is_active=True).first()
            if assignee is None:
                raise TicketInvalid(
                    fields={"assignee": [_("This person cannot handle this ticket.")]}
                )
        ticket = services.ticket_assign(actor=request.user, ticket=ticket, assignee=assignee)
        return self._answer(ticket)

    @extend_schema(request=ReplyInput, responses=TicketDetailSerializer, tags=TAGS)
    @action(detail=True, methods=["post"])
    def reply(self, request, ticket_no=None):
        """Reply to the member, or add an internal note (``"internal": true``)."""
        data = self.validated(ReplyInput)
        ticket = self.get_object()
        services.ticket_reply(
            actor=request.user,
            ticket=ticket,
            body=data["body"],
            internal=data["internal"],
            await_member=data["await_member"],
        )
        return self._answer(ticket)

    @extend_schema(request=ResolveInput, responses=TicketDetailSerializer, tags=TAGS)
    @action(detail=True, methods=["post"])
    def resolve(self, request, ticket_no=None):
        """Resolve with the answer sent to the member (409 once resolved or closed)."""
        data = self.validated(ResolveInput)
        ticket = services.ticket_resolve(
            actor=request.user, ticket=self.get_object(), resolution=data["resolution"]
        )
        return self._answer(ticket)

    @extend_schema(request=TicketReasonInput, responses=TicketDetailSerializer, tags=TAGS)
    @action(detail=True, methods=["post"])
    def reopen(self, request, ticket_no=None):
        """Reopen a resolved ticket (409 otherwise)."""
        data = self.validated(TicketReasonInput)
        ticket = services.ticket_reopen(
            actor=request.user, ticket=self.get_object(), reason=data["reason"]
        )
        return self._answer(ticket)

    @extend_schema(request=TicketCloseInput, responses=TicketDetailSerializer, tags=TAGS)
    @action(detail=True, methods=["post"])
    def close(self, request, ticket_no=None):
        """Close the ticket (a reason is required unless it was resolved); 409 once closed."""
        data = self.validated(TicketCloseInput)
        ticket = services.ticket_close(
            actor=request.user, ticket=self.get_object(), reason=data.get("reason", "")
        )
        return self._answer(ticket)

    @extend_schema(request=TicketReasonInput, responses=TicketDetailSerializer, tags=TAGS)
    @action(detail=True, methods=["post"])
    def escalate(self, request, ticket_no=None):
        """Escalate to the supervisors with a reason (once; 409 after)."""
        data = self.validated(TicketReasonInput)
        ticket = services.ticket_escalate(
            actor=request.user, ticket=self.get_object(), reason=data["reason"]
        )
        return self._answer(ticket)

    @extend_schema(parameters=[AnalysisInput], responses=AnalysisSerializer, tags=TAGS)
    @action(detail=False, methods=["get"], pagination_class=None, filterset_class=None)
    def analysis(self, request):
        """Complaint analysis of your tickets: by classification and period, average
        satisfaction, SLA met (``?days=1-366&period=day|week|month``)."""
        data = self.validated(AnalysisInput, data=request.query_params)
        found = selectors.ticket_analysis(
            actor=request.user, days=data["days"], period=data["period"]
        )
        body = asdict(found)
        sla = body.pop("sla")
        body["first_response"] = sla[FIRST_RESPONSE]
        body["resolution"] = sla[RESOLUTION]
        return Response(AnalysisSerializer(body).data)


router = SimpleRouter()
router.register("tickets", TicketViewSet, basename="ticket")

urlpatterns = [path("api/v1/", include(router.urls))]
