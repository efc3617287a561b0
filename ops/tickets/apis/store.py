"""Storefront ticket endpoints (member bearer tokens; ../shared/API.md "Tickets").

==========================================================  ===============================
``GET|POST api/v1/store/tickets/`` (POST: Idempotency-Key)  own tickets / open a ticket
``GET api/v1/store/tickets/{ticket_no}/``                   one own ticket, public thread
``POST api/v1/store/tickets/{ticket_no}/messages/``         the member's reply
``POST api/v1/store/tickets/{ticket_no}/rating/``           1–5 stars once, after closing
==========================================================  ===============================

Another member's ticket is a 404 like a missing one. An ``order_no`` (or
``after_sale_no``) that is not the member's own is a 400 on that field, in the same
words whether it exists or not. Opening tickets is rate limited per member
(``tickets.create_per_hour``; 429).
"""

from __future__ import annotations

from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.views import APIView

from mall.core.idempotency import idempotent
from mall.core.pagination import DefaultCursorPagination
from mall.core.throttling import ClientIpScopedRateThrottle
from members.authentication import MemberTokenAuthentication
from members.permissions import IsMember
from ops.parameters import get_parameter

from .. import lookups, selectors
from ..parameters import CREATE_PER_HOUR
from ..serializers import (
    StoreRatingInput,
    StoreReplyInput,
    StoreTicketCreatedSerializer,
    StoreTicketCreateInput,
    StoreTicketDetailSerializer,
    StoreTicketSerializer,
)
from ..services import tickets as services

TAGS = ["storefront"]


class TicketCreateThrottle(ClientIpScopedRateThrottle):
    """``tickets.create_per_hour`` new tickets per member (only POST is counted)."""

    scope = "store_tickets"

    def allow_request(self, request, view) -> bool:
        if request.method != "POST":
            return True
        self.rate = f"{get_parameter(CREATE_PER_HOUR)}/hour"
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return SimpleRateThrottle.allow_request(self, request, view)

    def get_cache_key(self, request, view) -> str:
        user = getattr(request, "user", None)
        ident = f"member-{user.pk}" if user is not None and user.pk else self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}


class MemberView:
    authentication_classes = [MemberTokenAuthentication]
    permission_classes = [IsMember]


def _detail(request, ticket) -> dict:
    messages = list(selectors.ticket_messages(actor=request.user, ticket=ticket))
    return StoreTicketDetailSerializer(ticket, context={"messages": messages}).data


class TicketListCreateView(MemberView, GenericAPIView):
    serializer_class = StoreTicketSerializer
    pagination_class = DefaultCursorPagination
    throttle_classes = [TicketCreateThrottle]

    def get_queryset(self):
        return selectors.ticket_list(actor=self.request.user)

    @extend_schema(responses=StoreTicketSerializer(many=True), tags=TAGS)
    def get(self, request):
        """The member's own tickets, newest first (cursor paging)."""
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(StoreTicketSerializer(page, many=True).data)

    @extend_schema(
        request=StoreTicketCreateInput,
        responses={201: StoreTicketCreatedSerializer},
        tags=TAGS,
    )
    @idempotent
    def post(self, request):
        """Open a ticket (Idempotency-Key): ``category``, ``subject``, ``body``, optional
        ``order_no`` / ``after_sale_no`` of the member's own, ``kind`` ticket or complaint."""
        serializer = StoreTicketCreateInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        order, after_sale = lookups.links(
            request.user, data.get("order_no"), data.get("after_sale_no")
        )
        ticket = services.ticket_create(
            actor=request.user,
            member=request.user,
            kind=data["kind"],
            category=data["category"],
            subject=data["subject"],
            body=data["body"],
            order=order,
            after_sale=after_sale,
        )
        return Response(StoreTicketCreatedSerializer(ticket).data, status=status.HTTP_201_CREATED)


class TicketDetailView(MemberView, APIView):
    @extend_schema(responses=StoreTicketDetailSerializer, tags=TAGS)
    def get(self, request, ticket_no: str):
        """One of the member's own tickets with the public thread (no internal notes)."""
        ticket = selectors.ticket_get(actor=request.user, ticket_no=ticket_no)
        return Response(_detail(request, ticket))


class TicketMessageView(MemberView, APIView):
    @extend_schema(request=StoreReplyInput, responses={201: StoreTicketDetailSerializer}, tags=TAGS)
    def post(self, request, ticket_no: str):
        """Reply on an own ticket (``{"body"}``); a resolved ticket is reopened; 409 once
        closed."""
        serializer = StoreReplyInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        ticket = selectors.ticket_get(actor=request.user, ticket_no=ticket_no)
        services.ticket_member_reply(
            actor=request.user, ticket=ticket, body=serializer.validated_data["body"]
        )
        ticket = selectors.ticket_get(actor=request.user, ticket_no=ticket_no)
        return Response(_detail(request, ticket), status=status.HTTP_201_CREATED)


class TicketRatingView(MemberView, APIView):
    @extend_schema(request=StoreRatingInput, responses=StoreTicketDetailSerializer, tags=TAGS)
    def post(self, request, ticket_no: str):
        """Rate a closed own ticket once (``{"rating": 1-5, "comment"?}``); 409 before it
        is closed or when already rated."""
        serializer = StoreRatingInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        ticket = selectors.ticket_get(actor=request.user, ticket_no=ticket_no)
        ticket = services.ticket_rate(
            actor=request.user,
            ticket=ticket,
            rating=serializer.validated_data["rating"],
            comment=serializer.validated_data.get("comment", ""),
        )
        return Response(_detail(request, ticket))


urlpatterns = [
    path("api/v1/store/tickets/", TicketListCreateView.as_view(), name="store-tickets"),
    path("api/v1/store/tickets/<str:ticket_no>/", TicketDetailView.as_view(), name="store-ticket"),
    path(
        "api/v1/store/tickets/<str:ticket_no>/messages/",
        TicketMessageView.as_view(),
        name="store-ticket-messages",
    ),
    path(
        "api/v1/store/tickets/<str:ticket_no>/rating/",
        TicketRatingView.as_view(),
        name="store-ticket-rating",
    ),
]
