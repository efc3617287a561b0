"""Channel funds (渠道资金对账): a sales channel's balance ledger against its statement.

Seed 003's monthly check ("核对各渠道店铺的月度结算资金，与后台「用户余额」「订单流水」完全
匹配"): finance uploads the channel's settlement statement for a period (our CSV layout,
``payments/reconciliation/statement.py``); a run matches it line by line against the
channel's ``ChannelLedgerEntry`` rows of the period and files every difference in the
same discrepancy queue as the payment bills (docs/RECONCILIATION.md §Channel funds).

* :func:`statement_start` — record the run (``kind = channel_statement``) with the file
  and enqueue the reconciliation task (the runs' lifecycle is
  ``payments/services/reconciliation.py``'s).
* :func:`statement_load_and_match` — what that task's executor calls for a statement
  run, inside its transaction: parse, load the lines into ``BillLine``, match with SQL
  over sets, write the discrepancies; return ``(summary, totals)``.

Matching (a line's key is (ledger kind, reference); the period is the local days
``bill_date`` … ``period_end`` in Asia/Shanghai, our entries by ``created_at``):

1. ``duplicate`` — every line after the first with the same key;
2. ``channel_only`` — a line whose key no entry of the channel in the period has;
3. ``amount_mismatch`` — the entry's signed amount differs from the line's;
4. ``matched`` — otherwise;
5. ``platform_only`` — an entry of the period that no line names.

Discrepancies carry the sales channel, the ledger entry (when there is one), the
reference in ``transaction_no``, signed amounts (ours, the statement's) and the amount
at stake; they have no sales region (channel funds are read with scope "all"), and
their ``business_date`` is the period's first day.
"""

from __future__ import annotations

import hashlib
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from mall.core.actors import is_system_actor
from mall.core.audit import audit
from mall.core.exceptions import ApplicationError
from mall.core.money import to_money
from mall.core.transitions import transition_update
from ops.parameters import get_parameter
from orders.models import ChannelLedgerEntry, SalesChannel

from .. import permissions as perms
from ..exceptions import (
    BillTooLarge,
    InvalidPaymentInput,
    PaymentsPermissionDenied,
    ReconciliationRunning,
)
from ..models import BillLine, Discrepancy, Reconciliation, ReconciliationAdjustment
from ..models.reconciliation import SUMMARY_KEYS
from ..parameters import RECON_MAX_BILL_MB
from ..reconciliation.loader import store_bill
from ..reconciliation.statement import SHANGHAI, StatementReader

ZERO = Decimal("0.00")
MAX_PERIOD_DAYS = 31
LOAD_BATCH = 2000
K = Discrepancy.Kind


class StatementPeriodOverlaps(ApplicationError):
    """Another period of the channel that overlaps this one is live or in flight."""

    code = "statement_period_overlaps"
    status_code = 409
    default_message = gettext_lazy(
        "This period overlaps another statement run of the sales channel."
    )


class StatementTieOutFailed(ApplicationError):
    """The classified lines do not add up to the statement: a bug, never a file problem."""

    code = "tie_out_failed"
    status_code = 500
    default_message = gettext_lazy(
        "The statement's lines do not tie out; the run was not recorded."
    )


def _require(actor, perm: str) -> None:
    if is_system_actor(actor):
        return
    if (
        not getattr(actor, "is_active", False)
        or not getattr(actor, "is_staff", False)
        or not actor.has_perm(perm)
    ):
        raise PaymentsPermissionDenied()


def _channel_in_scope(actor, sales_channel) -> SalesChannel:
    """The sales channel (a row or an id) as ``actor`` may work on it, or "not found"
    (orders' scope: the operator, an object grant ``orders.work_channel``, a role)."""
    from orders.selectors import channel_get

    return channel_get(actor=actor, pk=getattr(sales_channel, "pk", sales_channel))


def _period_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """The local days ``start`` … ``end`` (Asia/Shanghai) as an aware [from, to)."""
    return (
        datetime.combine(start, time.min, SHANGHAI),
        datetime.combine(end + timedelta(days=1), time.min, SHANGHAI),
    )


def _check_period(period_start, period_end) -> None:
    if not isinstance(period_start, date) or not isinstance(period_end, date):
        raise InvalidPaymentInput(fields={"period_start": [_("Enter the period's dates.")]})
    if period_end < period_start:
        raise InvalidPaymentInput(
            fields={"period_end": [_("The period cannot end before it starts.")]}
        )
    if (period_end - period_start).days + 1 > MAX_PERIOD_DAYS:
        raise InvalidPaymentInput(
            fields={
                "period_end": [_("A statement covers at most %(n)d days.") % {"n": MAX_PERIOD_DAYS}]
            }
        )
    today = timezone.localdate()
    if period_end >= today:
        raise InvalidPaymentInput(
            fields={"period_end": [_("The period must have ended (yesterday at the latest).")]}
        )


def _refuse_overlap(channel: SalesChannel, period_start: date, period_end: date) -> None:
    """409 when a run of another period of ``channel`` that overlaps this one is live
    (done, not superseded) or in flight; a run of the same period is allowed (it
    supersedes the earlier one when it is done)."""
    RS = Reconciliation.Status
    other = (
        Reconciliation.objects.filter(
            kind=Reconciliation.Kind.CHANNEL_STATEMENT,
            sales_channel_id=channel.pk,
            bill_date__lte=period_end,
            period_end__gte=period_start,
        )
        .filter(
            Q(status__in=[RS.QUEUED, RS.RUNNING]) | Q(status=RS.DONE, superseded_by__isnull=True)
        )
        .exclude(bill_date=period_start, period_end=period_end)
        .order_by("bill_date", "pk")
        .first()
    )
    if other is not None:
        raise StatementPeriodOverlaps(
            _(
                "The period %(start)s – %(end)s overlaps the statement run #%(run)s of "
                "%(other_start)s – %(other_end)s (%(status)s). Run the same period again to "
                "replace it, or a period that does not overlap it."
            )
            % {
                "start": period_start,
                "end": period_end,
                "run": other.pk,
                "other_start": other.bill_date,
                "other_end": other.period_end,
                "status": other.get_status_display(),
            }
        )


def _read_upload(upload) -> tuple[bytes, str]:
    limit = get_parameter(RECON_MAX_BILL_MB) * 1024 * 1024
    size = getattr(upload, "size", None)
    if size is not None and size > limit:
        raise BillTooLarge()
    if hasattr(upload, "seek"):
        upload.seek(0)
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise BillTooLarge()
    if not data:
        raise InvalidPaymentInput(fields={"file": [_("The file is empty.")]})
    name = (getattr(upload, "name", "") or "statement.csv").rsplit("/", 1)[-1][-120:]
    return data, name


def _enqueue(run_id: int) -> None:
    from ..tasks import run_reconciliation  # the runs' task (payments/services/reconciliation)

    run_reconciliation.apply_async(args=[run_id], queue="heavy")


@transaction.atomic
def statement_start(
    *, actor, sales_channel, period_start: date, period_end: date, upload
) -> Reconciliation:
    """Record a statement run of ``sales_channel`` for the period and enqueue it.

    Needs ``payments.run_reconciliation`` and the channel in the actor's scope (else
    "not found", like orders' channel services). The period is at most 31 days and
    has ended; the file is at most ``payments.reconciliation_max_bill_mb`` (413
    ``bill_too_large``) and must start with the statement header (400
    ``bill_malformed`` at once; the lines are checked by the run). A second run of
    the same channel and period while one is queued or running is 409
    ``reconciliation_running``; a run of another period of the channel that overlaps
    this one and is queued, running or live (done, not superseded) is 409
    ``statement_period_overlaps`` (checked under the channel's row lock, so two
    overlapping starts cannot both pass). The same period again is allowed: when done
    it supersedes the earlier run. The file is kept in private storage with its
    SHA-256. Audited ``reconciliation.start``; the task is enqueued after commit.
    """
    _require(actor, perms.RUN_RECONCILIATION)
    channel = _channel_in_scope(actor, sales_channel)
    _check_period(period_start, period_end)
    if upload is None:
        raise InvalidPaymentInput(fields={"file": [_("Upload the statement file.")]})
    data, name = _read_upload(upload)
    StatementReader(data=data).check_header()
    # one start of the channel at a time: the overlap check and the insert cannot race
    SalesChannel.objects.select_for_update().filter(pk=channel.pk).exists()
    _refuse_overlap(channel, period_start, period_end)
    try:
        with transaction.atomic():
            run = Reconciliation.objects.create(
                kind=Reconciliation.Kind.CHANNEL_STATEMENT,
                channel="",
                sales_channel=channel,
                bill_date=period_start,
                period_end=period_end,
                source=Reconciliation.Source.UPLOAD,
                requested_by=None if is_system_actor(actor) else actor,
                bill_name=name,
                bill_sha256=hashlib.sha256(data).hexdigest(),
            )
    except IntegrityError as exc:  # the partial unique constraint: one run in flight
        raise ReconciliationRunning() from exc
    store_bill(run, data, name)  # the loader's helper: the file with its SHA-256
    audit(
        actor=actor,
        action="reconciliation.start",
        target=run,
        data={
            "kind": run.kind,
            "sales_channel": channel.code,
            "period_start": period_start.isoformat(),
            "period_end": period_end.isoformat(),
            "file": name,
            "sha256": run.bill_sha256,
            "bytes": len(data),
        },
    )
    run_id = run.pk
    transaction.on_commit(lambda: _enqueue(run_id))
    return run


# --- the run's work ------------------------------------------------------------------------


def _load(run: Reconciliation, reader: StatementReader, progress, rows_total: int) -> int:
    """Insert the statement's lines as ``BillLine`` rows in batches; return the count."""
    batch: list[BillLine] = []
    done = 0
    for row in reader.rows():
        batch.append(
            BillLine(
                reconciliation_id=run.pk,
                line_no=row.line_no,
                kind=row.kind,
                occurred_at=row.occurred_at,
                transaction_no=row.transaction_no,
                amount=row.amount,
                settle_amount=row.settle_amount,
                fee_amount=row.fee_amount,
                channel_status=row.channel_status,
            )
        )
        if len(batch) >= LOAD_BATCH:
            BillLine.objects.bulk_create(batch)
            done += len(batch)
            batch = []
            if progress is not None:
                progress(done * 8 // 10, rows_total)
    if batch:
        BillLine.objects.bulk_create(batch)
        done += len(batch)
    reader.finish()
    if progress is not None:
        progress(done * 8 // 10, rows_total)
    return done


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _entry_of(alias: str) -> str:
    """SQL: the entry of the channel in the period that line ``alias`` names (by kind and
    reference); parameters: channel id, period from, period to."""
    return (
        f"SELECT e.id FROM {_table(ChannelLedgerEntry)} e WHERE e.channel_id = %s "  # noqa: S608
        "AND e.created_at >= %s AND e.created_at < %s "
        f"AND e.kind = {alias}.channel_status AND e.reference_no = {alias}.transaction_no"
    )


def _signed(alias: str) -> str:
    """SQL: line ``alias``'s amount signed like the ledger (credits +, debits −)."""
    return f"(CASE WHEN {alias}.kind = 'payment' THEN {alias}.amount ELSE -{alias}.amount END)"


_COLUMNS = (
    "reconciliation_id, kind, status, channel, sales_channel_id, business_date, "
    "bill_line_id, ledger_entry_id, transaction_no, refund_no, channel_trade_no, "
    "channel_refund_no, our_amount, channel_amount, difference_amount, detail, "
    "query_result, resolution_note, created_at, updated_at"
)


def _match(run: Reconciliation) -> None:
    """Classify the run's lines and write its discrepancies, with SQL over sets."""
    lines, ledger, disc = _table(BillLine), _table(ChannelLedgerEntry), _table(Discrepancy)
    adjustments = _table(ReconciliationAdjustment)
    ops = connection.ops
    start, end = _period_bounds(run.bill_date, run.period_end)
    period = [
        run.sales_channel_id,
        ops.adapt_datetimefield_value(start),
        ops.adapt_datetimefield_value(end),
    ]
    now = ops.adapt_datetimefield_value(timezone.now())
    # the values every discrepancy of the run starts with
    head = [
        run.pk,
        Discrepancy.Status.OPEN,
        run.sales_channel_id,
        ops.adapt_datefield_value(run.bill_date),
    ]
    stamp = [now, now]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # the lines were just loaded: without statistics the planner takes the table
            # for empty and nests loops over the lines × the ledger
            cursor.execute(f"ANALYZE {lines}")
        # 1. duplicates: every line but the first of its key (one GROUP BY, not a
        # comparison of each line with every other)
        cursor.execute(
            f"UPDATE {lines} SET outcome = %s WHERE reconciliation_id = %s AND line_no NOT IN ("  # noqa: S608
            f"SELECT MIN(f.line_no) FROM {lines} f WHERE f.reconciliation_id = %s "
            "GROUP BY f.channel_status, f.transaction_no)",
            [K.DUPLICATE, run.pk, run.pk],
        )
        # 2.–4. every other line by the entry it names (no alias on the updated table:
        # the same statement runs on SQLite and PostgreSQL)
        cursor.execute(
            f"UPDATE {lines} SET outcome = CASE "  # noqa: S608
            f"WHEN NOT EXISTS ({_entry_of(lines)}) THEN %s "
            f"WHEN EXISTS ({_entry_of(lines)} AND e.amount <> {_signed(lines)}) THEN %s "
            "ELSE %s END WHERE reconciliation_id = %s AND outcome = ''",
            [*period, K.CHANNEL_ONLY, *period, K.AMOUNT_MISMATCH, "matched", run.pk],
        )
        # the statement's side: duplicates and lines we have no entry for
        cursor.execute(
            f"INSERT INTO {disc} ({_COLUMNS}) "  # noqa: S608
            "SELECT %s, l.outcome, %s, '', %s, %s, l.id, NULL, l.transaction_no, '', '', '', "
            f"NULL, {_signed('l')}, ABS({_signed('l')}), '', '{{}}', '', %s, %s "
            f"FROM {lines} l WHERE l.reconciliation_id = %s AND l.outcome IN (%s, %s) "
            "ORDER BY l.line_no",
            [*head, *stamp, run.pk, K.DUPLICATE, K.CHANNEL_ONLY],
        )
        # amounts that differ: the line and its entry
        cursor.execute(
            f"INSERT INTO {disc} ({_COLUMNS}) "  # noqa: S608
            "SELECT %s, %s, %s, '', %s, %s, l.id, e.id, l.transaction_no, '', '', '', "
            f"e.amount, {_signed('l')}, ABS(e.amount - {_signed('l')}), '', '{{}}', '', %s, %s "
            f"FROM {lines} l JOIN {ledger} e ON e.channel_id = %s AND e.created_at >= %s "
            "AND e.created_at < %s AND e.kind = l.channel_status "
            "AND e.reference_no = l.transaction_no "
            "WHERE l.reconciliation_id = %s AND l.outcome = %s ORDER BY l.line_no",
            [head[0], K.AMOUNT_MISMATCH, *head[1:], *stamp, *period, run.pk, K.AMOUNT_MISMATCH],
        )
        # 5. our side: entries of the period that no line names (an anti-join on the
        # statement's distinct keys: one hash, never a scan of the lines per entry)
        cursor.execute(
            f"INSERT INTO {disc} ({_COLUMNS}) "  # noqa: S608
            "SELECT %s, %s, %s, '', %s, %s, NULL, e.id, e.reference_no, '', '', '', "
            "e.amount, NULL, ABS(e.amount), '', '{}', '', %s, %s "
            f"FROM {ledger} e LEFT JOIN (SELECT DISTINCT k.channel_status, k.transaction_no "
            f"FROM {lines} k WHERE k.reconciliation_id = %s) named "
            "ON named.channel_status = e.kind AND named.transaction_no = e.reference_no "
            "WHERE e.channel_id = %s AND e.created_at >= %s AND e.created_at < %s "
            "AND named.transaction_no IS NULL "
            # our own corrections: the entry an approved adjustment of this channel's
            # statement posted (RECADJ-<id>) is matched to that adjustment, not to a line
            f"AND NOT EXISTS (SELECT 1 FROM {adjustments} a JOIN {disc} ad "
            "ON ad.id = a.discrepancy_id WHERE a.status = %s "
            "AND a.ledger_reference = e.reference_no AND ad.sales_channel_id = e.channel_id "
            "AND e.kind = %s) ORDER BY e.id",
            [
                head[0],
                K.PLATFORM_ONLY,
                *head[1:],
                *stamp,
                run.pk,
                *period,
                ReconciliationAdjustment.Status.APPROVED,
                ChannelLedgerEntry.Kind.ADJUSTMENT,
            ],
        )


def _carry_adjusted(actor, run: Reconciliation) -> list[int]:
    """Write as ``adjusted`` the new run's differences that an approved adjustment
    already settled in the live run of the same period (the run this one supersedes).

    A difference is the same when its kind, reference and both signed amounts (ours,
    the statement's) are: the adjustment covered exactly that difference. A difference
    whose amounts changed opens again (the adjustment covered the old one). Returns the
    ids moved; audited ``reconciliation.carry_adjusted``."""
    previous = Reconciliation.objects.filter(
        kind=Reconciliation.Kind.CHANNEL_STATEMENT,
        sales_channel_id=run.sales_channel_id,
        bill_date=run.bill_date,
        period_end=run.period_end,
        status=Reconciliation.Status.DONE,
        superseded_by__isnull=True,
    ).exclude(pk=run.pk)
    settled = {
        (row["kind"], row["transaction_no"], row["our_amount"], row["channel_amount"]): row["pk"]
        for row in Discrepancy.objects.filter(
            reconciliation__in=previous, status=Discrepancy.Status.ADJUSTED
        ).values("pk", "kind", "transaction_no", "our_amount", "channel_amount")
    }
    if not settled:
        return []
    carried: dict[int, int] = {}
    for row in Discrepancy.objects.filter(
        reconciliation_id=run.pk,
        status=Discrepancy.Status.OPEN,
        transaction_no__in={key[1] for key in settled},
    ).values("pk", "kind", "transaction_no", "our_amount", "channel_amount"):
        key = (row["kind"], row["transaction_no"], row["our_amount"], row["channel_amount"])
        if key in settled:
            carried[row["pk"]] = settled[key]
    if not carried:
        return []
    moved = transition_update(
        Discrepancy.objects.filter(pk__in=list(carried)),
        Discrepancy.Status.ADJUSTED,
        resolution_note=_("Already adjusted in an earlier run of this period.")[:300],
        resolved_at=timezone.now(),
    )
    audit(
        actor=actor,
        action="reconciliation.carry_adjusted",
        target=run,
        data={"moved": moved, "carried": {str(new): old for new, old in carried.items()}},
    )
    return sorted(carried)


def _signed_sums(queryset) -> dict:
    """Count and signed sum of ``BillLine`` rows (credits +, debits −)."""
    figures = queryset.aggregate(
        count=Count("id"),
        credit=Sum("amount", filter=Q(kind=BillLine.Kind.PAYMENT)),
        debit=Sum("amount", filter=Q(kind=BillLine.Kind.REFUND)),
    )
    credit, debit = figures["credit"] or ZERO, figures["debit"] or ZERO
    return {"count": figures["count"], "amount": to_money(credit - debit)}


def _ledger_balance_at(channel_id: int, moment: datetime) -> Decimal:
    """The channel's balance just before ``moment`` by its ledger (0 before any entry):
    the balance after the last entry posted (highest id: the order balances moved in)."""
    last = (
        ChannelLedgerEntry.objects.filter(channel_id=channel_id, created_at__lt=moment)
        .order_by("-id")
        .values_list("balance_after_amount", flat=True)
        .first()
    )
    return last if last is not None else ZERO


def _figures(run: Reconciliation, reader: StatementReader) -> tuple[dict, dict]:
    start, end = _period_bounds(run.bill_date, run.period_end)
    summary = dict.fromkeys(SUMMARY_KEYS, 0)
    lines = BillLine.objects.filter(reconciliation_id=run.pk)
    by_outcome = {
        row["outcome"]: row for row in lines.values("outcome").annotate(n=Count("id")).order_by()
    }
    summary["matched"] = by_outcome.get("matched", {}).get("n", 0)
    for row in (
        Discrepancy.objects.filter(reconciliation_id=run.pk)
        .values("kind")
        .annotate(n=Count("id"))
        .order_by()
    ):
        summary[row["kind"]] = row["n"]
    entries = ChannelLedgerEntry.objects.filter(
        channel_id=run.sales_channel_id, created_at__gte=start, created_at__lt=end
    ).aggregate(count=Count("id"), amount=Sum("amount"))
    statement = _signed_sums(lines)
    parts = {
        outcome: _signed_sums(lines.filter(outcome=outcome))
        for outcome in ("matched", K.AMOUNT_MISMATCH, K.CHANNEL_ONLY, K.DUPLICATE)
    }
    classified = sum((part["amount"] for part in parts.values()), ZERO)
    classified_count = sum(part["count"] for part in parts.values())
    tie_out_ok = classified == statement["amount"] and classified_count == statement["count"]
    ledger_opening = _ledger_balance_at(run.sales_channel_id, start)
    ledger_closing = _ledger_balance_at(run.sales_channel_id, end)
    balance_now = (
        SalesChannel.objects.filter(pk=run.sales_channel_id)
        .values_list("balance_amount", flat=True)
        .first()
    )
    closing = reader.closing_balance
    totals = {
        "line_count": statement["count"],
        "statement": {
            "line_count": statement["count"],
            "credit_count": reader.totals.payment_count,
            "credit_amount": str(reader.totals.payment_amount),
            "debit_count": reader.totals.refund_count,
            "debit_amount": str(reader.totals.refund_amount),
            "net_amount": str(statement["amount"]),
            "declared_count": reader.declared_count,
            "declared_amount": None if reader.declared_sum is None else str(reader.declared_sum),
        },
        "ledger": {
            "entry_count": entries["count"],
            "net_amount": str(to_money(entries["amount"] or ZERO)),
            "opening_balance": str(ledger_opening),
            "closing_balance": str(ledger_closing),
        },
        "classified": {
            key: {"count": part["count"], "amount": str(part["amount"])}
            for key, part in parts.items()
        },
        "tie_out": {
            "statement_amount": str(statement["amount"]),
            "classified_amount": str(classified),
            "ok": tie_out_ok,
        },
        "balance": {
            "statement_closing": None if closing is None else str(closing),
            "ledger_closing": str(ledger_closing),
            "channel_balance_now": None if balance_now is None else str(balance_now),
            "difference": None if closing is None else str(closing - ledger_closing),
            "ok": None if closing is None else closing == ledger_closing,
        },
    }
    if not tie_out_ok:
        raise StatementTieOutFailed(extra={"tie_out": totals["tie_out"]})
    return summary, totals


def statement_load_and_match(
    *, actor, run: Reconciliation, data: bytes, progress
) -> tuple[dict, dict]:
    """Parse ``data`` (the run's statement), load and match it; return (summary, totals).

    Called by the reconciliation executor for a ``channel_statement`` run inside its
    transaction; everything here is in a savepoint too, so when it raises
    (``BillFormatError`` for a malformed file, naming the line; ``tie_out_failed``)
    nothing of it remains. ``progress(rows_done, rows_total)`` is the run's reporter
    (loading is the first 80 %). ``summary`` has every key of ``SUMMARY_KEYS`` (0 for
    the classes that do not apply); ``totals`` holds the statement's figures, our
    ledger's for the period, the classified sums, the tie-out and the balance check
    (the statement's 期末余额, when it has one, against our ledger's balance at the end
    of the period; the channel's balance now for reference) and ``carried_adjusted``
    (the differences already adjusted in the run this one supersedes, written as
    ``adjusted``). ``actor`` is the executor's.
    """
    if run.kind != Reconciliation.Kind.CHANNEL_STATEMENT or run.sales_channel_id is None:
        raise InvalidPaymentInput(_("This run is not a sales channel statement."))
    reader = StatementReader(data=data, bill_date=run.bill_date, period_end=run.period_end)
    rows_total = max(data.count(b"\n") - 1, 1)
    with transaction.atomic():
        _load(run, reader, progress, rows_total)
        _match(run)
        carried = _carry_adjusted(actor, run)
        summary, totals = _figures(run, reader)
        totals["carried_adjusted"] = len(carried)
    if progress is not None:
        progress(rows_total, rows_total)
    return summary, totals
