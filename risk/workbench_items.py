"""Risk control on the workbench (工作台): what risk officers have waiting (cases part).

* 待处理风控案件 — open cases in the reader's scope;
* 超时案件 — open cases whose ``risk.case`` clock is past due (red when any);
* 生效中的资金冻结 — active fund freezes;
* 今日拦截 — blocks at the real-time checks today (local day).

Every figure is read through ``risk.selectors`` (scoped by region); each tile shows
only to readers with the matching view permission.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import urlencode

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ops.workbench import Tile, register

from . import permissions as perms
from . import selectors
from .models import Decision, FundFreeze, RiskCase


def _changelist(model: str, query: dict | None = None) -> str:
    url = reverse(f"admin:risk_{model}_changelist")
    return f"{url}?{urlencode(query)}" if query else url


def _may(permission: str):
    return lambda actor: actor.has_perm(permission)


def _today_start() -> datetime:
    return timezone.make_aware(datetime.combine(timezone.localdate(), datetime.min.time()))


def cases_open(*, actor):
    return selectors.case_list(actor=actor).filter(status=RiskCase.Status.OPEN)


def cases_late(*, actor):
    from .admin.common import cases_breached

    return cases_breached(selectors.case_list(actor=actor))


def freezes_active(*, actor):
    return selectors.freeze_list(actor=actor).filter(status=FundFreeze.Status.ACTIVE)


def blocks_today(*, actor):
    return selectors.event_list(actor=actor).filter(
        decision=Decision.BLOCK, created_at__gte=_today_start()
    )


register(
    Tile(
        key="risk.cases_open",
        title=_("Open risk cases"),
        hint=_("risk cases waiting for a decision in your scope"),
        icon="gpp_maybe",
        count=lambda actor: cases_open(actor=actor).count(),
        link=lambda actor: _changelist("riskcase", {"status__exact": "open"}),
        visible=_may(perms.VIEW_CASE),
        tone=lambda actor: "warning" if cases_open(actor=actor).exists() else "success",
        order=60,
    )
)

register(
    Tile(
        key="risk.cases_late",
        title=_("Overdue risk cases"),
        hint=_("open cases past their deadline"),
        icon="alarm",
        count=lambda actor: cases_late(actor=actor).count(),
        link=lambda actor: _changelist("riskcase", {"sla": "overdue"}),
        visible=_may(perms.VIEW_CASE),
        tone=lambda actor: "danger" if cases_late(actor=actor).exists() else "success",
        order=61,
    )
)

register(
    Tile(
        key="risk.freezes_active",
        title=_("Active fund freezes"),
        hint=_("orders whose funds are frozen now"),
        icon="lock",
        count=lambda actor: freezes_active(actor=actor).count(),
        link=lambda actor: _changelist("fundfreeze", {"status__exact": "active"}),
        visible=_may(perms.VIEW_FREEZE),
        tone=lambda actor: "warning" if freezes_active(actor=actor).exists() else "info",
        order=62,
    )
)

register(
    Tile(
        key="risk.blocks_today",
        title=_("Blocked today"),
        hint=_("attempts stopped by the risk checks today"),
        icon="shield",
        count=lambda actor: blocks_today(actor=actor).count(),
        link=lambda actor: _changelist(
            "riskevent",
            {
                "decision__exact": "block",
                # the changelist's date filter (DateFieldListFilter) takes a range
                "created_at__gte": str(_today_start()),
                "created_at__lt": str(_today_start() + timedelta(days=1)),
            },
        ),
        visible=_may(perms.VIEW_EVENT),
        tone="info",
        order=63,
    )
)
