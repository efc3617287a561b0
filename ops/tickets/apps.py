from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TicketsConfig(AppConfig):
    """An edge app of ops (DESIGN.md §3): it may import any app; no app imports it."""

    name = "ops.tickets"
    label = "tickets"
    verbose_name = _("Customer service")

    def ready(self) -> None:
        from mall.core.scoping import declare_scope

        from . import (
            member_360,  # noqa: F401 - the member 360° section
            parameters,  # noqa: F401 - registers the parameters and SLA kinds
            workbench_items,  # noqa: F401 - customer service's tiles and chart
        )
        from .models import Ticket, TicketMessage
        from .services import transitions  # noqa: F401 - registers the status table

        # A ticket follows the sales region of its order (else its member's); "self"
        # scopes see the tickets assigned to them. Messages are read with their ticket.
        declare_scope(Ticket, region="region", owner="assignee")
        declare_scope(TicketMessage, region="ticket__region", owner="ticket__assignee")
