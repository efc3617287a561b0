"""Delivery adapters for member notifications: one interface, one adapter per channel.

The default adapters record the message (log line + ``sent_messages`` in memory)
instead of sending it, so the demo and the tests never text real people. Production
registers real adapters (an SMS gateway, a push service, SMTP) in an app's
``ready()`` with :func:`register_adapter`. An adapter raises
:class:`DeliveryError` for a transient failure; the delivery job retries with backoff.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass

from django.core.mail import send_mail

logger = logging.getLogger(__name__)


class DeliveryError(Exception):
    """The channel did not take the message; try again later."""


@dataclass(frozen=True)
class OutgoingMessage:
    notification_id: int
    member_id: int
    kind: str
    channel: str
    payload: dict


class NotificationAdapter:
    """Deliver one message on one channel; return the provider's message id."""

    channel: str = ""

    def send(self, message: OutgoingMessage) -> str:  # pragma: no cover - interface
        raise NotImplementedError


sent_messages: list[OutgoingMessage] = []


class RecordingAdapter(NotificationAdapter):
    """Record instead of sending (the default for every channel)."""

    def __init__(self, channel: str) -> None:
        self.channel = channel

    def send(self, message: OutgoingMessage) -> str:
        sent_messages.append(message)
        logger.info(
            "notification %s recorded (channel %s, kind %s, member %s)",
            message.notification_id,
            message.channel,
            message.kind,
            message.member_id,
        )
        return f"recorded-{uuid.uuid4().hex[:16]}"


class DjangoEmailAdapter(NotificationAdapter):
    """Send e-mail through Django's mail backend (``payload['email']`` is the address)."""

    channel = "email"

    def send(self, message: OutgoingMessage) -> str:
        address = message.payload.get("email")
        if not address:
            raise DeliveryError("no e-mail address in the payload")
        try:
            send_mail(
                message.payload.get("subject", ""),
                message.payload.get("text", ""),
                None,
                [address],
            )
        except OSError as exc:
            raise DeliveryError(str(exc)) from exc
        return f"email-{uuid.uuid4().hex[:16]}"


_adapters: dict[str, NotificationAdapter] = {}


def register_adapter(channel: str, adapter: NotificationAdapter) -> None:
    _adapters[channel] = adapter


def adapter_for(channel: str) -> NotificationAdapter:
    return _adapters.get(channel) or RecordingAdapter(channel)


def reset_adapters() -> None:
    """Forget registered adapters (tests)."""
    _adapters.clear()
