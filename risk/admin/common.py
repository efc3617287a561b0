"""Shared pieces of the risk admin: status colours, masked members, SLA due dates and
evidence as readable rows (labels in Chinese, never the stored keys)."""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.db.models import CharField, Exists, OuterRef, Subquery
from django.db.models.functions import Cast
from django.utils import formats, timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from mall.core.masking import mask_phone

from ..models import Decision, FundFreeze, RiskCase, RiskMark
from ..parameters import RULES

CASE_COLOURS = {
    RiskCase.Status.OPEN: "warning",
    RiskCase.Status.CONFIRMED: "danger",
    RiskCase.Status.DISMISSED: "success",
}
DECISION_COLOURS = {Decision.BLOCK: "danger", Decision.REVIEW: "warning", Decision.ALLOW: "info"}
FREEZE_COLOURS = {FundFreeze.Status.ACTIVE: "danger", FundFreeze.Status.RELEASED: "success"}
MARK_COLOURS = {RiskMark.Level.HIGH: "danger", RiskMark.Level.WATCH: "warning"}

# Rules that are not real-time rules (the scan, people) but can name a case or event.
EXTRA_RULES = {
    "brushing_ring": _("Order brushing ring (daily scan)"),
    "manual": _("Reported by staff"),
}

# What a case's or event's evidence keys mean (the rest show as "other figure").
EVIDENCE_LABELS = {
    "orders": _("orders"),
    "members": _("members"),
    "devices": _("devices"),
    "ips": _("IP addresses"),
    "addresses": _("addresses"),
    "order_no": _("order number"),
    "case_no": _("after-sales case number"),
    "client_ip": _("client IP"),
    "device_id": _("device"),
    "reported_amount": _("reported amount"),
    "expected_amount": _("expected amount"),
    "amount": _("amount"),
    "count": _("count"),
    "threshold": _("threshold"),
    "limit": _("limit"),
    "window_minutes": _("window (minutes)"),
    "window_hours": _("window (hours)"),
    "window_days": _("window (days)"),
    "ratio": _("ratio"),
    "paid_orders": _("paid orders"),
    "refunded_orders": _("refunded orders"),
    "claims": _("claims"),
    "accounts": _("accounts"),
    "sku": _("SKU"),
    "sku_code": _("SKU"),
    "channel": _("channel"),
    "key_kind": _("shared by"),
    "key": _("shared value"),
    "unpaid": _("unpaid orders"),
    "phone_prefix": _("phone prefix"),
    "level": _("level"),
    "kind": _("type"),
    "summary": _("summary"),
    "score": _("score"),
    "rule": _("rule"),
    "decision": _("decision"),
    "at": _("at"),
}
# Values of these keys are personal or long: shown shortened.
_SHORTENED = {"devices", "device_id", "addresses", "key"}


def rule_label(code: str) -> str:
    """A rule code as its Chinese name ("—" for none; "other rule" for an unknown code)."""
    if not code:
        return "—"
    label = RULES.get(code) or EXTRA_RULES.get(code)
    return str(label) if label is not None else str(_("other rule"))


def member_text(member) -> str:
    """A member as risk pages show them: masked (never the full phone or name)."""
    if member is None:
        return "—"
    from members.member_360 import member_label

    return member_label(member)


def when(value) -> str:
    if not value:
        return "—"
    return formats.date_format(timezone.localtime(value), "SHORT_DATETIME_FORMAT")


def short(value) -> str:
    text = str(value)
    return text[:8] + "…" if len(text) > 12 else text


def _value_text(key: str, value) -> str:
    if isinstance(value, bool):
        return str(_("yes") if value else _("no"))
    if isinstance(value, list | tuple):
        items = [short(v) if key in _SHORTENED else str(v) for v in value[:20]]
        more = len(value) - len(items)
        text = "、".join(items)
        return text + (str(_(" and %(n)s more") % {"n": more}) if more > 0 else "")
    if key in ("rule",):
        return rule_label(str(value))
    if key == "decision" and value in Decision.values:
        return str(Decision(value).label)
    if key == "phone_prefix":
        return mask_phone(str(value)) if len(str(value)) >= 11 else f"{str(value)[:3]}****"
    if key in _SHORTENED:
        return short(value)
    if isinstance(value, dict):
        return "；".join(
            f"{EVIDENCE_LABELS.get(k, _('other figure'))}：{_value_text(k, v)}"
            for k, v in value.items()
        )
    return str(value)


def evidence_rows(evidence: dict | None) -> list[tuple[str, str]]:
    """``(label, value)`` rows of an evidence dict, in Chinese, values masked or shortened."""
    rows = []
    for key, value in (evidence or {}).items():
        if key in ("sightings", "findings"):
            continue
        rows.append((str(EVIDENCE_LABELS.get(key, _("other figure"))), _value_text(key, value)))
    return rows


def evidence_table(evidence: dict | None):
    rows = evidence_rows(evidence)
    html = (
        format_html_join(
            "",
            '<tr><th class="pr-4 text-left font-medium">{}</th><td>{}</td></tr>',
            rows,
        )
        if rows
        else ""
    )
    extra = []
    for key, title in (("findings", _("findings")), ("sightings", _("sightings"))):
        items = (evidence or {}).get(key) or []
        if items:
            extra.append(
                format_html(
                    '<tr><th class="pr-4 text-left font-medium">{}</th><td>{}</td></tr>',
                    title,
                    format_html_join(
                        "",
                        "<div>{}</div>",
                        ((_value_text(key, item),) for item in items[-10:]),
                    ),
                )
            )
    if not rows and not extra:
        return "—"
    return format_html(
        "<table>{}{}</table>", html, format_html_join("", "{}", ((e,) for e in extra))
    )


def with_sla_due(queryset):
    """Annotate each case with its running ``risk.case`` clock's due time (``sla_due``)."""
    from ops.models import SlaClock

    clocks = SlaClock.objects.filter(
        kind="risk.case",
        subject_type=ContentType.objects.get_for_model(RiskCase),
        subject_id=Cast(OuterRef("pk"), CharField()),
    ).order_by("-id")
    return queryset.annotate(sla_due=Subquery(clocks.values("due_at")[:1]))


def cases_breached(queryset):
    """Open cases whose running ``risk.case`` clock is past due."""
    from ops.models import SlaClock

    late = SlaClock.objects.filter(
        kind="risk.case",
        subject_type=ContentType.objects.get_for_model(RiskCase),
        subject_id=Cast(OuterRef("pk"), CharField()),
        closed_at__isnull=True,
        due_at__lt=timezone.now(),
    )
    return queryset.filter(Exists(late), status=RiskCase.Status.OPEN)
