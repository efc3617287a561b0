"""Ops' entries on the workbench (ops.workbench) and the sidebar's 工作台 link."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from mall.core.navigation import Link, register_link

from . import selectors
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
