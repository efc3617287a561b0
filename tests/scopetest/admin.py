"""Admin for the test-only app (registered only when the app is installed by tests)."""

from __future__ import annotations

from django.contrib import admin

from mall.core.admin import PiiAdminMixin, ScopedModelAdmin, workflow_action

from . import models, services


class _CloseMixin:
    actions = ["close_tickets"]

    @admin.action(description="Close selected tickets", permissions=["close"])
    def close_tickets(self, request, queryset):
        for ticket in queryset:
            self.run_service(request, services.ticket_close, actor=request.user, ticket=ticket)

    def has_close_permission(self, request):
        return request.user.has_perm("scopetest.close_ticket")


@admin.register(models.Ticket)
class TicketAdmin(_CloseMixin, PiiAdminMixin, ScopedModelAdmin):
    list_display = ["title", "region", "masked_phone", "masked_customer_name", "is_closed"]
    list_filter = ["region"]
    search_fields = ["title"]  # also makes it an autocomplete target
    pii_fields = {"phone": "phone", "customer_name": "name"}
    pii_permission = "scopetest.view_ticket_pii"
    actions_detail = ["close_button", "reopen_button"]

    def editable_in_state(self, obj) -> bool:
        return not obj.is_closed

    @workflow_action(
        description="Close",
        permission="scopetest.close_ticket",
        when=lambda ticket: not ticket.is_closed,
        confirm="Close this ticket?",
    )
    def close_button(self, request, ticket):
        services.ticket_close(actor=request.user, ticket=ticket)

    @workflow_action(
        description="Reopen",
        permission="scopetest.close_ticket",
        when=lambda ticket: ticket.is_closed,
        reason=True,
    )
    def reopen_button(self, request, ticket, reason):
        services.ticket_reopen(actor=request.user, ticket=ticket, reason=reason)


@admin.register(models.RegionOnlyTicket)
class RegionOnlyTicketAdmin(_CloseMixin, ScopedModelAdmin):
    list_display = ["title", "region", "is_closed"]


@admin.register(models.TicketNote)
class TicketNoteAdmin(ScopedModelAdmin):
    list_display = ["text", "ticket"]
    list_filter = ["ticket"]


@admin.register(models.Site)
class SiteAdmin(ScopedModelAdmin):
    list_display = ["code"]
