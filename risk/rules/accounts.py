"""Risk rules (accounts): SMS codes and registration; see risk/rules/__init__.py.

Both count :class:`~risk.models.RiskAttempt` rows (members' ``sms_code_sent`` and
``member_registered`` signals write one per completed send / registration, after
commit). ``sms_velocity`` counts attempts for its phone limit and minimum interval too
(not the ``SmsCode`` rows): a request for an already registered phone sends nothing and
writes no code, but it is an attempt and counts the same. Counting happens in one query
per rule (conditional aggregates over the window).
"""

from __future__ import annotations

from django.core.cache import cache
from django.db.models import Count, Q
from django.utils.translation import gettext

from mall.core.masking import mask_phone
from members import crypto

from ..models import Point
from ..parameters import (
    REGISTER_BLOCK_PER_DEVICE,
    REGISTER_BLOCK_PER_IP,
    REGISTER_REVIEW_PER_DEVICE,
    REGISTER_REVIEW_PER_IP,
    REGISTER_WINDOW_MINUTES,
    SMS_MIN_INTERVAL_SECONDS,
    SMS_PER_DEVICE_HOUR,
    SMS_PER_IP_HOUR,
    SMS_PER_PHONE_HOUR,
)
from .base import attempts, block, review, rule, since


def _where(*, client_ip, device_id, **extra) -> Q | None:
    """``Q`` matching any of the given keys (None when there is none to match)."""
    parts = [Q(**{key: value}) for key, value in extra.items() if value]
    if client_ip:
        parts.append(Q(client_ip=client_ip))
    if device_id:
        parts.append(Q(device_id=device_id))
    if not parts:
        return None
    where = parts[0]
    for part in parts[1:]:
        where |= part
    return where


def _counts(queryset, **counts: tuple[bool, Count]) -> dict[str, int]:
    """``queryset.aggregate`` of the counts whose key the request has (the others 0)."""
    wanted = {key: count for key, (present, count) in counts.items() if present}
    values = queryset.aggregate(**wanted) if wanted else {}
    return {key: values.get(key) or 0 for key in counts}


def _count(q: Q) -> Count:
    return Count("pk", filter=q)


@rule(
    Point.SMS_CODE,
    "sms_velocity",
    params=(SMS_PER_PHONE_HOUR, SMS_PER_IP_HOUR, SMS_PER_DEVICE_HOUR, SMS_MIN_INTERVAL_SECONDS),
)
def sms_velocity(*, phone, settings, client_ip=None, device_id=None, **context):
    """Block (429) over the hourly SMS code limits per phone, IP and device, or when the
    phone got a code less than the minimum interval ago."""
    phone_hash = crypto.lookup_hash(phone) if phone else ""
    where = _where(client_ip=client_ip, device_id=device_id, phone_hash=phone_hash)
    if where is None:
        return None
    interval = int(settings[SMS_MIN_INTERVAL_SECONDS])
    counts = _counts(
        attempts(Point.SMS_CODE, after=since(hours=1)).filter(where),
        phone=(bool(phone_hash), _count(Q(phone_hash=phone_hash))),
        ip=(bool(client_ip), _count(Q(client_ip=client_ip))),
        device=(bool(device_id), _count(Q(device_id=device_id))),
        recent=(
            bool(phone_hash) and interval > 0,
            _count(Q(phone_hash=phone_hash, created_at__gte=since(seconds=interval))),
        ),
    )
    over = []
    if counts["recent"]:
        over.append("interval")
    if counts["phone"] >= settings[SMS_PER_PHONE_HOUR]:
        over.append("phone")
    if counts["ip"] >= settings[SMS_PER_IP_HOUR]:
        over.append("ip")
    if counts["device"] >= settings[SMS_PER_DEVICE_HOUR]:
        over.append("device")
    # The counts above see committed sends only, so simultaneous requests could all
    # pass them: the first takes the phone's slot in the cache for the interval
    # (atomic ``add``), the others are refused at once.
    gate = f"risk:sms-gate:{phone_hash}"
    if not over and phone_hash and interval > 0 and not cache.add(gate, 1, timeout=interval):
        over.append("interval")
    if not over:
        return None
    return block(
        "sms_velocity",
        gettext("Too many SMS verification codes for this phone, IP or device."),
        rate_limited=True,
        over=over,
        window_minutes=60,
        min_interval_seconds=interval,
        counts={k: counts[k] for k in ("phone", "ip", "device", "recent")},
        limits={
            "phone": settings[SMS_PER_PHONE_HOUR],
            "ip": settings[SMS_PER_IP_HOUR],
            "device": settings[SMS_PER_DEVICE_HOUR],
        },
        phone_masked=mask_phone(phone),
        ips=[client_ip] if client_ip else [],
        devices=[device_id] if device_id else [],
    )


@rule(
    Point.REGISTER,
    "register_burst",
    params=(
        REGISTER_WINDOW_MINUTES,
        REGISTER_REVIEW_PER_IP,
        REGISTER_BLOCK_PER_IP,
        REGISTER_REVIEW_PER_DEVICE,
        REGISTER_BLOCK_PER_DEVICE,
    ),
)
def register_burst(*, settings, phone="", client_ip=None, device_id=None, **context):
    """Review, then block (429), registrations from one IP or device in the window."""
    where = _where(client_ip=client_ip, device_id=device_id)
    if where is None:
        return None  # a job or a test without a request: nothing to group by
    window = int(settings[REGISTER_WINDOW_MINUTES])
    counts = _counts(
        attempts(Point.REGISTER, after=since(minutes=window)).filter(where),
        ip=(bool(client_ip), _count(Q(client_ip=client_ip))),
        device=(bool(device_id), _count(Q(device_id=device_id))),
    )
    evidence = {
        "window_minutes": window,
        "counts": counts,
        "limits": {
            "review_ip": settings[REGISTER_REVIEW_PER_IP],
            "block_ip": settings[REGISTER_BLOCK_PER_IP],
            "review_device": settings[REGISTER_REVIEW_PER_DEVICE],
            "block_device": settings[REGISTER_BLOCK_PER_DEVICE],
        },
        "phone_masked": mask_phone(phone),
        "ips": [client_ip] if client_ip else [],
        "devices": [device_id] if device_id else [],
    }
    blocked = [
        key
        for key, limit in (
            ("ip", settings[REGISTER_BLOCK_PER_IP]),
            ("device", settings[REGISTER_BLOCK_PER_DEVICE]),
        )
        if counts[key] >= limit
    ]
    if blocked:
        return block(
            "register_burst",
            gettext("Too many registrations from this IP or device."),
            rate_limited=True,
            over=blocked,
            **evidence,
        )
    reviewed = [
        key
        for key, limit in (
            ("ip", settings[REGISTER_REVIEW_PER_IP]),
            ("device", settings[REGISTER_REVIEW_PER_DEVICE]),
        )
        if counts[key] >= limit
    ]
    if reviewed:
        # one case per burst source (the device, else the IP): each further account
        # registered from it is a sighting on that case, not a case of its own
        source = f"device:{device_id}" if "device" in reviewed else f"ip:{client_ip}"
        return review(
            "register_burst",
            gettext("Many registrations from one IP or device."),
            over=reviewed,
            case_fingerprint=f"register_burst:{source}"[:128],
            **evidence,
        )
    return None
