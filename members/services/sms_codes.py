"""SMS verification codes (注册验证码): send one, check one.

Storage: a code is kept only as a keyed hash (``crypto.lookup_hash(code,
purpose="sms:<purpose>:<phone>")``, HMAC-SHA256 under ``PII_LOOKUP_KEY``) beside the
phone's lookup hash; neither the code nor the phone is in the database in plaintext.

Delivery: the plaintext code lives only in memory between generation and the SMS
adapter (``members.notifications``), which is called once, right after the row
commits. It does not go through the notification outbox: an outbox row needs a member
(there is none before registration) and would keep the code in its payload, and a code
valid for a few minutes gains nothing from the outbox's retries. A failed delivery is
logged (without the phone) and the caller still gets 202: the person asks again after
the minimum interval.

No account enumeration: asking for a registration code for a phone that is already
registered answers exactly like any other request (202), is rate limited and counted
the same way, and sends nothing.
"""

from __future__ import annotations

import hmac
import logging
import secrets
from datetime import timedelta

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from mall.core.audit import audit
from mall.core.context import current_client_ip, current_device_id
from mall.core.guard import guard_or_raise
from mall.core.masking import mask_phone
from ops.parameters import get_parameters

from .. import crypto
from ..exceptions import InvalidSmsCode, InvalidSmsPurpose
from ..models import Member, SmsCode
from ..notifications import DeliveryError, OutgoingMessage, adapter_for
from ..parameters import SMS_CODE_MAX_ATTEMPTS, SMS_CODE_TTL_MINUTES
from ..signals import send_on_commit, sms_code_sent
from ..validators import normalize_phone

logger = logging.getLogger(__name__)

CODE_DIGITS = 6
SMS_CODE_KIND = "sms_code"  # the SMS template key (settings.SMS_TEMPLATES["sms_code"])


def _code_hash(*, phone: str, purpose: str, code: str) -> str:
    return crypto.lookup_hash(code, purpose=f"sms:{purpose}:{phone}")


def _purpose(purpose: str) -> str:
    if purpose not in SmsCode.Purpose.values:
        raise InvalidSmsPurpose(fields={"purpose": [str(InvalidSmsPurpose.default_message)]})
    return purpose


def _deliver(*, phone: str, code: str, ttl_minutes: int) -> None:
    adapter = adapter_for("sms")
    if adapter is None:
        logger.warning("no SMS adapter configured: verification code not delivered")
        return
    message = OutgoingMessage(
        notification_id=0,
        member_id=0,
        kind=SMS_CODE_KIND,
        channel="sms",
        payload={"code": code, "minutes": str(ttl_minutes)},
        phone=phone,
    )
    try:
        adapter.send(message)
    except DeliveryError as exc:
        logger.warning("SMS verification code not delivered: %s", exc)


def sms_code_send(
    *, actor, phone: str, purpose: str, client_ip: str | None = None, device_id: str | None = None
) -> SmsCode | None:
    """Send a verification code to ``phone`` for ``purpose``; return its row (None when
    nothing was sent because the phone is already registered).

    Risk control is asked first (``member.sms_code``: per phone / IP / device limits and
    the minimum interval; 429 ``rate_limited``, nothing written). ``actor`` is None (an
    anonymous storefront visitor). Audited as ``member.sms_code_send`` (masked phone,
    never the code); risk counts the send through ``sms_code_sent`` after commit.
    """
    phone = normalize_phone(phone)
    purpose = _purpose(purpose)
    client_ip = client_ip or current_client_ip()
    device_id = device_id or current_device_id()
    guard_or_raise(
        "member.sms_code", phone=phone, purpose=purpose, client_ip=client_ip, device_id=device_id
    )
    values = get_parameters((SMS_CODE_TTL_MINUTES,))
    ttl = int(values[SMS_CODE_TTL_MINUTES])
    phone_hash = crypto.lookup_hash(phone)
    registered = (
        purpose == SmsCode.Purpose.REGISTER
        and Member.objects.filter(phone_hash=phone_hash).exists()
    )
    signal_kwargs = {
        "phone": phone,
        "purpose": purpose,
        "client_ip": client_ip,
        "device_id": device_id,
    }
    with transaction.atomic():
        row = None
        if not registered:
            # one live code per phone and purpose: a new one kills the older ones
            max_attempts = int(get_parameters((SMS_CODE_MAX_ATTEMPTS,))[SMS_CODE_MAX_ATTEMPTS])
            SmsCode.objects.filter(
                phone_hash=phone_hash, purpose=purpose, used_at__isnull=True
            ).update(attempts=max_attempts)
            code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
            row = SmsCode.objects.create(
                phone_hash=phone_hash,
                purpose=purpose,
                code_hash=_code_hash(phone=phone, purpose=purpose, code=code),
                expires_at=timezone.now() + timedelta(minutes=ttl),
                client_ip=client_ip or None,
                device_id=(device_id or "")[:128],
            )
        audit(
            actor=actor,
            action="member.sms_code_send",
            target=row,
            object_type="" if row else SmsCode._meta.label_lower,
            data={
                "purpose": purpose,
                "phone_masked": mask_phone(phone),
                "sent": row is not None,
                "device_id": (device_id or "")[:128],
            },
        )
        send_on_commit(sms_code_sent, SmsCode, **signal_kwargs)
        if row is not None:
            transaction.on_commit(lambda: _deliver(phone=phone, code=code, ttl_minutes=ttl))
    return row


def sms_code_verify(*, actor, phone: str, purpose: str, code: str) -> SmsCode:
    """Check ``code`` against the newest unexpired, unused, living code of the phone.

    Right: the code is marked used (a conditional UPDATE: it is used once, even by two
    requests at once). Wrong: its ``attempts`` go up by one (conditional UPDATE); at
    ``members.sms_code_max_attempts`` the code dies. Either failure raises
    ``InvalidSmsCode`` (400 ``invalid_sms_code``). Call it outside the caller's
    transaction so a wrong guess stays counted when the caller's work rolls back.
    ``actor`` is None (the anonymous registration).
    """
    phone = normalize_phone(phone)
    purpose = _purpose(purpose)
    code = (code or "").strip()
    error = InvalidSmsCode(fields={"sms_code": [str(InvalidSmsCode.default_message)]})
    if not (len(code) == CODE_DIGITS and code.isascii() and code.isdigit()):
        raise error
    max_attempts = int(get_parameters((SMS_CODE_MAX_ATTEMPTS,))[SMS_CODE_MAX_ATTEMPTS])
    now = timezone.now()
    unused = SmsCode.objects.filter(
        phone_hash=crypto.lookup_hash(phone),
        purpose=purpose,
        used_at__isnull=True,
        expires_at__gt=now,
    )
    # Only the newest code counts: a dead newest code does not hand the guesser the
    # older ones (sending a new code kills the older ones too).
    row = unused.order_by("-id").first()
    if row is None:
        raise error
    # The guess is paid for before it is compared: one conditional UPDATE takes an
    # attempt, so parallel guesses cannot all read "0 attempts" and each get a try.
    if not unused.filter(pk=row.pk, attempts__lt=max_attempts).update(attempts=F("attempts") + 1):
        raise error
    expected = _code_hash(phone=phone, purpose=purpose, code=code)
    if not hmac.compare_digest(row.code_hash, expected):
        raise error
    if not unused.filter(pk=row.pk).update(used_at=now):
        raise error  # used by a concurrent request in between
    row.used_at = now
    return row


def sms_codes_purge(*, actor, older_than_hours: int = 24) -> int:
    """Delete codes created more than ``older_than_hours`` ago (the daily cleanup)."""
    cutoff = timezone.now() - timedelta(hours=older_than_hours)
    deleted, _ = SmsCode.objects.filter(created_at__lt=cutoff).delete()
    return deleted
