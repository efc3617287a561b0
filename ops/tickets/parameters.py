"""System parameters of customer service (read with ``ops.parameters.get_parameter``)
and its two SLA kinds.

Both SLA kinds have the variant ``"complaint"``: a complaint's clocks are started with
``variant="complaint"`` and so run on the shorter complaint parameter
(docs/TICKETS.md "SLA clocks").
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from ops.parameters import INT, register_parameter
from ops.sla_kinds import register_sla_kind


def _int(key: str, default: int, description, *, minimum: int = 1, maximum: int = 720) -> str:
    register_parameter(
        key, kind=INT, default=default, minimum=minimum, maximum=maximum, description=description
    )
    return key


FIRST_RESPONSE_HOURS = _int(
    "sla.ticket_first_response_hours", 4, _("First reply to a customer service ticket (hours)")
)
COMPLAINT_FIRST_RESPONSE_HOURS = _int(
    "sla.complaint_first_response_hours", 2, _("First reply to a complaint (hours)")
)
RESOLUTION_HOURS = _int(
    "sla.ticket_resolution_hours", 48, _("Resolve a customer service ticket (hours)")
)
COMPLAINT_RESOLUTION_HOURS = _int(
    "sla.complaint_resolution_hours", 24, _("Resolve a complaint (hours)")
)
AUTO_CLOSE_DAYS = _int(
    "tickets.auto_close_days",
    7,
    _("Close a resolved ticket the member did not answer after (days)"),
    maximum=365,
)
CREATE_PER_HOUR = _int(
    "tickets.create_per_hour",
    10,
    _("Tickets one member may open per hour from the storefront"),
    maximum=1000,
)

FIRST_RESPONSE = "tickets.first_response"
RESOLUTION = "tickets.resolution"

register_sla_kind(
    FIRST_RESPONSE,
    label=_("First reply to a ticket"),
    parameter=FIRST_RESPONSE_HOURS,
    unit="hours",
    variants={"complaint": COMPLAINT_FIRST_RESPONSE_HOURS},
)
register_sla_kind(
    RESOLUTION,
    label=_("Ticket resolution"),
    parameter=RESOLUTION_HOURS,
    unit="hours",
    variants={"complaint": COMPLAINT_RESOLUTION_HOURS},
)
