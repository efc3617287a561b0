"""Load a bill's rows into ``payments_billline`` (docs/RECONCILIATION.md "Matching").

PostgreSQL: ``COPY … FROM STDIN`` through psycopg2's ``copy_expert``, fed in chunks
from the parser's stream; other databases: ``bulk_create`` in batches. Runs inside the
caller's transaction: a parser error on any line propagates and nothing remains.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable, Iterable, Iterator
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import connection
from django.utils.translation import gettext as _

from ..models import BillLine, Reconciliation
from .bills import PAYMENT, BillFormatError, BillRow

CHUNK = 20_000
PROGRESS_EVERY = 10_000

_COLUMNS = (
    "reconciliation_id",
    "line_no",
    "kind",
    "occurred_at",
    "transaction_no",
    "channel_trade_no",
    "refund_no",
    "channel_refund_no",
    "amount",
    "settle_amount",
    "fee_amount",
    "channel_status",
    "outcome",
)


def _text(value: str) -> str:
    """A COPY text-format field (tab separated): escape backslash, tab, newline, CR."""
    return (
        value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    )


def _copy(run: Reconciliation, rows: Iterable[BillRow], progress: Callable | None) -> int:
    table = BillLine._meta.db_table
    sql = f"COPY {table} ({', '.join(_COLUMNS)}) FROM STDIN"
    run_id = str(run.pk)
    count = 0
    buffer = io.StringIO()
    with connection.cursor() as cursor:
        raw = cursor.cursor  # psycopg2 cursor under Django's wrapper

        def flush() -> None:
            buffer.seek(0)
            raw.copy_expert(sql, buffer)
            buffer.seek(0)
            buffer.truncate()

        pending = 0
        write = buffer.write
        for row in rows:
            write(
                f"{run_id}\t{row.line_no}\t{row.kind}\t{row.occurred_at.isoformat()}\t"
                f"{_text(row.transaction_no)}\t{_text(row.channel_trade_no)}\t"
                f"{_text(row.refund_no)}\t{_text(row.channel_refund_no)}\t"
                f"{row.amount}\t{row.settle_amount}\t{row.fee_amount}\t"
                f"{_text(row.channel_status)}\t\n"
            )
            count += 1
            pending += 1
            if pending >= CHUNK:
                flush()
                pending = 0
            if progress is not None and count % PROGRESS_EVERY == 0:
                progress(count)
        if pending:
            flush()
    return count


def _bulk(run: Reconciliation, rows: Iterable[BillRow], progress: Callable | None) -> int:
    batch: list[BillLine] = []
    count = 0
    for row in rows:
        batch.append(
            BillLine(
                reconciliation_id=run.pk,
                line_no=row.line_no,
                kind=row.kind,
                occurred_at=row.occurred_at,
                transaction_no=row.transaction_no,
                channel_trade_no=row.channel_trade_no,
                refund_no=row.refund_no,
                channel_refund_no=row.channel_refund_no,
                amount=row.amount,
                settle_amount=row.settle_amount,
                fee_amount=row.fee_amount,
                channel_status=row.channel_status[:30],
            )
        )
        count += 1
        if len(batch) >= 2000:
            BillLine.objects.bulk_create(batch)
            batch = []
            if progress is not None:
                progress(count)
    if batch:
        BillLine.objects.bulk_create(batch)
    return count


def store_bill(run: Reconciliation, data: bytes, name: str = "") -> None:
    """Keep the bill file in private storage with its SHA-256 (the voucher)."""
    name = (name or f"{run.channel}-{run.bill_date.isoformat()}.csv").rsplit("/")[-1][-120:]
    run.bill_file.save(f"{run.pk}-{name}", ContentFile(data), save=False)
    run.bill_name = name[:200]
    run.bill_sha256 = hashlib.sha256(data).hexdigest()
    run.save(update_fields=["bill_file", "bill_name", "bill_sha256", "updated_at"])


# the channels whose payment lines are all on the bill's day (Asia/Shanghai); their
# refund lines carry the refund's time, never after the bill's day
DATED_CHANNELS = ("wechat", "alipay")
_TEXT_LIMITS = {
    name: BillLine._meta.get_field(name).max_length
    for name in ("transaction_no", "channel_trade_no", "refund_no", "channel_refund_no")
}
_STATUS_LIMIT = BillLine._meta.get_field("channel_status").max_length
_AMOUNT_LIMIT = Decimal(10) ** (
    BillLine._meta.get_field("amount").max_digits
    - BillLine._meta.get_field("amount").decimal_places
)


def _checked(run: Reconciliation, rows: Iterable[BillRow]) -> Iterator[BillRow]:
    """The rows as they stream, each checked against the columns and the bill's day:
    a value the table cannot hold, or a line of another day, fails the bill with its
    line number (``bill_malformed``) instead of a database error."""
    zone = ZoneInfo(settings.TIME_ZONE)
    day = run.bill_date
    dated = run.channel in DATED_CHANNELS
    for row in rows:
        line = row.line_no
        for name, limit in _TEXT_LIMITS.items():
            value = getattr(row, name) or ""
            if len(value) > limit:
                raise BillFormatError(
                    _("a number longer than %(limit)s characters") % {"limit": limit}, line=line
                )
            if "\x00" in value:
                raise BillFormatError(_("a NUL character in a field"), line=line)
        if "\x00" in (row.channel_status or ""):
            raise BillFormatError(_("a NUL character in a field"), line=line)
        if len(row.channel_status or "") > _STATUS_LIMIT:
            row = row._replace(channel_status=row.channel_status[:_STATUS_LIMIT])
        for value in (row.amount, row.settle_amount, row.fee_amount):
            if value is None:
                continue
            value = Decimal(value)
            if not value.is_finite() or abs(value) >= _AMOUNT_LIMIT:
                raise BillFormatError(_("an amount out of range"), line=line)
        if dated:
            when = row.occurred_at.astimezone(zone).date()
            if when > day or (row.kind == PAYMENT and when != day):
                raise BillFormatError(
                    _("the line is of %(when)s, not of the bill's day %(day)s")
                    % {"when": when.isoformat(), "day": day.isoformat()},
                    line=line,
                )
        yield row


def load_rows(run: Reconciliation, rows_iterable: Iterable[BillRow], progress=None) -> int:
    """Write every row of the bill as a ``BillLine`` of ``run``; return how many.

    ``progress(rows_done)`` is called now and then. Must run in the caller's atomic
    block (the parser raising on a later line leaves nothing behind). Every row is
    checked first (:func:`_checked`).
    """
    rows_iterable = _checked(run, rows_iterable)
    if connection.vendor == "postgresql":
        return _copy(run, rows_iterable, progress)
    return _bulk(run, rows_iterable, progress)
