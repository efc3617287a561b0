"""A reconciliation run's report (对账报表), as CSV or xlsx.

Three parts (three sheets in xlsx; three sections, separated by a blank line, in CSV):

* **Summary** — the run (channel, bill date, status, source, file and its SHA-256), the
  count of every ``SUMMARY_KEYS`` class, the open figures, and every entry of the run's
  ``totals`` (the bill's own summary lines, our figures, the matched totals, the
  tie-out) as ``key path → value``;
* **Discrepancies** — only those the reader may see (``discrepancy_list``: scoped by
  region, so a regional finance user's file holds their regions' items only);
* **Matched totals** — count, amount and fee of the matched bill lines per kind.

Every cell passes through the kernel's ``export_cell`` (formula injection, control
characters), like ``mall/core/exports.py``. Each download is audited
(``reconciliation.export``). Needs ``payments.view_reconciliation`` and
``payments.export_reconciliation``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from decimal import Decimal

from django.db.models import Count, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from mall.core.actors import is_system_actor
from mall.core.audit import audit
from mall.core.cells import export_cell
from mall.core.money import to_money

from .. import permissions as perms
from ..exceptions import InvalidPaymentInput, PaymentsPermissionDenied
from ..models import BillLine, Discrepancy, DiscrepancyKind, Reconciliation
from ..models.reconciliation import SUMMARY_KEYS

FORMATS = ("csv", "xlsx")


def _labels() -> dict[str, str]:
    labels = {kind.value: str(kind.label) for kind in DiscrepancyKind}
    labels["matched"] = _("matched")
    return labels


def _money(value) -> str:
    return f"{value:.2f}" if value is not None else ""


def _totals_labels() -> dict[str, str]:
    """Labels of the key words of a run's ``totals`` (the matcher's keys); a key not
    listed shows as it is."""
    return {
        "bill": _("bill"),
        "lines": _("bill lines"),
        "ours": _("our records"),
        "our": _("our records"),
        "matched": _("matched"),
        "tie_out": _("tie-out"),
        "payment": _("payments"),
        "payments": _("payments"),
        "refund": _("refunds"),
        "refunds": _("refunds"),
        "count": _("count"),
        "amount": _("amount"),
        "fee": _("fee"),
        "fee_amount": _("fee"),
        "settle_amount": _("settlement amount"),
        "payment_count": _("payment count"),
        "payment_amount": _("payment amount"),
        "refund_count": _("refund count"),
        "refund_amount": _("refund amount"),
        "total_count": _("count"),
        "ok": _("balanced"),
        "classified": _("classified"),
        "by_outcome": _("by outcome"),
        "line_count": _("bill lines"),
        "settle_amount_sum": _("settlement amount"),
        # the tie-out of our side (our records of the day, each accounted for)
        "ours_payment": _("our payments"),
        "ours_refund": _("our refunds"),
        # a sales channel statement's totals
        "statement": _("statement"),
        "ledger": _("channel ledger"),
        "balance": _("balance"),
        "closing_balance": _("closing balance"),
        "opening_balance": _("opening balance"),
        "statement_closing": _("closing balance on the statement"),
        "ledger_closing": _("closing balance in our ledger"),
        "channel_balance_now": _("channel balance now"),
        "difference": _("difference"),
        "credit_count": _("credits"),
        "credit_amount": _("credit amount"),
        "debit_count": _("debits"),
        "debit_amount": _("debit amount"),
        "net_amount": _("net"),
        "entry_count": _("ledger entries"),
        "declared_count": _("count stated"),
        "declared_amount": _("amount stated"),
        "statement_amount": _("statement amount"),
        "classified_amount": _("classified amount"),
        "carried": _("carried over"),
        "carried_adjusted": _("already adjusted, carried over"),
        **_labels(),
    }


def totals_rows(totals: dict) -> list[tuple[str, str]]:
    """``totals`` as (label path, value) pairs for a person to read."""
    labels = _totals_labels()
    rows = []
    for key, value in _flatten(totals or {}):
        label = " · ".join(str(labels.get(part, part)) for part in key.split("."))
        rows.append((label, "" if value is None else str(value)))
    return rows


def _flatten(value, prefix: str = "") -> Iterator[tuple[str, object]]:
    if isinstance(value, dict):
        for key, inner in value.items():
            yield from _flatten(inner, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(value, list | tuple):
        for index, inner in enumerate(value):
            yield from _flatten(inner, f"{prefix}[{index}]")
    else:
        if isinstance(value, bool):
            value = _("yes") if value else _("no")
        yield prefix, value


def _summary_rows(run: Reconciliation) -> list[list]:
    labels = _labels()
    rows: list[list] = [
        [_("Item"), _("Value")],
        [_("Reconciliation"), run.pk],
        [_("Type"), run.get_kind_display()],
        [
            _("Channel"),
            run.get_channel_display() if run.channel else str(run.sales_channel or ""),
        ],
        [_("Bill date"), run.bill_date.isoformat()],
        [_("Period end"), run.period_end.isoformat()],
        [_("Status"), run.get_status_display()],
        [_("Source"), run.get_source_display()],
        [_("File name"), run.bill_name],
        [_("File SHA-256"), run.bill_sha256],
        [_("Open discrepancies"), run.open_count],
        [_("Amount at stake"), _money(run.open_amount)],
    ]
    summary = run.summary or {}
    for key in SUMMARY_KEYS:
        rows.append([labels.get(key, key), int(summary.get(key) or 0)])
    for label, value in totals_rows(run.totals or {}):
        rows.append([f"{_('Totals')}: {label}", value])
    return rows


def _discrepancy_header() -> list[str]:
    return [
        _("ID"),
        _("Type"),
        _("Status"),
        _("Business date"),
        _("Our transaction number"),
        _("Our refund number"),
        _("Channel transaction number"),
        _("Channel refund number"),
        _("Our amount"),
        _("Channel amount"),
        _("Amount at stake"),
        _("Sales region"),
        _("Detail"),
        _("Resolution note"),
    ]


def _discrepancy_rows(actor, run: Reconciliation) -> Iterator[list]:
    from ..selectors import discrepancy_list

    rows: Iterable[Discrepancy] = discrepancy_list(actor=actor, reconciliation=run).order_by("id")
    for row in rows.iterator(chunk_size=500):
        yield [
            row.pk,
            row.get_kind_display(),
            row.get_status_display(),
            row.business_date.isoformat(),
            row.transaction_no,
            row.refund_no,
            row.channel_trade_no,
            row.channel_refund_no,
            _money(row.our_amount),
            _money(row.channel_amount),
            _money(row.difference_amount),
            row.region.name if row.region_id else "",
            row.detail,
            row.resolution_note,
        ]


def matched_totals(run: Reconciliation) -> dict[str, dict[str, object]]:
    """Count, amount and fee of the run's matched lines per kind (``payment`` /
    ``refund``), amounts as Decimals."""
    figures = {
        kind.value: {"count": 0, "amount": Decimal("0.00"), "fee": Decimal("0.00")}
        for kind in BillLine.Kind
    }
    rows = (
        BillLine.objects.filter(reconciliation=run, outcome=BillLine.Outcome.MATCHED)
        .values("kind")
        .order_by("kind")
        .annotate(count=Count("id"), amount=Sum("amount"), fee=Sum("fee_amount"))
    )
    for row in rows:
        figures[row["kind"]] = {
            "count": row["count"],
            "amount": to_money(row["amount"] or 0),
            "fee": to_money(row["fee"] or 0),
        }
    return figures


def _matched_rows(run: Reconciliation) -> list[list]:
    rows: list[list] = [[_("Type"), _("Lines"), _("Amount"), _("Fee")]]
    for kind, figures in matched_totals(run).items():
        rows.append(
            [
                str(BillLine.Kind(kind).label),
                figures["count"],
                _money(figures["amount"]),
                _money(figures["fee"]),
            ]
        )
    return rows


def _require(actor) -> None:
    if is_system_actor(actor):
        return
    if not (
        getattr(actor, "is_active", False)
        and getattr(actor, "is_staff", False)
        and actor.has_perms([perms.VIEW_RECONCILIATION, perms.EXPORT_RECONCILIATION])
    ):
        raise PaymentsPermissionDenied()


def _safe(row: list) -> list:
    return [export_cell(value) for value in row]


def report(run: Reconciliation, actor, fmt: str = "csv") -> tuple[bytes, str]:
    """Write ``run``'s report for ``actor`` as ``fmt`` (``csv`` or ``xlsx``); answer the
    file's bytes and its name. 403 without the export permission, 400 for another
    format. Audited ``reconciliation.export`` (format, discrepancy rows written)."""
    _require(actor)
    if fmt not in FORMATS:
        raise InvalidPaymentInput(fields={"format": [_("Choose csv or xlsx.")]})
    summary = _summary_rows(run)
    matched = _matched_rows(run)
    header = _discrepancy_header()
    count = 0
    if fmt == "csv":
        text = io.StringIO()
        text.write("\ufeff")  # Excel opens UTF-8 CSV with a BOM correctly
        writer = csv.writer(text)
        writer.writerow([_("Summary")])
        writer.writerows(_safe(row) for row in summary)
        writer.writerow([])
        writer.writerow([_("Discrepancies")])
        writer.writerow(header)
        for row in _discrepancy_rows(actor, run):
            writer.writerow(_safe(row))
            count += 1
        writer.writerow([])
        writer.writerow([_("Matched totals")])
        writer.writerows(_safe(row) for row in matched)
        content = text.getvalue().encode("utf-8")
    else:
        from openpyxl import Workbook

        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet(title=str(_("Summary"))[:31])
        for row in summary:
            sheet.append(_safe(row))
        sheet = workbook.create_sheet(title=str(_("Discrepancies"))[:31])
        sheet.append(header)
        for row in _discrepancy_rows(actor, run):
            sheet.append(_safe(row))
            count += 1
        sheet = workbook.create_sheet(title=str(_("Matched totals"))[:31])
        for row in matched:
            sheet.append(_safe(row))
        out = io.BytesIO()
        workbook.save(out)
        content = out.getvalue()
    audit(
        actor=actor,
        action="reconciliation.export",
        target=run,
        data={"format": fmt, "rows": count},
    )
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    channel = run.channel or f"channel{run.sales_channel_id}"
    return content, f"reconciliation-{channel}-{run.bill_date:%Y%m%d}-{stamp}.{fmt}"
