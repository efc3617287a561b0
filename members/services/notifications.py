"""The member notification outbox: enqueue with opt-outs, deliver with retries."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mall.core.exceptions import InvalidInput
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
    for their messages; it does not send anything itself.
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
    *, notification_id: int, now: datetime | None = None
) -> Notification | None:
    """Try to deliver one pending notification; return it, or None if not due/taken.

    The row is locked with ``SKIP LOCKED`` so two workers never send one message. An
    opt-out made after enqueueing still wins (status ``skipped``). A
    ``DeliveryError`` schedules a retry with exponential backoff; after
    ``members.notification_max_attempts`` attempts the row is ``failed``.
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
            notification.status = Notification.Status.SKIPPED
            notification.save(update_fields=["status"])
            return notification
        notification.attempts += 1
        message = OutgoingMessage(
            notification_id=notification.pk,
            member_id=notification.member_id,
            kind=notification.kind,
            channel=notification.channel,
            payload=notification.payload,
        )
        try:
            provider_id = adapter_for(notification.channel).send(message)
        except DeliveryError as exc:
            notification.last_error = str(exc)[:500]
            if notification.attempts >= get_parameter("members.notification_max_attempts"):
                notification.status = Notification.Status.FAILED
                notification.next_attempt_at = None
            else:
                delay = RETRY_BASE_SECONDS * 2 ** (notification.attempts - 1)
                notification.next_attempt_at = now + timedelta(seconds=delay)
        else:
            notification.status = Notification.Status.SENT
            notification.sent_at = now
            notification.provider_message_id = str(provider_id)[:100]
            notification.next_attempt_at = None
        notification.save(
            update_fields=[
                "status",
                "attempts",
                "last_error",
                "next_attempt_at",
                "sent_at",
                "provider_message_id",
            ]
        )
    return notification


def notifications_due(*, now: datetime | None = None, limit: int = 500) -> list[int]:
    """Ids of pending notifications due for an attempt, oldest first."""
    now = now or timezone.now()
    return list(
        Notification.objects.filter(status=Notification.Status.PENDING)
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )
