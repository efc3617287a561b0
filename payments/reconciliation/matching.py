# ruff: noqa: S608, B023 - identifiers come from model meta, values are bound; the
# per-class insert helpers are called within their loop iteration.
"""The set-based matcher (docs/RECONCILIATION.md "Matching").

Every step is one SQL statement over the run's bill lines (``UPDATE … FROM`` joins,
``INSERT … SELECT``, ``GROUP BY``): nothing loops over the bill in Python. Works on
PostgreSQL and on SQLite ≥ 3.33 (``UPDATE … FROM``). Day boundaries are the bill's day
in Asia/Shanghai (``settings.TIME_ZONE``), computed here and passed as UTC instants.

Runs of one channel match one at a time (a PostgreSQL advisory lock held to the end of
the caller's transaction), so two neighbouring days' runs see each other's held items
and clear a cross-day pair exactly once.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from mall.core.audit import audit
from mall.core.transitions import transition_update
from ops.parameters import get_parameter

from ..exceptions import TieOutFailed
from ..models import BillLine, Discrepancy, PaymentTransaction, Reconciliation, Refund
from ..models.reconciliation import SUMMARY_KEYS
from ..parameters import RECON_CROSS_DAY_MINUTES, RECON_FEE_TOLERANCE

D = Discrepancy.Status
K = Discrepancy.Kind
PAID_STATES = ("paid", "partially_refunded", "refunded")
CENT = Decimal("0.01")
# a bill line's channel_status of the form "REFUND/<status>": the WeChat parser's mark of a
# refund not SUCCESS at the channel (PROCESSING, CHANGE …); plain "REFUND" / "退款" succeeded
NOT_SUCCEEDED = "%/%"


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=ZoneInfo(settings.TIME_ZONE))


def _money(value) -> Decimal:
    return Decimal(str(value or 0)).quantize(CENT)


class _Sql:
    """Parameter adaptation for the two databases (SQLite compares text and REAL)."""

    def __init__(self):
        self.ops = connection.ops
        self.sqlite = connection.vendor == "sqlite"

    def dt(self, value: datetime):
        return self.ops.adapt_datetimefield_value(value)

    def d(self, value: date):
        return self.ops.adapt_datefield_value(value)

    def num(self, value: Decimal):
        return float(value) if self.sqlite else value

    def run(self, sql: str, params) -> int:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.rowcount

    def rows(self, sql: str, params) -> list:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()


BL = BillLine._meta.db_table
TX = PaymentTransaction._meta.db_table
RF = Refund._meta.db_table
DI = Discrepancy._meta.db_table
RC = Reconciliation._meta.db_table

# per side: the record table, the bill line's link column, our date and amount columns,
# the states in which the record counts as done, the fee column, the classes
SIDES = {
    "payment": {
        "table": TX,
        "link": "transaction_id",
        "at": "paid_at",
        "amount": "paid_amount",
        "fee": "fee_amount",
        "done": PAID_STATES,
        "number": ("transaction_no", "channel_trade_no"),
        "own": "h.refund_id IS NULL",
        "channel_only": K.CHANNEL_ONLY,
        "platform_only": K.PLATFORM_ONLY,
        "amount_mismatch": K.AMOUNT_MISMATCH,
    },
    "refund": {
        "table": RF,
        "link": "refund_id",
        "at": "succeeded_at",
        "amount": "amount",
        "fee": "fee_refund_amount",
        "done": ("succeeded",),
        "number": ("refund_no", "channel_refund_no"),
        "own": "h.refund_id IS NOT NULL",
        "channel_only": K.REFUND_CHANNEL_ONLY,
        "platform_only": K.REFUND_PLATFORM_ONLY,
        "amount_mismatch": K.REFUND_AMOUNT_MISMATCH,
    },
}

_INSERT = (
    f"INSERT INTO {DI} (reconciliation_id, kind, status, channel, business_date, "
    "bill_line_id, transaction_id, refund_id, order_id, region_id, transaction_no, refund_no, "
    "channel_trade_no, channel_refund_no, our_amount, channel_amount, difference_amount, "
    "detail, held_until, cleared_by_id, resolution_note, query_result, created_at, updated_at) "
)


def _lock_channel(sql: _Sql, channel: str) -> None:
    if not sql.sqlite and connection.vendor == "postgresql":
        sql.run("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"payments.recon:{channel}"])


def match(run: Reconciliation, *, bill_totals=None, actor=None) -> tuple[dict, dict]:
    """Classify every line of ``run``'s bill and write its discrepancies.

    Returns ``(summary, totals)``; raises :class:`TieOutFailed` when the bill's payment
    or refund total is not the sum of its classified lines. ``bill_totals`` is the
    parser's ``declared`` (or summed) ``BillTotals``.
    """
    sql = _Sql()
    channel, day = run.channel, run.bill_date
    _lock_channel(sql, channel)
    now = timezone.now()
    d0, d1 = _day_start(day), _day_start(day + timedelta(days=1))
    prev0, next1 = _day_start(day - timedelta(days=1)), _day_start(day + timedelta(days=2))
    minutes = int(get_parameter(RECON_CROSS_DAY_MINUTES))
    tolerance = Decimal(str(get_parameter(RECON_FEE_TOLERANCE)))
    near_end, near_start = d1 - timedelta(minutes=minutes), d0 + timedelta(minutes=minutes)
    neighbours = [sql.d(day - timedelta(days=1)), sql.d(day + timedelta(days=1))]
    held_until = sql.d(day + timedelta(days=1))
    rid = run.pk
    # the live (done, not superseded) runs of the neighbouring days
    live_neighbours = (
        f"SELECT id FROM {RC} WHERE kind = 'payment_bill' AND channel = %s AND status = 'done' "
        "AND superseded_by_id IS NULL AND bill_date IN (%s, %s) AND id <> %s"
    )
    live_neighbour_params = [channel, *neighbours, rid]

    _escalate(sql, run, actor)

    for kind, side in SIDES.items():
        t, link, at, amount = side["table"], side["link"], side["at"], side["amount"]
        own_no, channel_no = side["number"]
        done = side["done"]
        done_in = ", ".join(["%s"] * len(done))
        # 1. link by the channel's number the (rare) lines our number does not find
        sql.run(
            f"UPDATE {BL} SET {link} = r.id FROM {t} r WHERE {BL}.reconciliation_id = %s "
            f"AND {BL}.kind = %s AND {BL}.{channel_no} <> '' "
            f"AND r.{channel_no} = {BL}.{channel_no} "
            f"AND r.channel = %s AND NOT EXISTS (SELECT 1 FROM {t} r1 WHERE "
            f"r1.{own_no} = {BL}.{own_no} AND {BL}.{own_no} <> '' AND r1.channel = %s)",
            [rid, kind, channel, channel],
        )
        # 2 + 3. one pass over the bill: link by our number, number the lines of one
        # number (every one after the first is a duplicate), classify
        # a refund line the channel reports as not succeeded (the WeChat parser writes
        # "REFUND/<refund status>") is never matched: the money we think went back did not
        not_succeeded_case = "WHEN b.channel_status LIKE %s THEN %s " if kind == "refund" else ""
        not_succeeded_params = [NOT_SUCCEEDED, side["amount_mismatch"]] if kind == "refund" else []
        rid_expr = "COALESCE(r1.id, r2.id)"
        at_expr = f"COALESCE(r1.{at}, r2.{at})"
        sql.run(
            f"UPDATE {BL} SET {link} = x.rid, outcome = x.outcome FROM ("
            f"SELECT b.id AS line_id, {rid_expr} AS rid, CASE "
            "WHEN b.rn > 1 THEN 'duplicate' "
            f"WHEN {rid_expr} IS NULL THEN %s "
            f"WHEN COALESCE(r1.status, r2.status) NOT IN ({done_in}) OR {at_expr} IS NULL "
            "THEN %s "
            f"{not_succeeded_case}"
            f"WHEN {at_expr} < %s OR {at_expr} >= %s THEN 'cross_day' "
            f"WHEN COALESCE(r1.{amount}, r2.{amount}) <> b.amount THEN %s "
            "ELSE 'matched' END AS outcome "
            f"FROM (SELECT id, amount, channel_status, {own_no}, {link}, "
            "ROW_NUMBER() OVER (PARTITION BY "
            f"CASE WHEN {own_no} <> '' THEN {own_no} ELSE {channel_no} END ORDER BY line_no) "
            f"AS rn FROM {BL} WHERE reconciliation_id = %s AND kind = %s) b "
            f"LEFT JOIN {t} r1 ON r1.{own_no} = b.{own_no} AND b.{own_no} <> '' "
            "AND r1.channel = %s "
            f"LEFT JOIN {t} r2 ON r2.id = b.{link}"
            f") x WHERE {BL}.id = x.line_id",
            [
                side["channel_only"],
                *done,
                side["channel_only"],
                *not_succeeded_params,
                sql.dt(d0),
                sql.dt(d1),
                side["amount_mismatch"],
                rid,
                kind,
                channel,
            ],
        )
        # a record already matched in another live run's bill is a duplicate too
        sql.run(
            f"UPDATE {BL} SET outcome = 'duplicate' WHERE reconciliation_id = %s AND kind = %s "
            f"AND outcome IN ('matched', %s, 'cross_day') AND EXISTS (SELECT 1 FROM {BL} o "
            f"JOIN {RC} rc ON rc.id = o.reconciliation_id WHERE o.{link} = {BL}.{link} "
            "AND o.kind = %s AND o.reconciliation_id <> %s AND rc.status = 'done' "
            "AND rc.superseded_by_id IS NULL AND rc.channel = %s AND rc.bill_date <> %s "
            "AND o.outcome IN ('matched', 'amount_mismatch', 'refund_amount_mismatch', "
            "'cross_day'))",
            [rid, kind, side["amount_mismatch"], kind, rid, channel, sql.d(day)],
        )

        # 6. write the discrepancies of the bill's side: one INSERT … SELECT per class
        txn_col = "r.id" if kind == "payment" else "r.transaction_id"
        refund_col = "NULL" if kind == "payment" else "r.id"
        our_no = "r.transaction_no" if kind == "payment" else "COALESCE(t2.transaction_no, '')"
        extra_join = "" if kind == "payment" else f"LEFT JOIN {TX} t2 ON t2.id = r.transaction_id "
        refund_no = "''" if kind == "payment" else "bl.refund_no"

        def line_insert(
            outcome: str,
            disc_kind: str,
            status: str,
            detail: str,
            diff: str,
            where: str = "",
            params=(),
            held=None,
            cleared=False,
        ):
            sql.run(
                _INSERT + f"SELECT %s, %s, %s, %s, %s, bl.id, {txn_col}, {refund_col}, r.order_id, "
                f"r.region_id, CASE WHEN bl.transaction_no <> '' THEN bl.transaction_no "
                f"ELSE COALESCE({our_no}, '') END, {refund_no}, bl.channel_trade_no, "
                f"bl.channel_refund_no, r.{amount}, bl.amount, {diff}, %s, %s, %s, '', '{{}}', "
                f"%s, %s FROM {BL} bl LEFT JOIN {t} r ON r.id = bl.{link} {extra_join}"
                f"WHERE bl.reconciliation_id = %s AND bl.kind = %s AND bl.outcome = %s {where}",
                [
                    rid,
                    disc_kind,
                    status,
                    channel,
                    sql.d(day),
                    detail,
                    held,
                    rid if cleared else None,
                    sql.dt(now),
                    sql.dt(now),
                    rid,
                    kind,
                    outcome,
                    *params,
                ],
            )

        line_insert(
            side["channel_only"],
            side["channel_only"],
            D.OPEN,
            _("On the channel's bill; no such record here, or our record is not completed."),
            "bl.amount",
        )
        line_insert(
            side["amount_mismatch"],
            side["amount_mismatch"],
            D.OPEN,
            _("The amounts differ."),
            f"ROUND(ABS(bl.amount - r.{amount}), 2)",
            where="AND bl.channel_status NOT LIKE %s" if kind == "refund" else "",
            params=[NOT_SUCCEEDED] if kind == "refund" else [],
        )
        if kind == "refund":
            line_insert(
                side["amount_mismatch"],
                side["platform_only"],
                D.OPEN,
                _(
                    "Our refund succeeded; the channel reports it as not succeeded "
                    "(its refund status is on the bill line)."
                ),
                f"r.{amount}",
                where="AND bl.channel_status LIKE %s",
                params=[NOT_SUCCEEDED],
            )
        line_insert(
            "duplicate",
            K.DUPLICATE,
            D.OPEN,
            _("The same number appears more than once."),
            "bl.amount",
        )
        fee = side["fee"]
        line_insert(
            "matched",
            K.FEE_MISMATCH,
            D.OPEN,
            _("The fee differs from ours."),
            f"ROUND(ABS(bl.fee_amount - r.{fee}), 2)",
            where=f"AND ROUND(ABS(bl.fee_amount - r.{fee}), 2) > %s",
            params=[sql.num(tolerance)],
        )
        # the counterpart in a live neighbouring run: its held cross-day item, the same
        # already cleared (this day is re-done), or the item escalation opened (the days
        # ran out of order: a neighbour re-done or retried later)
        counterpart = (
            f"EXISTS (SELECT 1 FROM {DI} h WHERE ((h.kind = 'cross_day' AND h.status IN "
            "('held', 'cleared')) OR (h.kind = %s AND h.status = 'open')) "
            f"AND h.{link} = {{ours}} AND {side['own']} AND h.bill_line_id IS {{line}} "
            f"AND h.reconciliation_id IN ({live_neighbours}))"
        )
        counterpart_line = counterpart.format(ours=f"bl.{link}", line="NULL")
        live_neighbour_params = [side["platform_only"], channel, *neighbours, rid]
        line_insert(
            "cross_day",
            K.CROSS_DAY,
            D.CLEARED,
            _("Cross-day: the neighbouring day's bill shows the counterpart."),
            "bl.amount",
            where=f"AND {counterpart_line}",
            params=live_neighbour_params,
            cleared=True,
        )
        line_insert(
            "cross_day",
            K.CROSS_DAY,
            D.HELD,
            _("Cross-day: our record is on the neighbouring day; held for that day's bill."),
            "bl.amount",
            where=f"AND NOT {counterpart_line} AND r.{at} >= %s AND r.{at} < %s",
            params=[*live_neighbour_params, sql.dt(prev0), sql.dt(next1)],
            held=held_until,
        )
        line_insert(
            "cross_day",
            K.CROSS_DAY,
            D.OPEN,
            _("Our record is on another day than the bill's."),
            "bl.amount",
            where=f"AND NOT {counterpart_line} AND (r.{at} < %s OR r.{at} >= %s)",
            params=[*live_neighbour_params, sql.dt(prev0), sql.dt(next1)],
        )

        # 4. our side: done on the bill's day, on no line of this bill
        our_txn = "r.id" if kind == "payment" else "r.transaction_id"
        our_refund = "NULL" if kind == "payment" else "r.id"
        our_tno = "r.transaction_no" if kind == "payment" else "COALESCE(t2.transaction_no, '')"
        our_rno = "''" if kind == "payment" else "r.refund_no"
        our_ctno = (
            "r.channel_trade_no" if kind == "payment" else "COALESCE(t2.channel_trade_no, '')"
        )
        our_crno = "''" if kind == "payment" else "r.channel_refund_no"
        base_where = (
            f"WHERE r.channel = %s AND r.status IN ({done_in}) AND r.{at} >= %s AND r.{at} < %s "
            f"AND NOT EXISTS (SELECT 1 FROM {BL} bl WHERE bl.reconciliation_id = %s "
            f"AND bl.{link} = r.id) "
        )
        base_params = [channel, *done, sql.dt(d0), sql.dt(d1), rid]
        counterpart_ours = counterpart.format(ours="r.id", line="NOT NULL")
        live_neighbour_params = [side["channel_only"], channel, *neighbours, rid]

        def ours_insert(disc_kind, status, detail, where, params, held=None, cleared=False):
            sql.run(
                _INSERT + f"SELECT %s, %s, %s, %s, %s, NULL, {our_txn}, {our_refund}, r.order_id, "
                f"r.region_id, {our_tno}, {our_rno}, {our_ctno}, {our_crno}, r.{amount}, NULL, "
                f"r.{amount}, %s, %s, %s, '', '{{}}', %s, %s FROM {t} r {extra_join}"
                + base_where
                + where,
                [
                    rid,
                    disc_kind,
                    status,
                    channel,
                    sql.d(day),
                    detail,
                    held,
                    rid if cleared else None,
                    sql.dt(now),
                    sql.dt(now),
                    *base_params,
                    *params,
                ],
            )

        ours_insert(
            K.CROSS_DAY,
            D.CLEARED,
            _("Cross-day: the neighbouring day's bill shows it."),
            f"AND {counterpart_ours}",
            live_neighbour_params,
            cleared=True,
        )
        ours_insert(
            K.CROSS_DAY,
            D.HELD,
            _("Close to midnight and not on this bill: held for the next day's bill."),
            f"AND NOT {counterpart_ours} AND (r.{at} >= %s OR r.{at} < %s)",
            [*live_neighbour_params, sql.dt(near_end), sql.dt(near_start)],
            held=held_until,
        )
        ours_insert(
            side["platform_only"],
            D.OPEN,
            _("Completed here; not on the channel's bill."),
            f"AND NOT {counterpart_ours} AND r.{at} < %s AND r.{at} >= %s",
            [*live_neighbour_params, sql.dt(near_end), sql.dt(near_start)],
        )

        # 5. the neighbouring runs' held items this run's bill or records answered
        cleared = transition_update(
            Discrepancy.objects.filter(
                status=D.HELD,
                kind=K.CROSS_DAY,
                reconciliation__kind=Reconciliation.Kind.PAYMENT_BILL,
                reconciliation__channel=channel,
                reconciliation__status=Reconciliation.Status.DONE,
                reconciliation__superseded_by__isnull=True,
                reconciliation__bill_date__in=[
                    day - timedelta(days=1),
                    day + timedelta(days=1),
                ],
                refund__isnull=kind == "payment",
                **{
                    f"{link}__in": Discrepancy.objects.filter(
                        reconciliation=run,
                        kind=K.CROSS_DAY,
                        status=D.CLEARED,
                        refund__isnull=kind == "payment",
                    ).values(link)
                },
            ),
            D.CLEARED,
            cleared_by=run,
        )
        # … and the items escalation opened for the same records (days out of order)
        for opened, line_null in ((side["platform_only"], True), (side["channel_only"], False)):
            cleared += transition_update(
                Discrepancy.objects.filter(
                    status=D.OPEN,
                    kind=opened,
                    bill_line__isnull=line_null,
                    adjustments__isnull=True,
                    reconciliation__kind=Reconciliation.Kind.PAYMENT_BILL,
                    reconciliation__channel=channel,
                    reconciliation__status=Reconciliation.Status.DONE,
                    reconciliation__superseded_by__isnull=True,
                    reconciliation__bill_date__in=[
                        day - timedelta(days=1),
                        day + timedelta(days=1),
                    ],
                    **{
                        f"{link}__in": Discrepancy.objects.filter(
                            reconciliation=run,
                            kind=K.CROSS_DAY,
                            status=D.CLEARED,
                            bill_line__isnull=not line_null,
                            refund__isnull=kind == "payment",
                        ).values(link)
                    },
                ),
                D.CLEARED,
                kind=K.CROSS_DAY,
                cleared_by=run,
            )
        if cleared and actor is not None:
            audit(
                actor=actor,
                action="reconciliation.cross_day_cleared",
                target=run,
                data={"kind": kind, "cleared": cleared},
            )

    summary = _summary(sql, run)
    totals = _totals(sql, run, bill_totals, d0, d1)
    return summary, totals


def _escalate(sql: _Sql, run: Reconciliation, actor) -> None:
    """Held items past ``held_until`` open as what they really are."""
    # only once the day an item waits for has been reconciled (a live done run): a day
    # retried after its neighbour must still find the item held
    held = Discrepancy.objects.filter(
        status=D.HELD,
        kind=K.CROSS_DAY,
        channel=run.channel,
        held_until__lt=run.bill_date,
        reconciliation__superseded_by__isnull=True,
    ).filter(
        Exists(
            Reconciliation.objects.filter(
                kind=Reconciliation.Kind.PAYMENT_BILL,
                channel=run.channel,
                status=Reconciliation.Status.DONE,
                superseded_by__isnull=True,
                bill_date=OuterRef("held_until"),
            )
        )
    )
    moved = {}
    for kind, filters in (
        (K.CHANNEL_ONLY, {"bill_line__isnull": False, "refund__isnull": True}),
        (K.REFUND_CHANNEL_ONLY, {"bill_line__isnull": False, "refund__isnull": False}),
        (K.PLATFORM_ONLY, {"bill_line__isnull": True, "refund__isnull": True}),
        (K.REFUND_PLATFORM_ONLY, {"bill_line__isnull": True, "refund__isnull": False}),
    ):
        count = transition_update(held.filter(**filters), D.OPEN, kind=kind)
        if count:
            moved[kind.value] = count
    if moved and actor is not None:
        audit(actor=actor, action="reconciliation.escalate", target=run, data=moved)


def _summary(sql: _Sql, run: Reconciliation) -> dict:
    summary = dict.fromkeys(SUMMARY_KEYS, 0)
    for outcome, count in sql.rows(
        f"SELECT outcome, COUNT(*) FROM {BL} WHERE reconciliation_id = %s AND outcome = "
        "'matched' GROUP BY outcome",
        [run.pk],
    ):
        summary[outcome] = count
    for kind, count in sql.rows(
        f"SELECT kind, COUNT(*) FROM {DI} WHERE reconciliation_id = %s GROUP BY kind", [run.pk]
    ):
        summary[kind] = count
    return summary


def _totals(sql: _Sql, run: Reconciliation, bill_totals, d0: datetime, d1: datetime) -> dict:
    by_outcome: dict[str, dict[str, str]] = {"payment": {}, "refund": {}}
    lines = {"payment": [0, Decimal(0)], "refund": [0, Decimal(0)]}
    fees = Decimal(0)
    settle = Decimal(0)
    for kind, outcome, count, amount, fee, settle_sum in sql.rows(
        f"SELECT kind, outcome, COUNT(*), SUM(amount), SUM(fee_amount), SUM(settle_amount) "
        f"FROM {BL} WHERE reconciliation_id = %s GROUP BY kind, outcome",
        [run.pk],
    ):
        by_outcome[kind][outcome or "pending"] = str(_money(amount))
        lines[kind][0] += count
        lines[kind][1] += _money(amount)
        if kind == "payment":
            fees += _money(fee)
            settle += _money(settle_sum)
        else:
            fees -= _money(fee)
    ours = {}
    for kind, side in SIDES.items():
        done_in = ", ".join(["%s"] * len(side["done"]))
        count, amount = sql.rows(
            f"SELECT COUNT(*), SUM({side['amount']}) FROM {side['table']} WHERE channel = %s "
            f"AND status IN ({done_in}) AND {side['at']} >= %s AND {side['at']} < %s",
            [run.channel, *side["done"], sql.dt(d0), sql.dt(d1)],
        )[0]
        ours[kind] = {"count": count, "amount": str(_money(amount))}
    tie_out = {}
    # our side: every done record of the day is on a line of this bill (matched, amounts
    # differ, duplicate) or has an item of this run without a line (platform_only, the
    # refund's platform_only, cross_day) — a classification bug leaves one unaccounted
    for kind, side in SIDES.items():
        done_in = ", ".join(["%s"] * len(side["done"]))
        link, amount = side["link"], side["amount"]
        # set-based: the records accounted for, as one hashed set (a correlated EXISTS
        # per record took minutes at a million lines)
        total, accounted_count, accounted_amount = sql.rows(
            f"WITH accounted AS (SELECT bl.{link} AS id FROM {BL} bl "
            "WHERE bl.reconciliation_id = %s AND bl.kind = %s "
            f"AND bl.{link} IS NOT NULL AND bl.outcome IN ('matched', %s, 'duplicate') "
            f"UNION SELECT h.{link} AS id FROM {DI} h WHERE h.reconciliation_id = %s "
            f"AND h.{link} IS NOT NULL AND h.bill_line_id IS NULL AND {side['own']}) "
            "SELECT COUNT(*), SUM(CASE WHEN a.id IS NOT NULL THEN 1 ELSE 0 END), "
            f"SUM(CASE WHEN a.id IS NOT NULL THEN r.{amount} ELSE 0 END) "
            f"FROM {side['table']} r LEFT JOIN accounted a ON a.id = r.id "
            f"WHERE r.channel = %s AND r.status IN ({done_in}) AND r.{side['at']} >= %s "
            f"AND r.{side['at']} < %s",
            [
                run.pk,
                kind,
                side["amount_mismatch"],
                run.pk,
                run.channel,
                *side["done"],
                sql.dt(d0),
                sql.dt(d1),
            ],
        )[0]
        tie_out[f"ours_{kind}"] = {
            "ours": str(ours[kind]["amount"]),
            "classified": str(_money(accounted_amount)),
            "ok": total == (accounted_count or 0)
            and _money(accounted_amount) == Decimal(ours[kind]["amount"]),
        }
    bill_figures = bill_totals.as_json() if bill_totals is not None else None
    for kind, classes in (
        ("payment", ("matched", "amount_mismatch", "channel_only", "cross_day", "duplicate")),
        (
            "refund",
            ("matched", "refund_amount_mismatch", "refund_channel_only", "cross_day", "duplicate"),
        ),
    ):
        classified = sum((Decimal(by_outcome[kind].get(c, "0")) for c in classes), Decimal(0))
        stated = (
            Decimal(bill_figures[f"{kind}_amount"]) if bill_figures is not None else lines[kind][1]
        )
        tie_out[kind] = {
            "bill": str(stated),
            "classified": str(_money(classified)),
            "ok": classified == stated == lines[kind][1],
        }
    totals = {
        "bill": bill_figures or {},
        "lines": {
            "payment_count": lines["payment"][0],
            "payment_amount": str(lines["payment"][1]),
            "settle_amount": str(settle),
            "refund_count": lines["refund"][0],
            "refund_amount": str(lines["refund"][1]),
            "fee_amount": str(fees),
        },
        "ours": ours,
        "matched": {
            "payment_amount": by_outcome["payment"].get("matched", "0.00"),
            "refund_amount": by_outcome["refund"].get("matched", "0.00"),
        },
        "by_outcome": by_outcome,
        "tie_out": tie_out,
    }
    if not all(item["ok"] for item in tie_out.values()):
        raise TieOutFailed(
            _("The totals do not tie out: %(detail)s") % {"detail": tie_out},
        )
    return totals
