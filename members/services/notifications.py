"""The member notification outbox: enqueue with opt-outs, deliver with retries."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mall.core.exceptions import InvalidInput
from mall.core.transitions import transition
from ops.parameters import get_parameter

from ..models import (
    Member,
    Notification,
    NotificationChannel,
    NotificationKind,
    NotificationOptOut,
)
from ..notifications import DeliveryError, OutgoingMessage, adapter_for

RETRY_BASE_SECONDS = 60


def notification_enqueue(
    *,
    actor,
    member: Member,
    kind: str,
    channel: str,
    payload: dict,
    dedupe_key: str | None = None,
) -> Notification:
    """Put a message for ``member`` into the outbox; the delivery job sends it.

    A member who opted out of ``kind`` gets a row with status ``skipped`` (so the
    outbox shows why nothing went out). ``dedupe_key`` makes the call idempotent:
    the same key returns the first row. Other apps (orders, after-sales) call this
    for their messages; it does not send anything itself. ``actor`` (the service
    or job asking) is not audited: the outbox row is the record.
    """
    if kind not in NotificationKind.values:
        raise InvalidInput(fields={"kind": [str(_("Unknown notification kind."))]})
    if channel not in NotificationChannel.values:
        raise InvalidInput(fields={"channel": [str(_("Unknown notification channel."))]})
    if dedupe_key:
        existing = Notification.objects.filter(dedupe_key=dedupe_key).first()
        if existing is not None:
            return existing
    opted_out = NotificationOptOut.objects.filter(member=member, kind=kind).exists()
    try:
        with transaction.atomic():
            return Notification.objects.create(
                member=member,
                kind=kind,
                channel=channel,
                payload=payload,
                dedupe_key=dedupe_key or None,
                status=Notification.Status.SKIPPED if opted_out else Notification.Status.PENDING,
                next_attempt_at=None if opted_out else timezone.now(),
            )
    except IntegrityError:
        return Notification.objects.get(dedupe_key=dedupe_key)


def notification_deliver(
    *, actor, notification_id: int, now: datetime | None = None
) -> Notification | None:
    """Try to deliver one pending notification; return it, or None if not due/taken.

    The row is locked with ``SKIP LOCKED`` so two workers never send one message. An
    opt-out made after enqueueing still wins (status ``skipped``). The row becomes
    ``sent`` only when the channel's adapter accepted the message (returned the
    provider's id). A transient ``DeliveryError`` schedules a retry with exponential
    backoff; after ``members.notification_max_attempts`` attempts, or at once for a
    permanent one (no adapter configured for the channel, no template, a number the
    provider refuses), the row is ``failed`` with the reason in ``last_error``. Every
    status change is a transition audited as ``notification.<status>`` by ``actor``
    (the delivery job's system actor).
    """
    now = now or timezone.now()
    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update(skip_locked=True)
            .filter(pk=notification_id, status=Notification.Status.PENDING)
            .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
            .first()
        )
        if notification is None:
            return None
        if NotificationOptOut.objects.filter(
            member_id=notification.member_id, kind=notification.kind
        ).exists():
            transition(
                notification,
                Notification.Status.SKIPPED,
                actor=actor,
                action="notification.skipped",
                next_attempt_at=None,
            )
            return notification
        attempts = notification.attempts + 1
        message = OutgoingMessage(
            notification_id=notification.pk,
            member_id=notification.member_id,
            kind=notification.kind,
            channel=notification.channel,
            payload=notification.payload,
        )
        adapter = adapter_for(notification.channel)
        try:
            if adapter is None:
                raise DeliveryError(
                    f"no delivery adapter configured for channel {notification.channel!r}",
                    permanent=True,
                )
            provider_id = adapter.send(message)
        except DeliveryError as exc:
            error = str(exc)[:500]  # the adapter's reason, shortened for the column
            if exc.permanent or attempts >= get_parameter("members.notification_max_attempts"):
                transition(
                    notification,
                    Notification.Status.FAILED,
                    actor=actor,
                    action="notification.failed",
                    attempts=attempts,
                    last_error=error,
                    next_attempt_at=None,
                )
            else:
                delay = RETRY_BASE_SECONDS * 2 ** (attempts - 1)
                notification.attempts = attempts
                notification.last_error = error
                notification.next_attempt_at = now + timedelta(seconds=delay)
                notification.save(update_fields=["attempts", "last_error", "next_attempt_at"])
        else:
            transition(
                notification,
                Notification.Status.SENT,
                actor=actor,
                action="notification.sent",
                attempts=attempts,
                sent_at=now,
                provider_message_id=str(provider_id)[:100],  # the provider's id, as given
                next_attempt_at=None,
            )
    return notification
