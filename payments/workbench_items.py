"""Payments on the workbench (工作台): what finance and tech have waiting.

* 今日实收 — today's collected amount (local day) in the reader's scope;
* 待执行退款 — refunds not paid out yet (waiting, at the channel, failed);
* 回调失败 — callbacks rejected today (bad signature, unreadable);
* 支付异常 — open anomalies;
* 渠道健康 — degraded channels (red when any).

Every figure is read through ``payments.selectors`` (scoped by region; channel health
is mall-wide); each tile shows only to readers with the matching view permission.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from urllib.parse import urlencode

from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from ops.workbench import Tile, register

from . import permissions as perms
from . import selectors


def _money(value) -> str:
    return "¥" + formats.number_format(value or Decimal("0.00"), 2, force_grouping=True)


def _today_query(field: str) -> dict:
    start = timezone.make_aware(datetime.combine(timezone.localdate(), datetime.min.time()))
    return {f"{field}__gte": str(start), f"{field}__lt": str(start + timedelta(days=1))}


def _changelist(model: str, query: dict | None = None) -> str:
    url = reverse(f"admin:payments_{model}_changelist")
    return f"{url}?{urlencode(query)}" if query else url


def _may(permission: str):
    return lambda actor: actor.has_perm(permission)


register(
    Tile(
        key="payments.paid_today",
        title=_("Collected today"),
        hint=_("paid amount of today's payments in your scope"),
        icon="payments",
        count=lambda actor: _money(selectors.paid_today_amount(actor=actor)),
        link=lambda actor: _changelist("paymenttransaction", _today_query("paid_at")),
        visible=_may(perms.VIEW_TRANSACTION),
        order=40,
    )
)


def refunds_waiting_count(*, actor) -> int:
    return selectors.refunds_to_execute(actor=actor).count()


register(
    Tile(
        key="payments.refunds_to_execute",
        title=_("Refunds to execute"),
        hint=_("refunds waiting, at the channel or failed"),
        icon="currency_exchange",
        count=lambda actor: refunds_waiting_count(actor=actor),
        link=lambda actor: _changelist("refund"),
        visible=_may(perms.VIEW_REFUND),
        tone=lambda actor: (
            "danger"
            if selectors.refunds_to_execute(actor=actor).filter(status="failed").exists()
            else "warning"
            if refunds_waiting_count(actor=actor)
            else "success"
        ),
        order=41,
    )
)

register(
    Tile(
        key="payments.callbacks_rejected",
        title=_("Rejected callbacks"),
        hint=_("channel notifications refused today"),
        icon="webhook",
        count=lambda actor: selectors.callbacks_rejected_today(actor=actor).count(),
        link=lambda actor: _changelist(
            "callbackrecord", {"outcome__exact": "rejected", **_today_query("received_at")}
        ),
        visible=_may(perms.VIEW_CALLBACK),
        tone=lambda actor: (
            "danger" if selectors.callbacks_rejected_today(actor=actor).exists() else "success"
        ),
        order=42,
    )
)

register(
    Tile(
        key="payments.anomalies_open",
        title=_("Payment anomalies"),
        hint=_("open anomalies to look at"),
        icon="report",
        count=lambda actor: selectors.anomalies_open(actor=actor).count(),
        link=lambda actor: _changelist("paymentanomaly", {"status__exact": "open"}),
        visible=_may(perms.VIEW_ANOMALY),
        tone=lambda actor: (
            "danger" if selectors.anomalies_open(actor=actor).exists() else "success"
        ),
        order=43,
    )
)

register(
    Tile(
        key="payments.channels_degraded",
        title=_("Channel health"),
        hint=_("payment channels degraded now"),
        icon="monitor_heart",
        count=lambda actor: selectors.channels_degraded(actor=actor).count(),
        link=lambda actor: _changelist("channelhealth"),
        visible=_may(perms.VIEW_CHANNEL_HEALTH),
        tone=lambda actor: (
            "danger" if selectors.channels_degraded(actor=actor).exists() else "success"
        ),
        order=44,
    )
)
