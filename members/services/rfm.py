"""The nightly RFM computation: one set-based statement over the orders' source SQL.

:func:`rfm_run` replaces every member's RFM row (``MemberRfm``) from the rows of the
hook ``members.rfm_source`` (``members/rfm.py``) in ONE ``INSERT … SELECT`` with window
functions, on PostgreSQL and SQLite (≥ 3.25) alike — no Python loop over members:

* recency = whole days from the member's last counted payment to the window's end;
  frequency = counted orders; monetary = what was paid and not refunded;
* scores 1–5 by ``NTILE(5)`` over each dimension (recency inverted: the most recent
  fifth scores 5); ties are broken by member id so a run is reproducible;
* the segment by above/below the window's mean of each dimension (``AVG() OVER ()``):
  R high = recency days strictly below the mean, F high / M high = strictly above;
* win-back: frequency ≤ ``members.rfm_win_back_drop_percent`` % of the previous
  window's (the equal span before), when that was ≥ ``members.rfm_win_back_min_previous``.
  Members who bought only in the previous window get a row with frequency 0 and no
  scores, so the sharpest drops are flagged too.
"""

from __future__ import annotations

import time
from datetime import date, datetime, timedelta

from django.db import connection, transaction
from django.db.models import Count, Q
from django.utils import timezone

from mall.core.actors import is_system_actor
from mall.core.audit import audit
from mall.core.exceptions import PermissionDeniedError
from ops.parameters import get_parameter

from ..models import MemberRfm, RfmRun, RfmSegment
from ..rfm import WIN_BACK_DROP_PERCENT, WIN_BACK_MIN_PREVIOUS, WINDOW_DAYS, rfm_source_sql

_EMPTY_SOURCE = (
    "SELECT CAST(NULL AS integer) AS member_id, "
    "CAST(NULL AS timestamp with time zone) AS last_paid_at, "
    "CAST(0 AS integer) AS order_count, CAST(0 AS numeric) AS monetary_amount WHERE 1 = 0"
)


def _local_midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, datetime.min.time()))


def _recency_days_sql() -> str:
    """Whole days from ``c.last_paid_at`` to the window end (the statement's parameter)."""
    if connection.vendor == "postgresql":
        return "CAST(FLOOR(EXTRACT(EPOCH FROM (%s - c.last_paid_at)) / 86400) AS integer)"
    # SQLite: integer seconds (strftime '%s'), integer division floors positive numbers
    return (
        "((CAST(strftime('%%s', %s) AS INTEGER)"
        " - CAST(strftime('%%s', c.last_paid_at) AS INTEGER)) / 86400)"
    )


def _segment_sql() -> str:
    """The CASE naming the segment of a scored row ``s`` (codes are our constants)."""
    r_high = "s.recency_days < s.r_mean"
    f_high = "s.order_count > s.f_mean"

    def by_r_and_f(value: str, develop: str, keep: str, retain: str) -> str:
        return (
            f"CASE WHEN {r_high} THEN (CASE WHEN {f_high} THEN '{value}' ELSE '{develop}' END) "
            f"ELSE (CASE WHEN {f_high} THEN '{keep}' ELSE '{retain}' END) END"
        )

    s = RfmSegment
    important = by_r_and_f(
        s.IMPORTANT_VALUE, s.IMPORTANT_DEVELOP, s.IMPORTANT_KEEP, s.IMPORTANT_RETAIN
    )
    general = by_r_and_f(s.GENERAL_VALUE, s.GENERAL_DEVELOP, s.GENERAL_KEEP, s.GENERAL_RETAIN)
    return f"CASE WHEN s.monetary_amount > s.m_mean THEN ({important}) ELSE ({general}) END"


def _statement(
    *,
    current: tuple[str, list],
    previous: tuple[str, list],
    run_id: int,
    window_end: datetime,
    percent: int,
    minimum: int,
) -> tuple[str, list]:
    q = connection.ops.quote_name
    table = q(MemberRfm._meta.db_table)
    columns = ", ".join(
        q(MemberRfm._meta.get_field(name).column)
        for name in (
            "member",
            "run",
            "last_paid_at",
            "recency_days",
            "frequency",
            "monetary_amount",
            "r_score",
            "f_score",
            "m_score",
            "segment",
            "previous_frequency",
            "is_win_back",
        )
    )
    current_sql, current_params = current
    previous_sql, previous_params = previous
    sql = f"""
WITH cur AS ({current_sql}),
prev AS ({previous_sql}),
base AS (
    SELECT c.member_id, c.last_paid_at, c.order_count, c.monetary_amount,
           {_recency_days_sql()} AS recency_days
    FROM cur c
),
scored AS (
    SELECT b.member_id, b.last_paid_at, b.order_count, b.monetary_amount, b.recency_days,
           NTILE(5) OVER (ORDER BY b.recency_days DESC, b.member_id) AS r_score,
           NTILE(5) OVER (ORDER BY b.order_count, b.member_id) AS f_score,
           NTILE(5) OVER (ORDER BY b.monetary_amount, b.member_id) AS m_score,
           AVG(b.recency_days) OVER () AS r_mean,
           AVG(b.order_count) OVER () AS f_mean,
           AVG(b.monetary_amount) OVER () AS m_mean
    FROM base b
)
INSERT INTO {table} ({columns})
SELECT s.member_id, %s, s.last_paid_at, s.recency_days, s.order_count, s.monetary_amount,
       s.r_score, s.f_score, s.m_score, {_segment_sql()},
       COALESCE(p.order_count, 0),
       (COALESCE(p.order_count, 0) >= %s AND s.order_count * 100 <= COALESCE(p.order_count, 0) * %s)
FROM scored s LEFT JOIN prev p ON p.member_id = s.member_id
UNION ALL
SELECT p.member_id, %s, NULL, NULL, 0, 0, NULL, NULL, NULL, '', p.order_count,
       (p.order_count >= %s)
FROM prev p
WHERE NOT EXISTS (SELECT 1 FROM cur c WHERE c.member_id = p.member_id)
"""  # noqa: S608 - table and column names are ours, the source SQL is the hook's, values are parameters
    adapted_end = connection.ops.adapt_datetimefield_value(window_end)
    params = [
        *current_params,
        *previous_params,
        adapted_end,
        run_id,
        minimum,
        percent,
        run_id,
        minimum,
    ]
    return sql, params


RFM_RUN_LOCK = 0x52464D  # "RFM": the advisory lock that keeps runs one at a time


def rfm_run(*, actor, run_date: date | None = None) -> RfmRun:
    """Compute every member's RFM for ``run_date`` (default today) and return the run.

    Idempotent per run date: when the date's run exists it is returned untouched; when
    a later date's run exists, that one is returned and nothing is replaced. Runs take
    turns (an advisory lock on PostgreSQL; SQLite writes one at a time). The
    window is the ``members.rfm_window_days`` days before the local midnight starting
    ``run_date``. Every member's previous result is replaced in the same transaction
    (readers see the old rows until it commits). A system job (``rfm_run_task``, the
    demo): any other actor gets ``PermissionDeniedError`` and nothing is written.
    Audited as ``member.rfm_run`` with the counts.
    """
    if not is_system_actor(actor):
        raise PermissionDeniedError()
    run_date = run_date or timezone.localdate()
    window_days = int(get_parameter(WINDOW_DAYS))
    percent = int(get_parameter(WIN_BACK_DROP_PERCENT))
    minimum = int(get_parameter(WIN_BACK_MIN_PREVIOUS))
    window_end = _local_midnight(run_date)
    window_start = window_end - timedelta(days=window_days)
    previous_start = window_start - timedelta(days=window_days)
    started = time.monotonic()
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # one run at a time: two runs would both replace every member's one row
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [RFM_RUN_LOCK])
        newer = RfmRun.objects.filter(run_date__gt=run_date).order_by("-run_date").first()
        if newer is not None:  # a late or repeated older job never replaces newer results
            return newer
        run, created = RfmRun.objects.get_or_create(
            run_date=run_date,
            defaults={
                "window_days": window_days,
                "window_start": window_start,
                "window_end": window_end,
            },
        )
        if not created:
            return run
        current = rfm_source_sql(start=window_start, end=window_end) or (_EMPTY_SOURCE, [])
        previous = rfm_source_sql(start=previous_start, end=window_start) or (_EMPTY_SOURCE, [])
        sql, params = _statement(
            current=current,
            previous=previous,
            run_id=run.pk,
            window_end=window_end,
            percent=percent,
            minimum=minimum,
        )
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                # the three NTILE orderings and the joins sort ~1M rows: in memory
                cursor.execute("SET LOCAL work_mem = '128MB'")
            table = connection.ops.quote_name(MemberRfm._meta.db_table)
            cursor.execute(f"DELETE FROM {table}")  # noqa: S608 - our table name
            cursor.execute(sql, params)
        counts = MemberRfm.objects.aggregate(
            scored=Count("pk", filter=Q(frequency__gt=0)),
            win_back=Count("pk", filter=Q(is_win_back=True)),
        )
        run.members_scored = counts["scored"]
        run.members_win_back = counts["win_back"]
        run.duration_ms = int((time.monotonic() - started) * 1000)
        run.save(update_fields=["members_scored", "members_win_back", "duration_ms"])
        audit(
            actor=actor,
            action="member.rfm_run",
            target=run,
            data={
                "run_date": run_date.isoformat(),
                "window_days": window_days,
                "members_scored": run.members_scored,
                "members_win_back": run.members_win_back,
            },
        )
    return run
