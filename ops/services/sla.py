"""SLA clocks (时效): every deadline the manuals set is a row, opened and closed by services.

Other apps use this API (DESIGN.md §4 "SLA clocks")::

    from ops.services.sla import sla_clock_start, sla_clock_stop

    sla_clock_start(kind="order.review", subject=order, actor=actor, region=order.region)
    ...
    sla_clock_stop(kind="order.review", subject=order, actor=actor)            # met
    sla_clock_stop(kind="order.review", subject=order, actor=actor, outcome="cancelled")

Durations are system parameters (never literals): each kind names the parameter and
its unit when registered with :func:`ops.sla_kinds.register_sla_kind`. The per-minute job
(:func:`sla_scan`) marks overdue clocks ``breached`` and escalates each breach once.

Verdicts (``SlaClock.status``):

* stopped as ``met`` before ``due_at`` → ``met``; stopped as ``met`` after it →
  ``breached`` (the deadline was missed; ``closed_outcome`` says the work was done);
* stopped as ``cancelled`` before ``due_at`` → ``cancelled``; after it → ``breached``
  (the wait was over its time before it stopped applying);
* a clock closed before the scan saw it overdue is never escalated (the work is no
  longer waiting), but it still counts as breached.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, models, transaction
from django.db.models import Q
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext

from mall.core.audit import audit, snapshot
from mall.core.scoping import scope_queryset
from mall.core.transitions import register_transitions, transition

from ..exceptions import OpsPermissionDenied, SlaClockClosed, SlaExtensionInvalid
from ..models import SlaClock, SlaClockExtension
from ..sla_kinds import registered_sla_kinds, sla_kind
from .notifications import notifications_resolve, staff_notify

MAX_EXTENSION_MINUTES = 60 * 24 * 30

_Clock = SlaClock.Status
SLA_CLOCK_TRANSITIONS = register_transitions(
    SlaClock,
    {
        _Clock.OPEN: {_Clock.MET, _Clock.CANCELLED, _Clock.BREACHED},
        # an extension past "now" opens a breached clock again
        _Clock.BREACHED: {_Clock.OPEN},
        _Clock.MET: set(),
        _Clock.CANCELLED: set(),
    },
)
ESCALATION_PERMISSION = "ops.receive_sla_escalation"
EXTEND_PERMISSION = "ops.extend_slaclock"


def _subject_ref(subject: models.Model) -> tuple[ContentType, str]:
    if subject is None or subject.pk is None:
        raise ValueError("an SLA clock needs a saved subject")
    return ContentType.objects.get_for_model(subject, for_concrete_model=True), str(subject.pk)


def _running(kind: str, subject: models.Model, *, lock: bool = False) -> SlaClock | None:
    content_type, object_id = _subject_ref(subject)
    queryset = SlaClock.objects.filter(
        kind=kind, subject_type=content_type, subject_id=object_id, closed_at__isnull=True
    )
    if lock:
        queryset = queryset.select_for_update()
    return queryset.first()


def _clock_data(clock: SlaClock, **data) -> dict:
    subject = f"{clock.subject_type.app_label}.{clock.subject_type.model}:{clock.subject_id}"
    return {"kind": clock.kind, "subject": subject, **data}


def _audit_clock(actor, action: str, clock: SlaClock, before: dict | None, **data) -> None:
    """Audit a change of a clock that is not a status move (start, escalation)."""
    audit(
        actor=actor,
        action=action,
        target=clock,
        before=before,
        after=snapshot(clock),
        data=_clock_data(clock, **data),
    )


def sla_clock_start(
    *,
    actor,
    kind: str,
    subject: models.Model,
    started_at: datetime | None = None,
    region=None,
    owner=None,
    promotion: bool = False,
    variant: str = "",
) -> SlaClock:
    """Start the ``kind`` clock on ``subject``; return the running clock.

    Idempotent: when a clock of this kind is already running on the subject it is
    returned unchanged (also under concurrent starts, through the partial unique
    constraint). ``due_at`` = ``started_at`` + the kind's parameter (the parameter of
    the kind's ``variant`` when one is named; the promotion parameter when
    ``promotion``). ``region`` (an ``rbac.SalesRegion`` or its id)
    scopes the clock on the SLA board; ``owner`` receives the breach escalation.
    Raises ``SlaKindUnknown``. Audited as ``sla.start``.
    """
    declared = sla_kind(kind)
    started_at = started_at or timezone.now()
    content_type, object_id = _subject_ref(subject)
    region_id = getattr(region, "pk", region)
    with transaction.atomic():
        existing = _running(kind, subject)
        if existing is not None:
            return existing
        try:
            with transaction.atomic():
                clock = SlaClock.objects.create(
                    kind=kind,
                    subject_type=content_type,
                    subject_id=object_id,
                    subject_label=str(subject)[:200],
                    region_id=region_id,
                    owner=owner,
                    started_at=started_at,
                    due_at=started_at + declared.duration(promotion=promotion, variant=variant),
                )
        except IntegrityError:
            existing = _running(kind, subject)
            if existing is None:
                raise
            return existing
        extra = {"variant": variant} if variant else {}
        _audit_clock(actor, "sla.start", clock, None, promotion=promotion, **extra)
    return clock


def _close(actor, clock: SlaClock, *, outcome: str, at: datetime) -> None:
    """Close ``clock`` with its verdict (module docstring); audited as ``sla.stop``."""
    data = {**_clock_data(clock), "outcome": outcome}
    closing = {"closed_at": at, "closed_outcome": outcome}
    if clock.status == SlaClock.Status.BREACHED:  # the verdict stands; only close it
        before = snapshot(clock, ["closed_at", "closed_outcome"])
        for name, value in closing.items():
            setattr(clock, name, value)
        clock.save(update_fields=list(closing))
        audit(
            actor=actor,
            action="sla.stop",
            target=clock,
            before=before,
            after=snapshot(clock, ["closed_at", "closed_outcome"]),
            data=data,
        )
    elif at > clock.due_at:
        transition(
            clock,
            SlaClock.Status.BREACHED,
            actor=actor,
            action="sla.stop",
            data=data,
            breached_at=clock.breached_at or clock.due_at,
            **closing,
        )
    else:
        verdict = (
            SlaClock.Status.MET if outcome == SlaClock.Outcome.MET else SlaClock.Status.CANCELLED
        )
        transition(clock, verdict, actor=actor, action="sla.stop", data=data, **closing)
    # A breach notice is work until the awaited step is done: stopping the clock is that.
    notifications_resolve(actor=actor, subject=clock, kinds=["sla.breached"])


def sla_clock_stop(
    *,
    actor,
    kind: str,
    subject: models.Model,
    outcome: str = "met",
    at: datetime | None = None,
) -> SlaClock | None:
    """Stop the running ``kind`` clock on ``subject``; return it, or ``None`` if none runs.

    ``outcome`` is ``met`` (the awaited work was done) or ``cancelled`` (the wait no
    longer applies). The verdict is ``breached`` whenever the stop comes after
    ``due_at`` (see the module docstring). Idempotent: stopping again returns ``None``.
    Audited as ``sla.stop``.
    """
    if outcome not in SlaClock.Outcome.values:
        raise ValueError(f"outcome must be one of {SlaClock.Outcome.values}")
    sla_kind(kind)
    with transaction.atomic():
        clock = _running(kind, subject, lock=True)
        if clock is None:
            return None
        _close(actor, clock, outcome=outcome, at=at or timezone.now())
    return clock


def sla_clock_restart(
    *,
    actor,
    kind: str,
    subject: models.Model,
    started_at: datetime | None = None,
    region=None,
    owner=None,
    promotion: bool = False,
    variant: str = "",
) -> SlaClock:
    """Cancel the running ``kind`` clock on ``subject`` (if any) and start a fresh one.

    For waits that begin again (an order sent back to review, a new logistics event
    resetting the silence clock). Returns the new clock.
    """
    with transaction.atomic():
        previous = _running(kind, subject, lock=True)
        sla_clock_stop(kind=kind, subject=subject, actor=actor, outcome="cancelled", at=started_at)
        if previous is not None:
            region = region if region is not None else previous.region_id
            owner = owner if owner is not None else previous.owner
        return sla_clock_start(
            kind=kind,
            subject=subject,
            actor=actor,
            started_at=started_at,
            region=region,
            owner=owner,
            promotion=promotion,
            variant=variant,
        )


def sla_clock_extend(*, actor, clock: SlaClock, minutes: int, reason: str) -> SlaClock:
    """Move a running clock's deadline ``minutes`` later, with a reason (audited).

    Needs ``ops.extend_slaclock``. A breached clock whose new deadline lies in the
    future is open again, and a later breach is escalated again (once). Every
    extension is kept in ``SlaClockExtension`` with the previous deadline and status.
    Raises ``OpsPermissionDenied``, ``SlaExtensionInvalid`` (minutes not 1…43200,
    empty reason) and ``SlaClockClosed``.
    """
    if not actor.has_perm(EXTEND_PERMISSION):
        raise OpsPermissionDenied()
    reason = (reason or "").strip()
    problems: dict[str, list[str]] = {}
    if isinstance(minutes, bool) or not isinstance(minutes, int):
        problems["minutes"] = [gettext("Enter a whole number of minutes.")]
    elif not 1 <= minutes <= MAX_EXTENSION_MINUTES:
        problems["minutes"] = [
            gettext("Enter between 1 and %(max)s minutes.") % {"max": MAX_EXTENSION_MINUTES}
        ]
    if not reason:
        problems["reason"] = [gettext("A reason is required.")]
    if problems:
        raise SlaExtensionInvalid(fields=problems)
    with transaction.atomic():
        locked = SlaClock.objects.select_for_update().get(pk=clock.pk)
        if not locked.is_running:
            raise SlaClockClosed()
        previous_due, previous_status = locked.due_at, locked.status
        new_due = previous_due + timedelta(minutes=minutes)
        changes = {"due_at": new_due, "extended_minutes": locked.extended_minutes + minutes}
        data = _clock_data(locked, minutes=minutes, reason=reason)
        if locked.status == SlaClock.Status.BREACHED and new_due > timezone.now():
            transition(
                locked,
                SlaClock.Status.OPEN,
                actor=actor,
                action="sla.extend",
                data=data,
                breached_at=None,
                escalated_at=None,
                **changes,
            )
            # No longer overdue: the breach notice is not open work any more.
            notifications_resolve(actor=actor, subject=locked, kinds=["sla.breached"])
        else:
            before = snapshot(locked, list(changes))
            for name, value in changes.items():
                setattr(locked, name, value)
            locked.save(update_fields=list(changes))
            audit(
                actor=actor,
                action="sla.extend",
                target=locked,
                before=before,
                after=snapshot(locked, list(changes)),
                data=data,
            )
        SlaClockExtension.objects.create(
            clock=locked,
            minutes=minutes,
            reason=reason,
            previous_due_at=previous_due,
            new_due_at=locked.due_at,
            previous_status=previous_status,
            actor=actor,
        )
    return locked


@dataclass(frozen=True)
class ScanReport:
    breached: int
    escalated: int
    notified: int


def _escalation_candidates() -> list:
    """Active staff holding the escalation permission through a role or directly."""
    app_label, codename = ESCALATION_PERMISSION.split(".")
    permission = Permission.objects.filter(
        content_type__app_label=app_label, codename=codename
    ).first()
    if permission is None:
        return []
    return list(
        get_user_model()
        .objects.filter(Q(user_permissions=permission) | Q(groups__permissions=permission))
        .filter(is_active=True, is_staff=True)
        .distinct()
    )


def _clock_link(clock: SlaClock) -> str:
    try:
        return reverse("admin:ops_slaclock_change", args=[clock.pk])
    except NoReverseMatch:  # pragma: no cover - admin not mounted
        return ""


def sla_scan(*, actor, now: datetime | None = None, batch_size: int = 500) -> ScanReport:
    """Mark overdue running clocks breached and escalate each breach once.

    1. Every running ``open`` clock past ``due_at`` becomes ``breached`` (audited as
       ``sla.breach`` by the system actor).
    2. Every running breached clock not yet escalated is escalated: its owner and
       every active staff member holding ``ops.receive_sla_escalation`` who can see
       the clock in their data scope get a staff notification; ``escalated_at`` is
       set in the same transaction, so a second scan (or a concurrent one: rows are
       taken with ``SKIP LOCKED``) does not escalate again. The notification's
       dedupe key names the clock and its deadline as a second guard.
    Returns counts. Safe to run twice. ``actor`` is the system actor when run as a job.
    """
    now = now or timezone.now()
    breached = escalated = notified = 0

    while True:
        with transaction.atomic():
            clocks = list(
                SlaClock.objects.select_for_update(skip_locked=True)
                .select_related("subject_type")
                .filter(closed_at__isnull=True, status=SlaClock.Status.OPEN, due_at__lt=now)
                .order_by("pk")[:batch_size]
            )
            for clock in clocks:
                transition(
                    clock,
                    SlaClock.Status.BREACHED,
                    actor=actor,
                    action="sla.breach",
                    data=_clock_data(clock),
                    breached_at=clock.due_at,
                )
            breached += len(clocks)
        if len(clocks) < batch_size:
            break

    candidates = _escalation_candidates()
    kinds = registered_sla_kinds()
    while True:
        with transaction.atomic():
            clocks = list(
                SlaClock.objects.select_for_update(skip_locked=True)
                .select_related("subject_type")
                .filter(
                    closed_at__isnull=True,
                    status=SlaClock.Status.BREACHED,
                    escalated_at__isnull=True,
                )
                .order_by("pk")[:batch_size]
            )
            if not clocks:
                break
            ids = [clock.pk for clock in clocks]
            visible: dict[int, set[int]] = {}
            for user in candidates:
                visible[user.pk] = set(
                    scope_queryset(user, SlaClock.objects.filter(pk__in=ids)).values_list(
                        "pk", flat=True
                    )
                )
            for clock in clocks:
                recipients = {user.pk for user in candidates if clock.pk in visible[user.pk]}
                if clock.owner_id:
                    recipients.add(clock.owner_id)
                label = str(sla_kind(clock.kind).label) if clock.kind in kinds else clock.kind
                notified += staff_notify(
                    actor=actor,
                    recipients=recipients,
                    kind="sla.breached",
                    title=gettext("SLA breached: %(kind)s · %(subject)s")
                    % {"kind": label, "subject": clock.subject_label or clock.subject_id},
                    body=gettext("Due at %(due)s.")
                    % {"due": timezone.localtime(clock.due_at).strftime("%Y-%m-%d %H:%M")},
                    link=_clock_link(clock),
                    dedupe_key=f"sla-breach:{clock.pk}:{clock.due_at.timestamp():.0f}",
                    subject=clock,
                )
                before = snapshot(clock)
                clock.escalated_at = now
                clock.save(update_fields=["escalated_at"])
                _audit_clock(actor, "sla.escalate", clock, before, recipients=sorted(recipients))
            escalated += len(clocks)
        if len(clocks) < batch_size:
            break
    return ScanReport(breached=breached, escalated=escalated, notified=notified)
