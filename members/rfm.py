"""RFM (recency, frequency, monetary) of members: the hook, parameters and labels.

The hook ``members.rfm_source`` (offered here; orders provides it from its
``AppConfig.ready``, members never imports orders):

``func(*, start: datetime, end: datetime) -> tuple[str, list]`` returns one SQL
``SELECT`` and its parameters yielding the rows
``(member_id, last_paid_at, order_count, monetary_amount)`` — column names exactly
these — over the orders that count as purchases paid in ``[start, end)``: one row per
member with at least one such order (which orders count is the provider's rule,
documented there and in docs/RFM.md). The SQL is used as a sub-query of one
set-based statement (``members.services.rfm``), so it must not end with ``;`` nor
carry ``ORDER BY``/``LIMIT``; its parameters are already adapted for the connection.

With no provider, nobody has orders: a run scores nobody.

:func:`rfm_ready` is called from ``MembersConfig.ready`` (the scopes of the RFM
models); the parameters and audit labels register on import.
"""

from __future__ import annotations

from datetime import datetime

from django.utils.translation import gettext_lazy as _

from mall.core.hooks import providers
from mall.core.labels import register_action_label
from ops.parameters import INT, register_parameter

RFM_SOURCE_HOOK = "members.rfm_source"

# Permissions (declared on the models): the results (member list columns and filters,
# 360° section, workbench charts), the marketing export, the runs.
VIEW_RFM = "members.view_memberrfm"
EXPORT_RFM = "members.export_rfm"
VIEW_RFM_RUN = "members.view_rfmrun"

WINDOW_DAYS = "members.rfm_window_days"
WIN_BACK_DROP_PERCENT = "members.rfm_win_back_drop_percent"
WIN_BACK_MIN_PREVIOUS = "members.rfm_win_back_min_previous"

register_parameter(
    WINDOW_DAYS,
    kind=INT,
    default=365,
    description=_("RFM window (days of paid orders scored each night)"),
    minimum=7,
    maximum=3650,
)
register_parameter(
    WIN_BACK_DROP_PERCENT,
    kind=INT,
    default=50,
    description=_(
        "RFM win-back: flag a member whose order count in the window is at most this "
        "percentage of the previous window's"
    ),
    minimum=0,
    maximum=100,
)
register_parameter(
    WIN_BACK_MIN_PREVIOUS,
    kind=INT,
    default=2,
    description=_("RFM win-back: orders the member needs in the previous window to be flagged"),
    minimum=1,
    maximum=10_000,
)

register_action_label("member.rfm_run", _("RFM segmentation computed"))


def rfm_source_sql(*, start: datetime, end: datetime) -> tuple[str, list] | None:
    """The provider's SQL and parameters for ``[start, end)``, or None without provider."""
    found = providers(RFM_SOURCE_HOOK)
    if not found:
        return None
    return found[-1](start=start, end=end)


def rfm_ready() -> None:
    """Declare the data scope of the RFM models (a result is the member's; a run is a
    system record shown only to who may see every member)."""
    from mall.core.scoping import declare_scope

    from .models import MemberRfm, RfmRun

    declare_scope(MemberRfm, region="member__region")
    declare_scope(RfmRun, unscoped=True)
