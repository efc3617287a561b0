"""The Excel file of a report (not a service: it only writes figures it is given).

Sheets: 核心数据 (this period and the previous one, the daily core-data report's
columns of seed 001 §三(四) that the system measures), 按区域, 按渠道 and, for weekly and
monthly reports, 每日明细. Every text cell goes through the kernel's sanitiser
(``mall.core.cells.export_cell``); money and ratios are numbers with a number format.
"""

from __future__ import annotations

import io
from decimal import Decimal

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from mall.core.cells import export_cell

MONEY_FORMAT = "#,##0.00"
PERCENT_FORMAT = "0.00%"

# (key, header, kind): kind "money", "ratio" or "count"
SUMMARY_COLUMNS = [
    ("gmv", gettext_lazy("GMV (yuan)"), "money"),
    ("orders", gettext_lazy("Orders placed"), "count"),
    ("paid_orders", gettext_lazy("Paid orders"), "count"),
    ("paid_conversion", gettext_lazy("Paid conversion"), "ratio"),
    ("average_order_value", gettext_lazy("Average order value (yuan)"), "money"),
    ("new_members", gettext_lazy("New members"), "count"),
    ("buyers", gettext_lazy("Buyers"), "count"),
    ("repeat_purchase_rate", gettext_lazy("Repeat-purchase rate"), "ratio"),
    ("retention_rate", gettext_lazy("Retention"), "ratio"),
    ("refunded", gettext_lazy("Refunded (yuan)"), "money"),
    ("refund_rate", gettext_lazy("Refund rate"), "ratio"),
]
BREAKDOWN_COLUMNS = [
    ("gmv", gettext_lazy("GMV (yuan)"), "money"),
    ("orders", gettext_lazy("Orders placed"), "count"),
    ("paid_orders", gettext_lazy("Paid orders"), "count"),
    ("paid_conversion", gettext_lazy("Paid conversion"), "ratio"),
    ("average_order_value", gettext_lazy("Average order value (yuan)"), "money"),
    ("refund_rate", gettext_lazy("Refund rate"), "ratio"),
]
DAILY_COLUMNS = [
    ("gmv", gettext_lazy("GMV (yuan)"), "money"),
    ("orders", gettext_lazy("Orders placed"), "count"),
    ("paid_orders", gettext_lazy("Paid orders"), "count"),
]


def _value(value):
    if isinstance(value, Decimal | int) or value is None:
        return value
    return export_cell(value)


def _append(sheet, values: list, kinds: list[str]) -> None:
    sheet.append([_value(value) for value in values])
    row = sheet.max_row
    for index, kind in enumerate(kinds, start=1):
        cell = sheet.cell(row=row, column=index)
        if kind == "money":
            cell.number_format = MONEY_FORMAT
        elif kind == "ratio":
            cell.number_format = PERCENT_FORMAT


def _header(sheet, first: str, columns) -> None:
    from openpyxl.styles import Font

    sheet.append([first, *[str(header) for _key, header, _kind in columns]])
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)


def report_workbook_bytes(*, title: str, period_label: str, figures: dict) -> bytes:
    """Return the report as an .xlsx file (``figures`` from the report service)."""
    from openpyxl import Workbook

    workbook = Workbook()
    summary = workbook.active
    summary.title = pgettext("report sheet", "Core data")
    summary.append([export_cell(title)])
    summary.append([_("Period"), export_cell(period_label)])
    summary.append([])
    _header(summary, _("Period"), SUMMARY_COLUMNS)
    kinds = ["text", *[kind for _k, _h, kind in SUMMARY_COLUMNS]]
    for label, key in ((_("This period"), "current"), (_("Previous period"), "previous")):
        row = figures[key]
        _append(summary, [label, *[row.get(k) for k, _h, _kind in SUMMARY_COLUMNS]], kinds)
    summary.append([])
    summary.append(
        [
            _(
                "Brushed orders are excluded. UV, PV and bounce rate are not measured by "
                "this system (no traffic data)."
            )
        ]
    )
    breakdown_kinds = ["text", *[kind for _k, _h, kind in BREAKDOWN_COLUMNS]]
    for sheet_title, first, key in (
        (pgettext("report sheet", "By region"), _("Sales region"), "by_region"),
        (pgettext("report sheet", "By channel"), _("Sales channel"), "by_channel"),
    ):
        sheet = workbook.create_sheet(sheet_title)
        _header(sheet, first, BREAKDOWN_COLUMNS)
        for row in figures[key]:
            values = [row["name"], *[row.get(k) for k, _h, _kind in BREAKDOWN_COLUMNS]]
            _append(sheet, values, breakdown_kinds)
    if len(figures["daily"]) > 1:
        sheet = workbook.create_sheet(pgettext("report sheet", "Daily detail"))
        _header(sheet, _("Date"), DAILY_COLUMNS)
        daily_kinds = ["text", *[kind for _k, _h, kind in DAILY_COLUMNS]]
        for row in figures["daily"]:
            values = [row["day"].isoformat(), *[row[k] for k, _h, _kind in DAILY_COLUMNS]]
            _append(sheet, values, daily_kinds)
    for sheet in workbook.worksheets:
        sheet.column_dimensions["A"].width = 24
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def store_report_file(archive, file_name: str, content: bytes) -> str:
    """Write ``content`` into the archive's private storage; return the stored name."""
    from django.core.files.base import ContentFile

    field = archive.file.field
    name = field.generate_filename(archive, file_name)
    return field.storage.save(name, ContentFile(content), max_length=field.max_length)
