"""Risk rules (coupons): claim velocity and coupon farming; see risk/rules/__init__.py.

Both count :class:`~risk.models.RiskAttempt` rows of ``coupon.claim`` (members'
``coupon_claimed`` signal writes one per completed claim, after commit, with
``ref="coupon_template:<id>"`` and the claimant's phone prefix).
"""

from __future__ import annotations

from django.db.models import Count, Q
from django.utils.translation import gettext

from ..models import Point
from ..parameters import (
    COUPON_ACCOUNTS_PER_DEVICE,
    COUPON_ACCOUNTS_PER_PREFIX,
    COUPON_PER_DEVICE_HOUR,
    COUPON_PER_IP_HOUR,
    COUPON_PER_MEMBER_HOUR,
)
from ..receivers import _prefix
from .accounts import _count, _counts, _where
from .base import attempts, block, review, rule, since


@rule(
    Point.COUPON_CLAIM,
    "coupon_velocity",
    params=(COUPON_PER_MEMBER_HOUR, COUPON_PER_DEVICE_HOUR, COUPON_PER_IP_HOUR),
)
def coupon_velocity(*, member, settings, client_ip=None, device_id=None, **context):
    """Block (429) over the hourly claims per account, device and IP (any template)."""
    member_id = getattr(member, "pk", None)
    where = _where(client_ip=client_ip, device_id=device_id, member_id=member_id)
    if where is None:
        return None
    counts = _counts(
        attempts(Point.COUPON_CLAIM, after=since(hours=1)).filter(where),
        member=(bool(member_id), _count(Q(member_id=member_id))),
        device=(bool(device_id), _count(Q(device_id=device_id))),
        ip=(bool(client_ip), _count(Q(client_ip=client_ip))),
    )
    limits = {
        "member": settings[COUPON_PER_MEMBER_HOUR],
        "device": settings[COUPON_PER_DEVICE_HOUR],
        "ip": settings[COUPON_PER_IP_HOUR],
    }
    over = [key for key, limit in limits.items() if counts[key] >= limit]
    if not over:
        return None
    return block(
        "coupon_velocity",
        gettext("Too many coupon claims from this account, device or IP."),
        rate_limited=True,
        over=over,
        window_minutes=60,
        counts=counts,
        limits=limits,
        members=[member_id] if member_id else [],
        ips=[client_ip] if client_ip else [],
        devices=[device_id] if device_id else [],
    )


@rule(
    Point.COUPON_CLAIM,
    "coupon_multi_account",
    params=(COUPON_ACCOUNTS_PER_DEVICE, COUPON_ACCOUNTS_PER_PREFIX),
)
def coupon_multi_account(*, member, template, settings, device_id=None, **context):
    """Block when N other accounts claimed this template on this device in 24 hours;
    review when N other accounts of this phone prefix claimed it within an hour."""
    member_id = getattr(member, "pk", None)
    ref = f"coupon_template:{getattr(template, 'pk', template)}"
    phone = getattr(member, "phone", "") or ""
    prefix = _prefix(phone)
    if not (device_id or prefix):
        return None
    others = _counts(
        attempts(Point.COUPON_CLAIM, after=since(hours=24))
        .filter(ref=ref)
        .filter(_where(client_ip=None, device_id=device_id, phone_prefix=prefix))
        .exclude(member_id=member_id),
        device=(
            bool(device_id),
            Count("member_id", filter=Q(device_id=device_id), distinct=True),
        ),
        prefix=(
            bool(prefix),
            Count(
                "member_id",
                filter=Q(phone_prefix=prefix, created_at__gte=since(hours=1)),
                distinct=True,
            ),
        ),
    )
    limits = {
        "device": settings[COUPON_ACCOUNTS_PER_DEVICE],
        "prefix": settings[COUPON_ACCOUNTS_PER_PREFIX],
    }
    evidence = {
        "template": getattr(template, "pk", None),
        "other_accounts": others,
        "limits": limits,
        "window_hours": {"device": 24, "prefix": 1},
        # a block of numbers (号段 + area), not a person; never beside a masked phone,
        # whose last four digits would complete it
        "phone_prefix": prefix,
        "members": [member_id] if member_id else [],
        "devices": [device_id] if device_id else [],
    }
    if device_id and others["device"] >= limits["device"]:
        return block(
            "coupon_multi_account",
            gettext("Many accounts claimed this coupon on one device."),
            over=["device"],
            **evidence,
        )
    if prefix and others["prefix"] >= limits["prefix"]:
        # one case per (number block, coupon): every further claim is a sighting on it
        return review(
            "coupon_multi_account",
            gettext("Many accounts of one phone number block claimed this coupon."),
            over=["prefix"],
            case_fingerprint=f"coupon_multi_account:prefix:{prefix}:{ref}",
            **evidence,
        )
    return None
