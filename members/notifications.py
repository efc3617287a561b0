"""Delivery adapters for member notifications: one interface, one adapter per channel.

Which adapter serves a channel is a setting, ``NOTIFICATION_ADAPTERS`` (channel →
dotted class path, docs/MEMBERS.md §7). With production settings
(``DJANGO_SECURE=1``) SMS goes to Alibaba Cloud SMS (:class:`AliyunSmsAdapter`) and
e-mail through Django's SMTP backend (:class:`DjangoEmailAdapter`); a channel with no
adapter is not delivered at all (the message fails, it is never marked sent). The
:class:`RecordingAdapter` (log line + ``sent_messages`` in memory) is the default only
outside production (embedded, demo, tests), and ``check --deploy`` refuses it in
production (``members.E010``). :func:`register_adapter` overrides the setting in code
(tests).

An adapter returns the provider's message id only when the provider accepted the
message; otherwise it raises :class:`DeliveryError` — transient (the delivery job
retries with backoff) or ``permanent=True`` (failed at once). The reason never
contains the recipient's phone number or address.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import smtplib
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from django.conf import settings
from django.core.mail import send_mail
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)


class DeliveryError(Exception):
    """The channel did not take the message.

    ``permanent=False``: try again later (network, throttling). ``permanent=True``:
    retrying cannot help (no template, invalid number, wrong credentials).
    """

    def __init__(self, reason: str, *, permanent: bool = False) -> None:
        super().__init__(reason)
        self.permanent = permanent


@dataclass(frozen=True)
class OutgoingMessage:
    notification_id: int
    member_id: int
    kind: str
    channel: str
    payload: dict
    # a phone given directly (an SMS verification code before the account exists);
    # empty: the member's own phone
    phone: str = ""


class NotificationAdapter:
    """Deliver one message on one channel; return the provider's message id."""

    channel: str = ""

    def __init__(self, channel: str | None = None) -> None:
        if channel:
            self.channel = channel

    def send(self, message: OutgoingMessage) -> str:  # pragma: no cover - interface
        raise NotImplementedError


sent_messages: list[OutgoingMessage] = []


class RecordingAdapter(NotificationAdapter):
    """Record instead of sending (embedded, demo and test settings only)."""

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
    """Send e-mail through Django's mail backend (``payload['email']`` is the address).

    Production settings use the SMTP backend (``EMAIL_HOST`` … from the environment);
    the message is accepted when the backend reports it sent.
    """

    channel = "email"

    def send(self, message: OutgoingMessage) -> str:
        address = message.payload.get("email")
        if not address:
            raise DeliveryError("no e-mail address in the payload", permanent=True)
        try:
            sent = send_mail(
                message.payload.get("subject", ""),
                message.payload.get("text", ""),
                None,
                [address],
            )
        except OSError as exc:  # smtplib.SMTPException is an OSError
            # The exception text may quote the address: keep only its class. A recipient
            # the server refuses for good (5xx) is not retried.
            refused = getattr(exc, "recipients", None)
            permanent = isinstance(exc, smtplib.SMTPRecipientsRefused) and all(
                code >= 500 for code, _ in (refused or {}).values()
            )
            raise DeliveryError(f"smtp: {type(exc).__name__}", permanent=permanent) from exc
        if sent != 1:
            raise DeliveryError("smtp: the mail backend did not accept the message")
        return f"email-{uuid.uuid4().hex[:16]}"


# --- Alibaba Cloud SMS (dysmsapi SendSms, RPC signature v1) -----------------------------


def aliyun_percent_encode(value: str) -> str:
    """RFC 3986 percent-encoding of UTF-8 (``A-Z a-z 0-9 - _ . ~`` stay as they are)."""
    return urllib.parse.quote(str(value), safe="~")


def aliyun_canonical_query(params: dict[str, str]) -> str:
    """The canonicalised query string: encoded ``key=value`` pairs sorted by key."""
    return "&".join(
        f"{aliyun_percent_encode(key)}={aliyun_percent_encode(params[key])}"
        for key in sorted(params)
    )


def aliyun_signature(params: dict[str, str], secret: str, *, method: str = "GET") -> str:
    """``Signature`` of an RPC request: base64(HMAC-SHA1(secret + "&", StringToSign)).

    StringToSign = ``METHOD&%2F&`` + percentEncode(canonicalised query string); the
    ``Signature`` parameter itself is not part of ``params``.
    """
    string_to_sign = "&".join(
        [method, aliyun_percent_encode("/"), aliyun_percent_encode(aliyun_canonical_query(params))]
    )
    digest = hmac.new(f"{secret}&".encode(), string_to_sign.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


# Provider codes that retrying cannot fix (configuration or recipient problems); any
# other code is retried with the job's backoff (throttling, provider hiccups).
ALIYUN_PERMANENT_CODES = frozenset(
    {
        "InvalidAccessKeyId.NotFound",
        "SignatureDoesNotMatch",
        "isv.SMS_SIGNATURE_ILLEGAL",
        "isv.SMS_TEMPLATE_ILLEGAL",
        "isv.TEMPLATE_MISSING_PARAMETERS",
        "isv.TEMPLATE_PARAMS_ILLEGAL",
        "isv.MOBILE_NUMBER_ILLEGAL",
        "isv.MOBILE_COUNT_OVER_LIMIT",
        "isv.INVALID_JSON_PARAM",
        "isv.BLACK_KEY_CONTROL_LIMIT",
        "isv.PARAM_LENGTH_LIMIT",
        "isv.PARAM_NOT_SUPPORT_URL",
        "isv.ACCOUNT_NOT_EXISTS",
        "isv.ACCOUNT_ABNORMAL",
        "isv.OUT_OF_SERVICE",
        "isv.PRODUCT_UN_SUBSCRIPT",
        "isv.DENY_IP_RANGE",
        "isv.SMS_SIGN_ILLEGAL",
    }
)


class AliyunSmsAdapter(NotificationAdapter):
    """Send SMS through Alibaba Cloud SMS (阿里云短信, ``SendSms`` of dysmsapi 2017-05-25).

    The recipient is the member's phone, decrypted at send time (it is never in the
    outbox payload). The template is ``SMS_TEMPLATES[kind]``; the payload's top-level
    values are the template parameters (``TemplateParam``, JSON, values as strings).
    Accepted = the provider answers ``{"Code": "OK"}``; its ``BizId`` becomes the
    provider message id. Anything else raises :class:`DeliveryError` naming the
    provider's ``Code`` only (its free text may echo the number).
    """

    channel = "sms"

    def __init__(self, channel: str | None = None) -> None:
        super().__init__(channel)
        self.endpoint = settings.SMS_ENDPOINT
        self.access_key_id = settings.SMS_ACCESS_KEY_ID
        self.access_key_secret = settings.SMS_ACCESS_KEY_SECRET
        self.sign_name = settings.SMS_SIGN_NAME
        self.templates = dict(settings.SMS_TEMPLATES)
        self.timeout = settings.SMS_TIMEOUT_SECONDS

    def request_params(self, *, phone: str, template: str, payload: dict) -> dict[str, str]:
        """The signed query parameters of one ``SendSms`` request."""
        template_param = {
            str(key): value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
            for key, value in payload.items()
            if value is not None
        }
        params = {
            "AccessKeyId": self.access_key_id,
            "Action": "SendSms",
            "Format": "JSON",
            "PhoneNumbers": phone,
            "RegionId": "cn-hangzhou",
            "SignName": self.sign_name,
            "SignatureMethod": "HMAC-SHA1",
            "SignatureNonce": uuid.uuid4().hex,
            "SignatureVersion": "1.0",
            "TemplateCode": template,
            "TemplateParam": json.dumps(template_param, ensure_ascii=False, separators=(",", ":")),
            "Timestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "Version": "2017-05-25",
        }
        params["Signature"] = aliyun_signature(params, self.access_key_secret)
        return params

    def send(self, message: OutgoingMessage) -> str:
        from .models import Member

        if not (self.access_key_id and self.access_key_secret and self.sign_name):
            raise DeliveryError("sms: SMS_ACCESS_KEY_ID/SECRET/SIGN_NAME not set", permanent=True)
        template = self.templates.get(message.kind)
        if not template:
            raise DeliveryError(f"sms: no template for kind {message.kind!r}", permanent=True)
        phone = message.phone
        if not phone and message.member_id:
            member = Member.objects.filter(pk=message.member_id).first()
            phone = member.phone if member is not None else ""
        if not phone:
            raise DeliveryError("sms: the member has no phone number", permanent=True)
        params = self.request_params(phone=phone, template=template, payload=message.payload)
        if urllib.parse.urlsplit(self.endpoint).scheme not in ("https", "http"):
            raise DeliveryError("sms: SMS_ENDPOINT is not an http(s) URL", permanent=True)
        url = f"{self.endpoint}?{urllib.parse.urlencode(params, quote_via=urllib.parse.quote)}"
        request = urllib.request.Request(url, headers={"Accept": "application/json"})  # noqa: S310 - scheme checked above
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                body = response.read()
        except urllib.error.HTTPError as exc:  # the provider answers errors with 4xx + JSON
            body = exc.read()
        except OSError as exc:  # URLError, timeouts, refused connections
            raise DeliveryError(f"sms: provider unreachable ({type(exc).__name__})") from exc
        try:
            answer = json.loads(body)
        except ValueError as exc:
            raise DeliveryError("sms: provider answered something that is not JSON") from exc
        code = str(answer.get("Code", "")) if isinstance(answer, dict) else ""
        if code == "OK":
            return str(answer.get("BizId") or answer.get("RequestId") or "")[:100] or "aliyun-ok"
        code = code[:100] or "no Code"
        logger.warning(
            "notification %s refused by Alibaba Cloud SMS: %s (request %s)",
            message.notification_id,
            code,
            str(answer.get("RequestId", ""))[:64] if isinstance(answer, dict) else "",
        )
        raise DeliveryError(f"aliyun: {code}", permanent=code in ALIYUN_PERMANENT_CODES)


# --- which adapter serves a channel ----------------------------------------------------

_adapters: dict[str, NotificationAdapter] = {}


def register_adapter(channel: str, adapter: NotificationAdapter) -> None:
    """Serve ``channel`` with ``adapter`` instead of the configured one (tests)."""
    _adapters[channel] = adapter


def configured_adapter_path(channel: str) -> str:
    """The dotted class path ``NOTIFICATION_ADAPTERS`` names for ``channel`` ("" = none)."""
    return (getattr(settings, "NOTIFICATION_ADAPTERS", {}) or {}).get(channel) or ""


def adapter_for(channel: str) -> NotificationAdapter | None:
    """The adapter serving ``channel``, or None when no adapter is configured for it."""
    if channel in _adapters:
        return _adapters[channel]
    path = configured_adapter_path(channel)
    if not path:
        return None
    return import_string(path)(channel)


def reset_adapters() -> None:
    """Forget registered adapters (tests)."""
    _adapters.clear()
