"""Ops' entries on the workbench (ops.workbench) and the sidebar's 工作台 link."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from mall.core.navigation import Link, register_link

from . import selectors
from .services.parameters import BUSINESS_PERMISSION, TECH_PERMISSION
from .workbench import Tile, register

register_link(
    Link(
        "workbench",
        pgettext_lazy("admin navigation", "Workbench"),
        "admin:index",
        icon="space_dashboard",
        order=0,
    )
)


register(
    Tile(
        key="ops.inbox",
        title=_("My notifications"),
        hint=_("unread notices about open work"),
        icon="notifications",
        count=lambda actor: selectors.notification_unread_count(actor=actor),
        link=lambda actor: (
            reverse("admin:ops_staffnotification_changelist") + "?read_at__isempty=1"
        ),
        order=10,
    )
)


# --- SLA clocks in the reader's scope -----------------------------------------------------


def _sla_counts(actor) -> dict:
    board = selectors.sla_board(actor=actor)
    return {
        "running": sum(row["running"] for row in board),
        "overdue": sum(row["overdue"] for row in board),
    }


def _may_view_sla(actor) -> bool:
    return actor.has_perm("ops.view_slaclock")


register(
    Tile(
        key="ops.sla_running",
        title=_("SLA clocks running"),
        hint=_("deadlines still open in your scope"),
        icon="timer",
        count=lambda actor: _sla_counts(actor)["running"],
        link=lambda actor: reverse("admin:ops_slaclock_changelist"),
        visible=_may_view_sla,
        order=40,
    )
)
register(
    Tile(
        key="ops.sla_overdue",
        title=_("SLA clocks overdue"),
        hint=_("breached or past due, still open"),
        icon="alarm",
        count=lambda actor: _sla_counts(actor)["overdue"],
        link=lambda actor: reverse("admin:ops_slaclock_changelist") + "?state=overdue",
        visible=_may_view_sla,
        tone=lambda actor: "danger" if _sla_counts(actor)["overdue"] else "success",
        order=41,
    )
)


# --- requests waiting for the reader's approval (never their own) -----------------------


def _may_approve_parameters(actor) -> bool:
    return actor.has_perm(BUSINESS_PERMISSION) or actor.has_perm(TECH_PERMISSION)


register(
    Tile(
        key="ops.parameter_changes_awaiting",
        title=_("Parameter changes to approve"),
        hint=_("change requests waiting for your approval"),
        icon="tune",
        count=lambda actor: selectors.parameter_change_requests_awaiting(actor=actor).count(),
        link=lambda actor: reverse("admin:ops_parameterchangerequest_changelist") + "?awaiting=me",
        visible=_may_approve_parameters,
        tone=lambda actor: (
            "warning"
            if selectors.parameter_change_requests_awaiting(actor=actor).exists()
            else "info"
        ),
        order=50,
    )
)


# rbac sits left of ops and cannot import this registry: its tile is registered here,
# reading rbac's own selector (the requests this reader may approve, never their own).
def _permission_requests_awaiting(actor):
    from rbac.selectors import permission_requests_awaiting

    return permission_requests_awaiting(actor=actor)


register(
    Tile(
        key="rbac.permission_requests_awaiting",
        title=_("Permission requests to approve"),
        hint=_("role requests waiting for your approval"),
        icon="how_to_reg",
        count=lambda actor: _permission_requests_awaiting(actor).count(),
        link=lambda actor: reverse("admin:rbac_permissionrequest_changelist") + "?awaiting=me",
        visible=lambda actor: (
            _permission_requests_awaiting(actor).exists()
            or actor.has_perm("rbac.approve_permission_request")
        ),
        order=51,
    )
)
