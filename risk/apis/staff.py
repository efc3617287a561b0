"""Staff API of risk control under ``/api/v1/risk/`` (docs/API.md "Risk").

* ``cases/`` — list (``?status=&kind=&point=&region=&rule=&order_no=&member=
  &created_after=&created_before=``), ``POST`` (report by hand: ``{"summary",
  "order_no"? , "member"?}``), detail ``{case_no}/`` with evidence, notes and freezes,
  and the actions ``confirm/`` ``{"reason", "mark_level"?, "mark_days"?, "blacklist"?}``,
  ``dismiss/`` ``{"reason"}``, ``take/``, ``notes/`` ``{"note"}``, ``close-orders/``
  ``{"reason"}``;
* ``freezes/`` — list (``?status=&region=&order_no=&case_no=``), ``POST`` ``{"order_no",
  "reason", "case_no"?}``, detail ``{freeze_no}/``, ``{freeze_no}/release/``
  ``{"reason"}``;
* ``marks/`` and ``blacklist/`` — list, ``POST``, detail, ``{id}/revoke/`` ``{"reason"}``;
* ``events/`` — list and detail (read only).

Every call: staff token or session, the function permission (403 when missing), then
the data scope — cases, events and freezes by sales region (risk officers see all, a
regional ops user their region's, a case without a region only with scope "all"). A row
outside the scope, a malformed number and a missing row answer the same 404
``not_found``; so does an order, case or member named in a body. Every action calls one
service in ``risk.services``, which checks the permission, the scope and the state again
(decided twice → 409 ``invalid_state``).
"""

from __future__ import annotations

from django.urls import include, path
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from mall.core.api import ScopedViewSet

from .. import permissions as perms
from .. import selectors
from ..exceptions import CaseNotFound, FreezeNotFound
from ..filters import BlacklistFilter, CaseFilter, EventFilter, FreezeFilter, MarkFilter
from ..serializers import (
    BlacklistCreateInput,
    BlacklistSerializer,
    CaseCloseOrdersInput,
    CaseConfirmInput,
    CaseDetailSerializer,
    CaseNoteInput,
    CaseReasonInput,
    CaseReportInput,
    CaseSerializer,
    CloseOrdersResultSerializer,
    EventSerializer,
    FreezeCreateInput,
    FreezeReleaseInput,
    FreezeSerializer,
    MarkCreateInput,
    MarkSerializer,
    RevokeInput,
)
from ..services import decisions, freezes, lists

TAGS = ["risk"]
NUMBER_REGEX = r"[A-Za-z0-9-]{1,24}"


def _order(actor, order_no: str):
    """The order ``order_no`` in the actor's scope (``OrderNotFound``: 404 otherwise)."""
    from orders.selectors import order_get

    return order_get(actor=actor, order_no=order_no)


def _member(actor, pk):
    from members.selectors import member_get

    return member_get(actor=actor, pk=pk)


def _case_or_none(actor, case_no: str | None):
    if not case_no:
        return None
    return selectors.case_get(actor=actor, case_no=case_no)


# --- cases ----------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(tags=TAGS, responses=CaseSerializer(many=True)),
    retrieve=extend_schema(tags=TAGS, responses=CaseDetailSerializer),
)
class CaseViewSet(ScopedViewSet):
    """Risk cases in the caller's scope; the member's phone masked without
    ``risk.view_risk_evidence_pii`` (each reveal audited)."""

    serializer_class = CaseSerializer
    list_selector = selectors.case_list
    get_selector = selectors.case_get_by_pk
    filterset_class = CaseFilter
    lookup_field = "case_no"
    lookup_value_regex = NUMBER_REGEX
    pii_permission = perms.VIEW_EVIDENCE_PII
    required_permissions = {
        "list": [perms.VIEW_CASE],
        "retrieve": [perms.VIEW_CASE],
        "create": [perms.VIEW_CASE, perms.ADD_CASE],
        "confirm": [perms.VIEW_CASE, perms.DECIDE_CASE],
        "dismiss": [perms.VIEW_CASE, perms.DECIDE_CASE],
        "take": [perms.VIEW_CASE, perms.CHANGE_CASE],
        "notes": [perms.VIEW_CASE, perms.CHANGE_CASE],
        "close_orders": [perms.VIEW_CASE, perms.CLOSE_ORDER],
    }

    def get_object(self):
        case = selectors.case_get(
            actor=self.request.user, case_no=self.kwargs.get(self.lookup_field)
        )
        self.check_object_permissions(self.request, case)
        return case

    def get_row(self, pk):
        if pk is None:
            raise CaseNotFound()
        return selectors.case_get_by_pk(actor=self.request.user, pk=pk)

    def get_serializer_class(self):
        if getattr(self, "action", None) == "list":
            return CaseSerializer
        return CaseDetailSerializer

    @extend_schema(request=CaseReportInput, responses={201: CaseDetailSerializer}, tags=TAGS)
    def create(self, request, *args, **kwargs):
        """Report a case by hand about an order or a member in your scope
        (``{"summary", "order_no"?, "member"?}``; one of the two is required)."""
        data = self.validated(CaseReportInput)
        order = _order(request.user, data["order_no"]) if data.get("order_no") else None
        member = _member(request.user, data["member"]) if data.get("member") else None
        case = decisions.case_report(
            actor=request.user, summary=data["summary"], member=member, order=order
        )
        return self.respond(case, code=201)

    @extend_schema(request=CaseConfirmInput, responses=CaseDetailSerializer, tags=TAGS)
    @action(detail=True, methods=["post"])
    def confirm(self, request, case_no=None):
        """Confirm the finding (``{"reason"}``); optionally mark the member
        (``mark_level`` ``watch``/``high`` for ``mark_days`` or for good) and blacklist
        what the evidence names (``blacklist: true``). 409 once decided."""
        data = self.validated(CaseConfirmInput)
        case = decisions.case_confirm(
            actor=request.user,
            case=self.get_object(),
            reason=data["reason"],
            mark_level=data.get("mark_level") or None,
            mark_days=data.get("mark_days"),
            blacklist=data.get("blacklist", False),
        )
        return self.respond(case)

    @extend_schema(request=CaseReasonInput, responses=CaseDetailSerializer, tags=TAGS)
    @action(detail=True, methods=["post"])
    def dismiss(self, request, case_no=None):
        """Dismiss a false alarm (``{"reason"}``); a brushing ring's orders count in the
        reports again. 409 once decided."""
        data = self.validated(CaseReasonInput)
        case = decisions.case_dismiss(
            actor=request.user, case=self.get_object(), reason=data["reason"]
        )
        return self.respond(case)

    @extend_schema(request=None, responses=CaseDetailSerializer, tags=TAGS)
    @action(detail=True, methods=["post"])
    def take(self, request, case_no=None):
        """Become the handler of an open case (409 once decided)."""
        return self.respond(decisions.case_take(actor=request.user, case=self.get_object()))

    @extend_schema(request=CaseNoteInput, responses=CaseDetailSerializer, tags=TAGS)
    @action(detail=True, methods=["post"])
    def notes(self, request, case_no=None):
        """Add a dated note (``{"note"}``), decided cases too."""
        data = self.validated(CaseNoteInput)
        case = decisions.case_note(actor=request.user, case=self.get_object(), note=data["note"])
        return self.respond(case)

    @extend_schema(request=CaseCloseOrdersInput, responses=CloseOrdersResultSerializer, tags=TAGS)
    @action(detail=True, methods=["post"], url_path="close-orders")
    def close_orders(self, request, case_no=None):
        """Close the case's orders that have not shipped (``{"reason"}``): stock back,
        refunds per the rules. Answers ``{"case", "closed": [order numbers]}``; orders
        shipped, finished or outside your scope are left as they are."""
        data = self.validated(CaseCloseOrdersInput)
        case = self.get_object()
        closed = decisions.case_close_orders(actor=request.user, case=case, reason=data["reason"])
        body = {
            "case": CaseSerializer(case, context=self.get_serializer_context()).data,
            "closed": closed,
        }
        return Response(body)


# --- fund freezes -----------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(tags=TAGS, responses=FreezeSerializer(many=True)),
    retrieve=extend_schema(tags=TAGS, responses=FreezeSerializer),
)
class FreezeViewSet(ScopedViewSet):
    """Fund freezes in the caller's scope (one per frozen order, whichever screen froze it)."""

    serializer_class = FreezeSerializer
    list_selector = selectors.freeze_list
    filterset_class = FreezeFilter
    lookup_field = "freeze_no"
    lookup_value_regex = NUMBER_REGEX
    required_permissions = {
        "list": [perms.VIEW_FREEZE],
        "retrieve": [perms.VIEW_FREEZE],
        "create": [perms.VIEW_FREEZE, perms.ADD_FREEZE, "orders.freeze_order"],
        "release": [perms.VIEW_FREEZE, perms.RELEASE_FREEZE],
    }

    def get_object(self):
        freeze = selectors.freeze_get(
            actor=self.request.user, freeze_no=self.kwargs.get(self.lookup_field)
        )
        self.check_object_permissions(self.request, freeze)
        return freeze

    def get_row(self, pk):
        row = self.get_queryset().filter(pk=pk).first() if pk else None
        if row is None:
            raise FreezeNotFound()
        return row

    @extend_schema(request=FreezeCreateInput, responses={201: FreezeSerializer}, tags=TAGS)
    def create(self, request, *args, **kwargs):
        """Freeze an order's funds (``{"order_no", "reason", "case_no"?}``): no approval,
        shipping, receipt or refund until released (409 ``order_frozen`` from orders).
        409 when already frozen or finished."""
        data = self.validated(FreezeCreateInput)
        order = _order(request.user, data["order_no"])
        case = _case_or_none(request.user, data.get("case_no"))
        freeze = freezes.freeze_create(
            actor=request.user, order=order, reason=data["reason"], case=case
        )
        return self.respond(freeze, code=201)

    @extend_schema(request=FreezeReleaseInput, responses=FreezeSerializer, tags=TAGS)
    @action(detail=True, methods=["post"])
    def release(self, request, freeze_no=None):
        """Release an active freeze (``{"reason"}``): the order moves again. 409 once
        released."""
        data = self.validated(FreezeReleaseInput)
        freeze = freezes.freeze_release(
            actor=request.user, freeze=self.get_object(), reason=data["reason"]
        )
        return self.respond(freeze)


# --- marks and blacklist ----------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(tags=TAGS, responses=MarkSerializer(many=True)),
    retrieve=extend_schema(tags=TAGS, responses=MarkSerializer),
)
class MarkViewSet(ScopedViewSet):
    """Account risk marks (mall-wide; function permission only)."""

    serializer_class = MarkSerializer
    list_selector = selectors.mark_list
    get_selector = selectors.mark_get
    filterset_class = MarkFilter
    required_permissions = {
        "list": [perms.VIEW_MARK],
        "retrieve": [perms.VIEW_MARK],
        "create": [perms.VIEW_MARK, perms.ADD_MARK],
        "revoke": [perms.VIEW_MARK, perms.CHANGE_MARK],
    }

    @extend_schema(request=MarkCreateInput, responses={201: MarkSerializer}, tags=TAGS)
    def create(self, request, *args, **kwargs):
        """Mark a member (``{"member", "level": "watch"|"high", "reason", "days"?,
        "case_no"?}``; without ``days`` until revoked). A live ``high`` mark sends the
        member's placements and order reviews to review."""
        data = self.validated(MarkCreateInput)
        member = _member(request.user, data["member"])
        case = _case_or_none(request.user, data.get("case_no"))
        mark = lists.mark_add(
            actor=request.user,
            member=member,
            level=data["level"],
            reason=data["reason"],
            days=data.get("days"),
            case=case,
        )
        return self.respond(mark, code=201)

    @extend_schema(request=RevokeInput, responses=MarkSerializer, tags=TAGS)
    @action(detail=True, methods=["post"])
    def revoke(self, request, pk=None):
        """Revoke the mark (``{"reason"}``); 409 once revoked."""
        data = self.validated(RevokeInput)
        mark = lists.mark_revoke(actor=request.user, mark=self.get_object(), reason=data["reason"])
        return self.respond(mark)


@extend_schema_view(
    list=extend_schema(tags=TAGS, responses=BlacklistSerializer(many=True)),
    retrieve=extend_schema(tags=TAGS, responses=BlacklistSerializer),
)
class BlacklistViewSet(ScopedViewSet):
    """The blacklist (mall-wide; function permission only), by masked label."""

    serializer_class = BlacklistSerializer
    list_selector = selectors.blacklist_list
    get_selector = selectors.blacklist_get
    filterset_class = BlacklistFilter
    required_permissions = {
        "list": [perms.VIEW_BLACKLIST],
        "retrieve": [perms.VIEW_BLACKLIST],
        "create": [perms.VIEW_BLACKLIST, perms.ADD_BLACKLIST],
        "revoke": [perms.VIEW_BLACKLIST, perms.CHANGE_BLACKLIST],
    }

    @extend_schema(request=BlacklistCreateInput, responses={201: BlacklistSerializer}, tags=TAGS)
    def create(self, request, *args, **kwargs):
        """Blacklist a member (``{"kind": "member", "member"}``) or a device, IP, phone or
        address (``{"kind", "value"}``; an address as ``province|city|district|detail``),
        with ``reason``, ``days``? and ``case_no``?. Phones and addresses are stored
        as lookup hashes only. 409 when the value already has a live entry."""
        data = self.validated(BlacklistCreateInput)
        member = _member(request.user, data["member"]) if data.get("member") else None
        case = _case_or_none(request.user, data.get("case_no"))
        entry = lists.blacklist_add(
            actor=request.user,
            kind=data["kind"],
            value=data.get("value") or "",
            member=member,
            reason=data["reason"],
            days=data.get("days"),
            case=case,
        )
        return self.respond(entry, code=201)

    @extend_schema(request=RevokeInput, responses=BlacklistSerializer, tags=TAGS)
    @action(detail=True, methods=["post"])
    def revoke(self, request, pk=None):
        """Take the entry off the blacklist (``{"reason"}``); 409 once revoked."""
        data = self.validated(RevokeInput)
        entry = lists.blacklist_revoke(
            actor=request.user, entry=self.get_object(), reason=data["reason"]
        )
        return self.respond(entry)


# --- events -----------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(tags=TAGS, responses=EventSerializer(many=True)),
    retrieve=extend_schema(tags=TAGS, responses=EventSerializer),
)
class EventViewSet(ScopedViewSet):
    """What risk control blocked or sent to review, newest first (read only)."""

    serializer_class = EventSerializer
    list_selector = selectors.event_list
    filterset_class = EventFilter
    required_permissions = {
        "list": [perms.VIEW_EVENT],
        "retrieve": [perms.VIEW_EVENT],
    }


router = SimpleRouter()
router.register("risk/cases", CaseViewSet, basename="risk-case")
router.register("risk/freezes", FreezeViewSet, basename="risk-freeze")
router.register("risk/marks", MarkViewSet, basename="risk-mark")
router.register("risk/blacklist", BlacklistViewSet, basename="risk-blacklist")
router.register("risk/events", EventViewSet, basename="risk-event")

urlpatterns = [path("api/v1/", include(router.urls))]
