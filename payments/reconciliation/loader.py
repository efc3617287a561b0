"""Load a bill's rows into ``payments_billline`` (docs/RECONCILIATION.md "Matching").

PostgreSQL: ``COPY … FROM STDIN`` through psycopg2's ``copy_expert``, fed in chunks
from the parser's stream; other databases: ``bulk_create`` in batches. Runs inside the
caller's transaction: a parser error on any line propagates and nothing remains.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable

from django.db import connection

from ..models import BillLine, Reconciliation
from .bills import BillRow

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


def load_rows(run: Reconciliation, rows_iterable: Iterable[BillRow], progress=None) -> int:
    """Write every row of the bill as a ``BillLine`` of ``run``; return how many.

    ``progress(rows_done)`` is called now and then. Must run in the caller's atomic
    block (the parser raising on a later line leaves nothing behind).
    """
    if connection.vendor == "postgresql":
        return _copy(run, rows_iterable, progress)
    return _bulk(run, rows_iterable, progress)
