"""客服工单: the customer-service queue.

The list shows the SLA state of each ticket and, above it, the complaint analysis of
the reader's own tickets (last 30 days: by classification, average satisfaction, SLA
met). The change page is read-only with the thread; every step is a button calling
``ops.tickets.services.tickets`` (the API's services). Staff with
``tickets.add_ticket`` enter a ticket for a member found by the full phone number (the
members' lookup hash). Members are always masked; the only phone search is the exact
number through the lookup hash.
"""

from __future__ import annotations

from contextvars import ContextVar

from django import forms
from django.contrib import admin
from django.contrib.admin import DateFieldListFilter, SimpleListFilter
from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef, Q
from django.utils import formats, timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from unfold.decorators import display
from unfold.enums import ActionVariant
from unfold.forms import BaseDialogForm

from mall.core.admin import ServiceModelAdmin, person_column, status_display, workflow_action
from mall.core.people import person_label, person_name

from .. import permissions as perms
from .. import selectors
from ..exceptions import TicketNotFound
from ..models import SUBJECT_MAX, Ticket
from ..services import tickets as services

_reader: ContextVar = ContextVar("ticket_reader", default=None)
S = Ticket.Status
STATUS_COLOURS = {
    S.OPEN: "warning",
    S.ASSIGNED: "info",
    S.IN_PROGRESS: "primary",
    S.WAITING_MEMBER: "info",
    S.RESOLVED: "success",
    S.CLOSED: "success",
}
PRIORITY_COLOURS = {
    Ticket.Priority.URGENT: "danger",
    Ticket.Priority.HIGH: "warning",
    Ticket.Priority.NORMAL: "info",
}


def ticket_rows(*, actor):
    """The queue: scoped tickets with their SLA state."""
    return selectors.ticket_list_with_sla(actor=actor)


def _when(value) -> str:
    if not value:
        return "—"
    return formats.date_format(timezone.localtime(value), "SHORT_DATETIME_FORMAT")


def _member_text(member) -> str:
    from members.member_360 import member_label

    return member_label(member) if member is not None else "—"


# --- list filters ----------------------------------------------------------------------------


class AssigneeFilter(SimpleListFilter):
    title = pgettext_lazy("ticket field", "assignee")
    parameter_name = "assigned"

    def lookups(self, request, model_admin):
        return [("mine", _("assigned to me")), ("none", _("not assigned"))]

    def queryset(self, request, queryset):
        if self.value() == "mine":
            return queryset.filter(assignee=request.user)
        if self.value() == "none":
            return queryset.filter(assignee__isnull=True)
        return queryset


class SlaFilter(SimpleListFilter):
    """``?sla=first_response_late`` (the workbench tile), ``breached``, ``escalated``."""

    title = _("SLA")
    parameter_name = "sla"

    def lookups(self, request, model_admin):
        return [
            ("first_response_late", _("first reply overdue")),
            ("breached", _("deadline missed")),
            ("escalated", _("escalated")),
        ]

    def queryset(self, request, queryset):
        value = self.value()
        if value == "first_response_late":
            late = selectors.tickets_first_response_late(actor=request.user)
            return queryset.filter(pk__in=late.values("pk"))
        if value == "breached":
            return queryset.filter(sla_breached=True)
        if value == "escalated":
            return queryset.filter(Q(escalated_at__isnull=False) | Q(sla_escalated=True))
        return queryset


class OpenFilter(SimpleListFilter):
    """``?state=open``: tickets not resolved or closed (the workbench tiles)."""

    title = pgettext_lazy("ticket filter", "progress")
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("open", _("not resolved yet"))]

    def queryset(self, request, queryset):
        if self.value() == "open":
            return queryset.filter(status__in=selectors.OPEN_STATUSES)
        return queryset


class TicketRegionFilter(admin.RelatedFieldListFilter):
    """Region: only the sales regions of tickets the reader may see (regions are
    reference data, so the kernel's scoped relation filter would list them all), and
    "(none)" only when the reader sees a ticket without a region."""

    def field_choices(self, field, request, model_admin):
        visible = selectors.ticket_list(actor=request.user).order_by()
        self._has_empty = visible.filter(region__isnull=True).exists()
        regions = field.related_model._default_manager.filter(
            Exists(visible.filter(region=OuterRef("pk")))
        )
        ordering = self.field_admin_ordering(field, request, model_admin)
        if ordering:
            regions = regions.order_by(*ordering)
        return [(region.pk, str(region)) for region in regions]

    @property
    def include_empty_choice(self):
        return getattr(self, "_has_empty", False)


class TicketMemberFilter(SimpleListFilter):
    """``?member=<id>``: one member's tickets (the link of the member 360° page); no
    choices of its own, shown only while applied; a malformed id matches nothing."""

    title = _("member")
    parameter_name = "member"

    def lookups(self, request, model_admin):
        value = self.value()
        if value is None:
            return []
        return [(value, _("member #%(id)s") % {"id": str(value)[:18]})]

    def queryset(self, request, queryset):
        value = self.value()
        if value is None:
            return queryset
        if not str(value).isdigit() or len(str(value)) > 18:
            return queryset.none()
        return queryset.filter(member_id=int(value))


# --- forms -------------------------------------------------------------------------------


class StaffEntryForm(forms.ModelForm):
    """A ticket entered by staff: the member is found by their full phone number."""

    member_phone = forms.CharField(
        label=_("member's phone number"),
        max_length=20,
        help_text=_("The full number the member registered with."),
    )
    order_no = forms.CharField(
        label=_("order number"),
        max_length=24,
        required=False,
        help_text=_("Optional: one of this member's orders."),
    )
    after_sale_no = forms.CharField(
        label=pgettext_lazy("ticket field", "after-sales number"),
        max_length=24,
        required=False,
        help_text=_("Optional: one of this member's after-sales cases."),
    )

    class Meta:
        model = Ticket
        fields = ["kind", "category", "source", "priority", "subject", "body"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["source"].choices = [
            choice
            for choice in Ticket.Source.choices
            if choice[0] in {str(s) for s in services.STAFF_SOURCES}
        ]
        self.fields["source"].initial = Ticket.Source.PHONE
        self.fields["subject"].max_length = SUBJECT_MAX


class AgentChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return person_label(obj)


class AssignForm(BaseDialogForm):
    assignee = AgentChoiceField(
        label=pgettext_lazy("ticket field", "assignee"), queryset=get_user_model().objects.none()
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Only the people this ticket can be given to (read now, not at import).
        try:
            ticket = selectors.ticket_get_by_pk(actor=self.request.user, pk=self.object_id)
        except TicketNotFound:
            return
        self.fields["assignee"].queryset = selectors.ticket_agents(
            actor=self.request.user, ticket=ticket
        )


class ReplyForm(BaseDialogForm):
    body = forms.CharField(
        label=pgettext_lazy("ticket message field", "message"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    internal = forms.BooleanField(
        label=_("internal note (the member does not see it)"), required=False
    )
    await_member = forms.BooleanField(
        label=_("wait for the member's answer"), required=False, initial=True
    )


class ResolveForm(BaseDialogForm):
    resolution = forms.CharField(
        label=pgettext_lazy("ticket field", "resolution"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Sent to the member as the answer."),
    )


class CloseForm(BaseDialogForm):
    reason = forms.CharField(
        label=pgettext_lazy("ticket field", "closing reason"),
        max_length=300,
        required=False,
        help_text=_("Required when the ticket was not resolved."),
    )


# --- the admin ----------------------------------------------------------------------------


@admin.register(Ticket)
class TicketAdmin(ServiceModelAdmin):
    list_selector = ticket_rows
    change_list_template = "admin/tickets/ticket/change_list.html"
    nav_group = "service"
    nav_order = 10
    nav_icon = "support_agent"
    search_fields = ["=ticket_no", "=order__order_no"]
    search_help_text = _(
        "Search by ticket or order number, or by the member's full phone number (exact)."
    )
    list_filter = [
        OpenFilter,
        "status",
        "kind",
        "category",
        "priority",
        "source",
        ("region", TicketRegionFilter),
        AssigneeFilter,
        SlaFilter,
        TicketMemberFilter,
        ("created_at", DateFieldListFilter),
    ]
    list_select_related = ["member", "region", "assignee"]
    list_display = [
        "ticket_no",
        "kind",
        "category",
        status_display("status", STATUS_COLOURS),
        status_display("priority", PRIORITY_COLOURS),
        "subject",
        "member_masked",
        "assignee_name",
        "sla_state",
        "rating_stars",
        "created_at",
    ]
    readonly_fields = [
        "ticket_no",
        "kind",
        "category",
        "source",
        "priority",
        "status",
        "subject",
        "body",
        "member_masked",
        "order_link",
        "after_sale_link",
        "region",
        "assignee_name",
        "entered_by",
        "sla_state",
        "first_response_at",
        "resolved_at",
        "closed_at",
        "close_reason",
        "reopened_count",
        "escalation",
        "rating_stars",
        "rating_comment",
        "created_at",
        "thread",
    ]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "ticket_no",
                    "kind",
                    "category",
                    "source",
                    "priority",
                    "status",
                    "member_masked",
                    "order_link",
                    "after_sale_link",
                    "region",
                    "assignee_name",
                    "entered_by",
                    "created_at",
                ]
            },
        ),
        (pgettext_lazy("ticket admin", "Request"), {"fields": ["subject", "body", "thread"]}),
        (
            pgettext_lazy("ticket admin", "Handling"),
            {
                "fields": [
                    "sla_state",
                    "first_response_at",
                    "resolved_at",
                    "closed_at",
                    "close_reason",
                    "reopened_count",
                    "escalation",
                    "rating_stars",
                    "rating_comment",
                ]
            },
        ),
    ]
    actions_detail = ["take", "assign", "reply", "resolve", "reopen", "close", "escalate"]

    assignee_name = person_column("assignee", pgettext_lazy("ticket field", "assignee"))

    def get_ordering(self, request):
        return ["-id"]

    def editable_in_state(self, obj) -> bool:
        return False  # read-only page; every step is a button

    def has_add_permission(self, request):
        return request.user.has_perm(perms.ADD_TICKET)

    def has_delete_permission(self, request, obj=None):
        return False

    # --- search: numbers exactly, a member only by the full phone (lookup hash) ---------

    def get_search_results(self, request, queryset, search_term):
        from members.selectors import member_get_by_phone

        term = (search_term or "").strip()
        if term.isdigit() and len(term) == 11:
            member = member_get_by_phone(actor=request.user, phone=term)
            return (queryset.filter(member=member) if member else queryset.none()), False
        return super().get_search_results(request, queryset, search_term)

    # --- staff entry ------------------------------------------------------------------------

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = StaffEntryForm
        return super().get_form(request, obj, **kwargs)

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return [
                (
                    None,
                    {
                        "fields": [
                            "member_phone",
                            "kind",
                            "category",
                            "source",
                            "priority",
                            "subject",
                            "body",
                            "order_no",
                            "after_sale_no",
                        ]
                    },
                )
            ]
        return super().get_fieldsets(request, obj)

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else self.readonly_fields

    def save_with_service(self, request, obj, form, change):
        from .. import lookups

        data = form.cleaned_data
        member = lookups.member_by_phone(request.user, data["member_phone"])
        order, after_sale = lookups.links(
            request.user, data.get("order_no"), data.get("after_sale_no")
        )
        return services.ticket_create(
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

    def change_view(self, request, object_id, form_url="", extra_context=None):
        token = _reader.set(request.user)
        try:
            response = super().change_view(request, object_id, form_url, extra_context)
            if hasattr(response, "render") and not getattr(response, "is_rendered", True):
                response.render()
            return response
        finally:
            _reader.reset(token)

    # --- the analysis above the list -----------------------------------------------------

    def changelist_view(self, request, extra_context=None):
        from ..analysis import analysis_rows

        extra_context = dict(extra_context or {})
        extra_context["ticket_analysis"] = analysis_rows(actor=request.user)
        return super().changelist_view(request, extra_context)

    # --- columns -----------------------------------------------------------------------------

    @admin.display(description=_("member"))
    def member_masked(self, ticket):
        return _member_text(ticket.member)

    @admin.display(description=_("order"))
    def order_link(self, ticket):
        return ticket.order.order_no if ticket.order_id else "—"

    @admin.display(description=pgettext_lazy("ticket field", "after-sales case"))
    def after_sale_link(self, ticket):
        return ticket.after_sale.case_no if ticket.after_sale_id else "—"

    @admin.display(description=pgettext_lazy("ticket field", "entered by"))
    def entered_by(self, ticket):
        if ticket.created_by_id is None:
            return ticket.get_source_display()
        return person_name(ticket.created_by)

    @admin.display(description=_("SLA state"))
    def sla_state(self, ticket):
        now = timezone.now()
        first = getattr(ticket, "first_response_due", None)
        resolution = getattr(ticket, "resolution_due", None)
        escalated = ticket.escalated_at is not None or getattr(ticket, "sla_escalated", False)
        parts = []
        if first is not None:
            parts.append(
                _("first reply overdue")
                if first < now
                else _("first reply due %(at)s") % {"at": _when(first)}
            )
        if resolution is not None:
            parts.append(
                _("resolution overdue")
                if resolution < now
                else _("resolution due %(at)s") % {"at": _when(resolution)}
            )
        if not parts:
            parts.append(
                _("deadline missed") if getattr(ticket, "sla_breached", False) else _("on time")
            )
        if escalated:
            parts.append(_("escalated"))
        return " · ".join(str(part) for part in parts)

    @admin.display(description=pgettext_lazy("ticket field", "satisfaction"), ordering="rating")
    def rating_stars(self, ticket):
        return "★" * ticket.rating + "☆" * (5 - ticket.rating) if ticket.rating else "—"

    @admin.display(description=_("escalation"))
    def escalation(self, ticket):
        if ticket.escalated_at is None:
            return "—"
        return format_html(
            "{} · {} · {}",
            _when(ticket.escalated_at),
            person_name(ticket.escalated_by) if ticket.escalated_by_id else "—",
            ticket.escalation_reason,
        )

    @display(description=_("conversation"))
    def thread(self, ticket):
        reader = _reader.get()
        rows = list(selectors.ticket_messages(actor=reader, ticket=ticket)[:200]) if reader else []
        if not rows:
            return "—"

        def author(message):
            if message.author_kind == "staff" and message.staff_id:
                return person_name(message.staff)
            return message.get_author_kind_display()

        return format_html_join(
            "",
            '<div class="mb-3"><div class="text-xs text-base-500">{} · {}{}</div>'
            '<div style="white-space: pre-wrap">{}</div></div>',
            (
                (
                    _when(message.created_at),
                    author(message),
                    format_html(" · <strong>{}</strong>", _("internal note"))
                    if message.is_internal
                    else "",
                    message.body,
                )
                for message in rows
            ),
        )

    # --- buttons -----------------------------------------------------------------------------

    @workflow_action(
        description=_("Assign to me"),
        permission=perms.CHANGE_TICKET,
        when=lambda ticket, user: (
            ticket.status not in (S.RESOLVED, S.CLOSED)
            and ticket.assignee_id is None  # a held ticket is handed over with "Assign"
        ),
        confirm=_("Handle this ticket yourself?"),
        success=_("The ticket is assigned to you."),
        icon="person_add",
    )
    def take(self, request, ticket):
        services.ticket_assign(actor=request.user, ticket=ticket)

    @workflow_action(
        description=_("Assign"),
        permission=perms.ASSIGN_TICKET,
        when=lambda ticket: ticket.status not in (S.RESOLVED, S.CLOSED),
        form_class=AssignForm,
        success=_("The ticket is assigned."),
        variant=ActionVariant.DEFAULT,
        icon="group",
    )
    def assign(self, request, ticket, *, assignee):
        services.ticket_assign(actor=request.user, ticket=ticket, assignee=assignee)

    @workflow_action(
        description=_("Reply"),
        permission=perms.CHANGE_TICKET,
        when=lambda ticket: ticket.status != S.CLOSED,
        form_class=ReplyForm,
        success=_("The message was added."),
        icon="reply",
    )
    def reply(self, request, ticket, *, body, internal=False, await_member=False):
        services.ticket_reply(
            actor=request.user,
            ticket=ticket,
            body=body,
            internal=bool(internal),
            await_member=bool(await_member),
        )

    @workflow_action(
        description=pgettext_lazy("ticket action", "Resolve"),
        permission=perms.CHANGE_TICKET,
        when=lambda ticket: ticket.status not in (S.RESOLVED, S.CLOSED),
        form_class=ResolveForm,
        success=_("The ticket is resolved."),
        icon="task_alt",
    )
    def resolve(self, request, ticket, *, resolution):
        services.ticket_resolve(actor=request.user, ticket=ticket, resolution=resolution)

    @workflow_action(
        description=_("Reopen"),
        permission=perms.CHANGE_TICKET,
        when=lambda ticket: ticket.status == S.RESOLVED,
        reason=True,
        success=_("The ticket is open again."),
        variant=ActionVariant.DEFAULT,
        icon="undo",
    )
    def reopen(self, request, ticket, *, reason):
        services.ticket_reopen(actor=request.user, ticket=ticket, reason=reason)

    @workflow_action(
        description=_("Close"),
        permission=perms.CHANGE_TICKET,
        when=lambda ticket: ticket.status != S.CLOSED,
        form_class=CloseForm,
        success=_("The ticket is closed."),
        variant=ActionVariant.DEFAULT,
        icon="check_circle",
    )
    def close(self, request, ticket, *, reason=""):
        services.ticket_close(actor=request.user, ticket=ticket, reason=reason or "")

    @workflow_action(
        description=_("Escalate"),
        permission=perms.ESCALATE_TICKET,
        when=lambda ticket: ticket.status != S.CLOSED and ticket.escalated_at is None,
        reason=True,
        confirm=_("Escalate this ticket to the supervisors?"),
        success=_("The ticket is escalated."),
        variant=ActionVariant.DANGER,
        icon="priority_high",
    )
    def escalate(self, request, ticket, *, reason):
        services.ticket_escalate(actor=request.user, ticket=ticket, reason=reason)
