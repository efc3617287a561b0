"""E-mail through Django's SMTP backend: sent only when the SMTP server accepted it.

A minimal SMTP server (socketserver on 127.0.0.1 in a thread) stands in for the mail
relay: it accepts or refuses the recipient and keeps what it received.
"""

from __future__ import annotations

import socket
import socketserver
import threading

import pytest

from members import notifications as adapters
from members.services import notification_deliver, notification_enqueue

ADDRESS = "li.xiaolong@example.com"


class FakeSmtp(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _SmtpHandler)
        self.refuse_recipients = False
        self.received: list[dict] = []


class _SmtpHandler(socketserver.StreamRequestHandler):
    server: FakeSmtp

    def _say(self, line: str) -> None:
        self.wfile.write(f"{line}\r\n".encode())

    def handle(self) -> None:
        self._say("220 fake ESMTP")
        envelope: dict = {"rcpt": []}
        while line := self.rfile.readline():
            command = line.decode().strip()
            verb = command.split(" ", 1)[0].upper()
            if verb in ("EHLO", "HELO"):
                self._say("250 fake")
            elif verb == "MAIL":
                envelope["from"] = command
                self._say("250 OK")
            elif verb == "RCPT":
                if self.server.refuse_recipients:
                    self._say("550 5.1.1 mailbox unavailable")
                else:
                    envelope["rcpt"].append(command)
                    self._say("250 OK")
            elif verb == "DATA":
                self._say("354 go ahead")
                data = []
                while (chunk := self.rfile.readline()) not in (b".\r\n", b""):
                    data.append(chunk)
                envelope["data"] = b"".join(data).decode()
                self.server.received.append(envelope)
                envelope = {"rcpt": []}
                self._say("250 queued")
            elif verb == "QUIT":
                self._say("221 bye")
                return
            else:
                self._say("250 OK")


@pytest.fixture
def smtp_server():
    server = FakeSmtp()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def smtp_settings(settings, smtp_server):
    adapters.reset_adapters()
    settings.NOTIFICATION_ADAPTERS = {"email": "members.notifications.DjangoEmailAdapter"}
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = smtp_server.server_address[1]
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 5
    settings.DEFAULT_FROM_EMAIL = "mall@example.com"
    return settings


def _enqueue(member):
    return notification_enqueue(
        actor=None,
        member=member,
        kind="order",
        channel="email",
        payload={"email": ADDRESS, "subject": "订单已发货", "text": "您的订单 SO2026 已发货"},
    )


def test_a_message_the_smtp_server_accepted_is_sent(smtp_settings, smtp_server, member):
    delivered = notification_deliver(actor=None, notification_id=_enqueue(member).pk)
    assert delivered.status == "sent"
    [envelope] = smtp_server.received
    assert [rcpt.upper() for rcpt in envelope["rcpt"]] == [f"RCPT TO:<{ADDRESS}>".upper()]
    assert "mall@example.com" in envelope["from"]


def test_a_refused_recipient_fails_at_once_and_the_reason_hides_the_address(
    smtp_settings, smtp_server, member
):
    smtp_server.refuse_recipients = True
    delivered = notification_deliver(actor=None, notification_id=_enqueue(member).pk)
    assert (delivered.status, delivered.attempts) == ("failed", 1)
    assert delivered.last_error == "smtp: SMTPRecipientsRefused"
    assert smtp_server.received == []


def test_an_unreachable_mail_server_leaves_the_message_pending(smtp_settings, member):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        smtp_settings.EMAIL_PORT = probe.getsockname()[1]
    delivered = notification_deliver(actor=None, notification_id=_enqueue(member).pk)
    assert delivered.status == "pending"
    assert delivered.last_error == "smtp: ConnectionRefusedError"


def test_a_message_without_an_address_fails_at_once(smtp_settings, smtp_server, member):
    notification = notification_enqueue(
        actor=None, member=member, kind="order", channel="email", payload={"subject": "x"}
    )
    delivered = notification_deliver(actor=None, notification_id=notification.pk)
    assert (delivered.status, delivered.last_error) == (
        "failed",
        "no e-mail address in the payload",
    )
    assert smtp_server.received == []
