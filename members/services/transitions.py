"""The allowed status moves of the members app, declared once (``mall.core.transitions``).

Every status below changes only through ``transition()`` (one row, audited) or
``transition_update()`` (a race-safe conditional UPDATE, audited by the caller).
Imported at startup by ``MembersConfig.ready()``.
"""

from __future__ import annotations

from mall.core.transitions import register_transitions

from ..models import Coupon, Member, Notification

# A member is frozen and unfrozen by staff; closing is final.
MEMBER_STATUS = register_transitions(
    Member,
    {
        Member.Status.ACTIVE: {Member.Status.FROZEN, Member.Status.CLOSED},
        Member.Status.FROZEN: {Member.Status.ACTIVE, Member.Status.CLOSED},
        Member.Status.CLOSED: set(),
    },
)

# Risk control and staff move the risk mark freely between its values.
MEMBER_RISK_MARK = register_transitions(
    Member,
    {
        mark: {other for other in Member.RiskMark.values if other != mark}
        for mark in Member.RiskMark.values
    },
    field="risk_mark",
)

# available → locked (an order holds it) → used (paid); locked → available (the
# order was cancelled) or expired (cancelled after the validity ended);
# available → expired (the daily job).
COUPON_STATUS = register_transitions(
    Coupon,
    {
        Coupon.Status.AVAILABLE: {Coupon.Status.LOCKED, Coupon.Status.EXPIRED},
        Coupon.Status.LOCKED: {
            Coupon.Status.USED,
            Coupon.Status.AVAILABLE,
            Coupon.Status.EXPIRED,
        },
        Coupon.Status.USED: set(),
        Coupon.Status.EXPIRED: set(),
    },
)

# The outbox: a pending message is sent, fails for good after the last attempt, or
# is skipped (the member opted out); an opted-out message starts as skipped.
NOTIFICATION_STATUS = register_transitions(
    Notification,
    {
        Notification.Status.PENDING: {
            Notification.Status.SENT,
            Notification.Status.FAILED,
            Notification.Status.SKIPPED,
        },
        Notification.Status.SENT: set(),
        Notification.Status.FAILED: set(),
        Notification.Status.SKIPPED: set(),
    },
    initial=[Notification.Status.PENDING, Notification.Status.SKIPPED],
)
