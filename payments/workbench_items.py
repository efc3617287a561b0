"""Payments on the workbench (工作台): what finance and tech have waiting.

* 今日实收 — today's collected amount (local day) in the reader's scope;
* 待执行退款 — refunds not paid out yet (waiting, at the channel, failed);
* 回调失败 — callbacks rejected today (bad signature, unreadable);
* 支付异常 — open anomalies;
* 渠道健康 — degraded channels (red when any);
* 昨日对账 — open discrepancies of yesterday's bills (red when a run failed), and a panel
  with each channel's run: done / running / failed, open items, amount at stake;
* 待审批调账 — adjustments waiting for approval, not counting the reader's own.

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

from ops.workbench import Panel, PanelRow, Tile, register

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


# --- reconciliation (对账) ------------------------------------------------------------


def _yesterday():
    return timezone.localdate() - timedelta(days=1)


def _yesterday_runs(actor) -> list:
    """The live run of each channel for yesterday's bill (the newest, not superseded)."""
    runs = {}
    for run in selectors.reconciliation_list(actor=actor).filter(
        bill_date=_yesterday(), kind="payment_bill", superseded_by__isnull=True
    ):
        runs.setdefault(run.channel, run)  # newest first
    return list(runs.values())


def _yesterday_open(actor):
    from django.db.models import Count, Sum

    return (
        selectors.discrepancy_list(actor=actor)
        .filter(
            status="open",
            reconciliation__bill_date=_yesterday(),
            reconciliation__superseded_by__isnull=True,
        )
        .order_by()
        .aggregate(count=Count("id"), amount=Sum("difference_amount"))
    )


def reconciliation_yesterday_tone(*, actor) -> str:
    runs = _yesterday_runs(actor)
    if any(run.status == "failed" for run in runs):
        return "danger"
    if any(run.status in ("queued", "running") for run in runs) or _yesterday_open(actor)["count"]:
        return "warning"
    return "success" if runs else "info"


register(
    Tile(
        key="payments.reconciliation_yesterday",
        title=_("Yesterday's reconciliation"),
        hint=_("open discrepancies of yesterday's bills in your scope"),
        icon="rule",
        count=lambda actor: _yesterday_open(actor)["count"] or 0,
        link=lambda actor: _changelist(
            "discrepancy",
            {
                "status__exact": "open",
                # the changelist's date filter (DateFieldListFilter) takes a range
                "business_date__gte": _yesterday().isoformat(),
                "business_date__lt": (_yesterday() + timedelta(days=1)).isoformat(),
            },
        ),
        visible=_may(perms.VIEW_RECONCILIATION),
        tone=lambda actor: reconciliation_yesterday_tone(actor=actor),
        order=45,
    )
)


def reconciliation_rows(*, actor) -> list[PanelRow]:
    """One row per channel of yesterday's bill: its status, open items, amount at stake
    (the items in the reader's scope)."""
    from django.db.models import Count, Sum

    rows = []
    for run in _yesterday_runs(actor):
        figures = (
            selectors.discrepancy_list(actor=actor, reconciliation=run)
            .filter(status="open")
            .order_by()
            .aggregate(count=Count("id"), amount=Sum("difference_amount"))
        )
        rows.append(
            PanelRow(
                label=f"{run.get_channel_display()} · {run.get_status_display()}",
                link=reverse("admin:payments_reconciliation_change", args=[run.pk]),
                meta=_("%(count)s open · %(amount)s at stake")
                % {"count": figures["count"] or 0, "amount": _money(figures["amount"])},
            )
        )
    return rows


register(
    Panel(
        key="payments.reconciliation_channels",
        title=_("Yesterday's bills per channel"),
        rows=lambda actor: reconciliation_rows(actor=actor),
        link=lambda actor: _changelist("reconciliation"),
        visible=_may(perms.VIEW_RECONCILIATION),
        empty=_("No reconciliation for yesterday yet."),
        order=45,
    )
)

register(
    Tile(
        key="payments.adjustments_waiting",
        title=_("Adjustments to approve"),
        hint=_("adjustments proposed by others, waiting for your decision"),
        icon="approval",
        count=lambda actor: selectors.adjustments_waiting(actor=actor).count(),
        link=lambda actor: _changelist("reconciliationadjustment", {"status__exact": "proposed"}),
        visible=_may(perms.APPROVE_ADJUSTMENT),
        tone=lambda actor: (
            "warning" if selectors.adjustments_waiting(actor=actor).exists() else "success"
        ),
        order=46,
    )
)
