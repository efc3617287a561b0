"""Reconciliation runs (docs/RECONCILIATION.md "Runs"): start, execute, the daily schedule.

* :func:`reconciliation_start` records a run (``queued``) for one bill — uploaded by
  finance or to be downloaded — and enqueues ``payments.tasks.run_reconciliation`` on
  the heavy queue once the transaction commits. One run in flight per bill (the partial
  unique constraint): a second start answers 409 ``reconciliation_running``.
* :func:`reconciliation_execute` is the task's body: ``running``, the file (downloaded
  through the channel adapter when the source is ``download``), parse + load + match
  in one transaction (progress through the kernel's ``ProgressReporter``), the earlier
  done run of the same bill superseded, ``done``. A malformed file or a channel error
  fails the run with nothing loaded; finance is told of failures and of open items.
* :func:`reconciliations_schedule_daily` starts yesterday's run of every reconciled,
  configured channel (the 10:00 schedule).
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from mall.core.actors import is_system_actor
from mall.core.audit import audit
from mall.core.exceptions import ApplicationError
from mall.core.filejobs import ProgressReporter
from mall.core.transitions import transition, transition_update
from ops.parameters import get_parameter

from .. import permissions as perms
from ..exceptions import (
    BillTooLarge,
    InvalidPaymentInput,
    PaymentsPermissionDenied,
    ReconciliationChannelUnsupported,
    ReconciliationNotFound,
    ReconciliationRunning,
)
from ..models import Discrepancy, Reconciliation
from ..parameters import RECON_MAX_BILL_MB
from ..reconciliation.bills import BillFormatError
from ..reconciliation.formats import RECONCILED_CHANNELS

logger = logging.getLogger(__name__)

RS = Reconciliation.Status
D = Discrepancy.Status
IN_FLIGHT = (RS.QUEUED, RS.RUNNING)
EARLIEST_BILL_DATE = date(2000, 1, 1)
LOAD_SHARE = Decimal("0.8")  # parse + load: ~80 % of the progress bar, matching the rest


def _require(actor, perm: str) -> None:
    if is_system_actor(actor):
        return
    if (
        not getattr(actor, "is_active", False)
        or not getattr(actor, "is_staff", False)
        or not actor.has_perm(perm)
    ):
        raise PaymentsPermissionDenied()


def _configured_channels() -> list[str]:
    from ..gateways import available_channels

    return [channel for channel in RECONCILED_CHANNELS if channel in available_channels()]


def _upload_bytes(upload) -> bytes:
    limit = int(get_parameter(RECON_MAX_BILL_MB)) * 1024 * 1024
    size = getattr(upload, "size", None)
    if size is not None and size > limit:
        raise BillTooLarge()
    if hasattr(upload, "seek"):
        upload.seek(0)
    data = upload.read()
    if len(data) > limit:
        raise BillTooLarge()
    return data


def _store_file(run: Reconciliation, data: bytes, name: str) -> None:
    from ..reconciliation.loader import store_bill

    store_bill(run, data, name)


def reconciliation_start(*, actor, channel: str, bill_date: date, upload=None) -> Reconciliation:
    """Record a run of ``channel``'s bill of ``bill_date`` and enqueue it.

    ``upload``: the file finance sends (source ``upload``); ``None``: downloaded from
    the channel by the task (source ``download``). Audited ``reconciliation.start``.
    """
    _require(actor, perms.RUN_RECONCILIATION)
    if channel not in RECONCILED_CHANNELS or channel not in _configured_channels():
        raise ReconciliationChannelUnsupported(
            fields={"channel": [_("Bills of this channel cannot be reconciled.")]}
        )
    if not isinstance(bill_date, date) or isinstance(bill_date, datetime):
        raise InvalidPaymentInput(fields={"bill_date": [_("A date is required.")]})
    if bill_date < EARLIEST_BILL_DATE:
        raise InvalidPaymentInput(fields={"bill_date": [_("The date is too early.")]})
    if bill_date >= timezone.localdate():
        raise InvalidPaymentInput(
            fields={"bill_date": [_("The bill of a day is available the next day.")]}
        )
    data = None
    if upload is not None:
        from ..reconciliation.bills import sniff_upload

        size = getattr(upload, "size", None)
        if size is not None and size > int(get_parameter(RECON_MAX_BILL_MB)) * 1024 * 1024:
            raise BillTooLarge()
        # the file's head is read now, so finance hears of a wrong file at once (400
        # bill_malformed); the whole file is parsed by the job
        sniff_upload(channel, upload)
        data = _upload_bytes(upload)
    source = Reconciliation.Source.UPLOAD if data is not None else Reconciliation.Source.DOWNLOAD
    with transaction.atomic():
        try:
            with transaction.atomic():
                run = Reconciliation.objects.create(
                    kind=Reconciliation.Kind.PAYMENT_BILL,
                    channel=channel,
                    bill_date=bill_date,
                    period_end=bill_date,
                    source=source,
                    status=RS.QUEUED,
                    requested_by=None if is_system_actor(actor) else actor,
                )
        except IntegrityError:
            raise ReconciliationRunning() from None
        if data is not None:
            _store_file(run, data, getattr(upload, "name", "") or "")
        audit(
            actor=actor,
            action="reconciliation.start",
            target=run,
            data={
                "channel": channel,
                "bill_date": bill_date.isoformat(),
                "source": source,
                "file": run.bill_name,
                "sha256": run.bill_sha256,
            },
        )
        reconciliation_enqueue(actor=actor, run=run)
    return run


def reconciliation_enqueue(*, actor, run: Reconciliation) -> None:
    """Enqueue the run's task on the heavy queue when the caller's transaction commits
    (also for ``channel_funds.statement_start``). ``actor``: who started the run (the
    task itself runs as the system)."""
    from ..tasks import run_reconciliation

    run_id = run.pk
    transaction.on_commit(lambda: run_reconciliation.apply_async(args=[run_id], queue="heavy"))


def _notify(actor, run: Reconciliation, *, failed: bool) -> None:
    from ops.services.notifications import staff_notify_holders

    if failed:
        title = _("Reconciliation of %(bill)s failed: %(error)s") % {
            "bill": str(run),
            "error": run.error[:100],
        }
        kind = "payments.reconciliation_failed"
    else:
        title = _("Reconciliation of %(bill)s: %(count)s open discrepancies (%(amount)s yuan)") % {
            "bill": str(run),
            "count": run.open_count,
            "amount": f"{run.open_amount:.2f}",
        }
        kind = "payments.reconciliation_open"
    staff_notify_holders(
        actor=actor,
        permission=perms.VIEW_RECONCILIATION,
        kind=kind,
        title=title,
        body=run.error if failed else "",
        dedupe_key=f"{kind}:{run.pk}",
        # the figures are the whole bill's: only readers whose scope covers every item
        whole_of=Discrepancy,
        subject=run,  # resolved when the run's last open discrepancy is decided
    )


def _fail(actor, run_id: int, *, error: str, code: str) -> Reconciliation:
    with transaction.atomic():
        run = Reconciliation.objects.select_for_update().get(pk=run_id)
        if run.status in (RS.DONE, RS.FAILED):
            return run
        transition(
            run,
            RS.FAILED,
            actor=actor,
            action="reconciliation.fail",
            data={"error_code": code},
            error=error[:4000],
            error_code=code[:40],
            finished_at=timezone.now(),
        )
        transaction.on_commit(lambda: _notify(actor, run, failed=True))
    return run


def _supersede(actor, run: Reconciliation) -> list[int]:
    """The earlier live done run(s) of the same bill give way to ``run``."""
    same_bill = Reconciliation.objects.filter(
        kind=run.kind, status=RS.DONE, superseded_by__isnull=True, bill_date=run.bill_date
    ).exclude(pk=run.pk)
    if run.kind == Reconciliation.Kind.CHANNEL_STATEMENT:
        same_bill = same_bill.filter(
            sales_channel_id=run.sales_channel_id, period_end=run.period_end
        )
    else:
        same_bill = same_bill.filter(channel=run.channel)
    previous_ids = list(same_bill.select_for_update().values_list("pk", flat=True))
    if not previous_ids:
        return []
    Reconciliation.objects.filter(pk__in=previous_ids).update(
        superseded_by=run, updated_at=timezone.now()
    )
    moved = transition_update(
        Discrepancy.objects.filter(reconciliation_id__in=previous_ids, status__in=[D.OPEN, D.HELD]),
        D.SUPERSEDED,
    )
    from .discrepancies import adjustments_close_for_superseded

    # a proposal waiting on an item that gave way is closed, never left waiting
    adjustments_close_for_superseded(
        actor=actor,
        discrepancy_ids=Discrepancy.objects.filter(
            reconciliation_id__in=previous_ids, status=D.SUPERSEDED
        ).values_list("pk", flat=True),
    )
    audit(
        actor=actor,
        action="reconciliation.supersede",
        target=run,
        data={"superseded": previous_ids, "discrepancies": moved},
    )
    return previous_ids


def _check_header(run: Reconciliation, reader) -> None:
    """The bill is ours: WeChat's merchant number (one for every line), Alipay's account
    (#账号 begins with the configured seller id / PID). The message names no merchant id."""
    from django.conf import settings

    config = (getattr(settings, "PAYMENT_GATEWAYS", {}) or {}).get(run.channel) or {}
    header = reader.header
    other = _("The bill belongs to another merchant.")
    if run.channel == "wechat":
        expected = str(config.get("mch_id") or config.get("mchid") or "")
        stated = str(header.get("mchid") or header.get("mch_id") or "")
        if header.get("rows") and not stated:
            raise BillFormatError(_("The bill's lines are of more than one merchant."))
        if expected and stated and expected != stated:
            raise BillFormatError(other)
    elif run.channel == "alipay":
        expected = str(config.get("seller_id") or config.get("pid") or "")
        stated = str(header.get("account") or "")
        if expected and not stated.startswith(expected):
            raise BillFormatError(other)
    else:
        expected = str(config.get("mch_id") or config.get("mchid") or "")
        stated = str(header.get("mchid") or header.get("mch_id") or "")
        if expected and stated and expected != stated:
            raise BillFormatError(other)


def _recount(run_ids) -> None:
    """``open_count`` / ``open_amount`` of the runs whose items a run moved (escalated,
    cleared, superseded), each under its row lock."""
    for run in Reconciliation.objects.select_for_update().filter(pk__in=sorted(set(run_ids))):
        figures = Discrepancy.objects.filter(reconciliation=run, status=D.OPEN).aggregate(
            count=Count("pk"), amount=Sum("difference_amount")
        )
        run.open_count = figures["count"] or 0
        run.open_amount = figures["amount"] or Decimal("0.00")
        run.save(update_fields=["open_count", "open_amount", "updated_at"])


def _load_and_match(actor, run: Reconciliation, data: bytes, progress) -> tuple[dict, dict]:
    """Parse, load and match in the caller's transaction."""
    if run.kind == Reconciliation.Kind.CHANNEL_STATEMENT:
        from .channel_funds import statement_load_and_match

        return statement_load_and_match(actor=actor, run=run, data=data, progress=progress)
    from ..reconciliation.formats import bill_reader
    from ..reconciliation.loader import load_rows
    from ..reconciliation.matching import match

    reader = bill_reader(run.channel, data, bill_date=run.bill_date)
    estimate = max(1, data.count(b"\n"))
    scaled = int(estimate / LOAD_SHARE)

    def load_progress(done: int) -> None:
        progress(done, scaled)

    count = load_rows(run, reader.rows(), load_progress)
    reader.finish()
    _check_header(run, reader)
    progress(int(count), int(count / LOAD_SHARE) or 1)
    summary, totals = match(run, bill_totals=reader.declared or reader.totals, actor=actor)
    totals["line_count"] = count
    return summary, totals


def _download(run: Reconciliation) -> bytes:
    """The bill through the channel adapter (the sandbox's adapter writes its bill from
    our records: docs/RECONCILIATION.md "Sources")."""
    from ..gateways import get_gateway

    return get_gateway(run.channel).download_bill(bill_date=run.bill_date)


def reconciliation_execute(*, actor, reconciliation_id: int, task_id: str = "") -> Reconciliation:
    """Run one reconciliation to its end (the task's body); return the run.

    A run already ``done``/``failed`` is returned as it is (a redelivered task).
    """
    from ..gateways.base import ChannelError, ChannelUnavailable

    with transaction.atomic():
        run = Reconciliation.objects.select_for_update().filter(pk=reconciliation_id).first()
        if run is None:
            raise ReconciliationNotFound()
        if run.status in (RS.DONE, RS.FAILED):
            return run
        transition(
            run,
            RS.RUNNING,
            actor=actor,
            action="reconciliation.run",
            started_at=timezone.now(),
            task_id=(task_id or "")[:64],
            progress=0,
            rows_done=0,
            rows_total=None,
        )
    progress = ProgressReporter(run)
    try:
        if run.source == Reconciliation.Source.DOWNLOAD and run.kind == run.Kind.PAYMENT_BILL:
            data = _download(run)
            with transaction.atomic():
                _store_file(run, data, "")
                audit(
                    actor=actor,
                    action="reconciliation.download",
                    target=run,
                    data={"file": run.bill_name, "sha256": run.bill_sha256, "size": len(data)},
                )
        else:
            with run.bill_file.open("rb") as handle:
                data = handle.read()
        with transaction.atomic():
            started = timezone.now()
            summary, totals = _load_and_match(actor, run, data, progress)
            previous = _supersede(actor, run)
            # the final move on the run as it is now: a redelivered copy may have failed it
            run = Reconciliation.objects.select_for_update().get(pk=run.pk)
            if run.status != RS.RUNNING:
                transaction.set_rollback(True)
                return run
            touched = set(previous) | set(
                Discrepancy.objects.filter(channel=run.channel, updated_at__gte=started)
                .exclude(reconciliation=run)
                .values_list("reconciliation_id", flat=True)
            )
            open_figures = Discrepancy.objects.filter(reconciliation=run, status=D.OPEN).aggregate(
                count=Count("pk"), amount=Sum("difference_amount")
            )
            rows = int(totals.get("line_count") or run.rows_done or 0)
            transition(
                run,
                RS.DONE,
                actor=actor,
                action="reconciliation.done",
                data={"summary": summary, "superseded": previous},
                summary=summary,
                totals=totals,
                open_count=open_figures["count"] or 0,
                open_amount=open_figures["amount"] or Decimal("0.00"),
                progress=100,
                rows_done=rows,
                rows_total=rows,
                finished_at=timezone.now(),
            )
            _recount(touched)
            if run.open_count:
                transaction.on_commit(lambda: _notify(actor, run, failed=False))
    except BillFormatError as exc:
        return _fail(actor, run.pk, error=exc.message, code="bill_malformed")
    except (ChannelError, ChannelUnavailable) as exc:
        return _fail(actor, run.pk, error=getattr(exc, "message", str(exc)), code="channel_error")
    except ApplicationError as exc:
        return _fail(actor, run.pk, error=exc.message, code=exc.code or "failed")
    except Exception:
        logger.exception("reconciliation %s failed", run.pk)
        return _fail(
            actor, run.pk, error=_("The reconciliation failed unexpectedly."), code="internal_error"
        )
    finally:
        progress.close()
    return run


def reconciliations_schedule_daily(*, actor, bill_date: date | None = None) -> list[dict]:
    """Start the bill of ``bill_date`` (default: yesterday, Asia/Shanghai) of every
    reconciled and configured channel; skip a bill done or in flight. One channel's
    failure never stops the others. Returns one ``{"channel", "run" | "skipped" |
    "error"}`` per channel."""
    _require(actor, perms.RUN_RECONCILIATION)
    bill_date = bill_date or timezone.localdate() - timedelta(days=1)
    outcome = []
    for channel in _configured_channels():
        exists = Reconciliation.objects.filter(
            Q(status__in=IN_FLIGHT) | Q(status=RS.DONE, superseded_by__isnull=True),
            kind=Reconciliation.Kind.PAYMENT_BILL,
            channel=channel,
            bill_date=bill_date,
        ).exists()
        if exists:
            outcome.append({"channel": channel, "skipped": True})
            continue
        try:
            run = reconciliation_start(actor=actor, channel=channel, bill_date=bill_date)
        except ReconciliationRunning:
            outcome.append({"channel": channel, "skipped": True})
        except Exception as exc:  # one channel never stops the others
            logger.exception("reconciliation schedule: %s %s", channel, bill_date)
            outcome.append({"channel": channel, "error": str(exc)[:200]})
        else:
            outcome.append({"channel": channel, "run": run.pk})
    return outcome
