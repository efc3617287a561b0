"""Chinese labels of the codes customer service writes (collected by ``mall.core.labels``)."""

from django.utils.translation import gettext_lazy as _

ACTION_LABELS = {
    "tickets.create": _("Customer service ticket created"),
    "tickets.assign": _("Customer service ticket assigned"),
    "tickets.staff_reply": _("Customer service replied to a ticket"),
    "tickets.internal_note": _("Internal note added to a ticket"),
    "tickets.member_reply": _("Member replied to a ticket"),
    "tickets.resolve": _("Customer service ticket resolved"),
    "tickets.reopen": _("Customer service ticket reopened"),
    "tickets.close": _("Customer service ticket closed"),
    "tickets.auto_close": _("Resolved ticket closed automatically"),
    "tickets.escalate": _("Customer service ticket escalated"),
    "tickets.rate": _("Member rated a ticket"),
}

NOTIFICATION_KINDS = {
    "tickets.created": _("New customer service ticket"),
    "tickets.assigned": _("Ticket assigned to you"),
    "tickets.member_replied": _("Member replied to a ticket"),
    "tickets.escalated": _("Ticket escalated"),
    "tickets.low_rating": _("Low satisfaction rating"),
}

TASK_LABELS = {
    "tickets: close resolved tickets": _("Close resolved customer service tickets"),
    "tickets.auto_close": _("Close resolved customer service tickets"),
}
