"""System parameters of risk control (read with ``ops.parameters.get_parameters``).

Every rule has an on/off switch ``risk.<rule>_enabled`` and its thresholds beside it;
they change through the two-person parameter flow like every other parameter. What each
rule does and how to tune it: docs/RISK_GUIDE.md.
"""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from ops.parameters import BOOL, DECIMAL, INT, register_parameter
from ops.sla_kinds import register_sla_kind


def enabled_key(rule: str) -> str:
    return f"risk.{rule}_enabled"


# code → label of every real-time rule (the rule modules in risk/rules/ implement them)
RULES = {
    "sms_velocity": _("SMS codes per phone, IP and device"),
    "register_burst": _("Registrations from one IP or device"),
    "coupon_velocity": _("Coupon claims per account, device and IP"),
    "coupon_multi_account": _("Many accounts claiming on one device or phone prefix"),
    "flash_hoarding": _("Unpaid flash-sale orders per member and device"),
    "frequent_purchase": _("Frequent purchase of one SKU"),
    "blacklist": _("Blacklisted account, device, IP, address or phone"),
    "marked_account": _("Account with a high-risk mark"),
    "refund_ratio": _("Refund ratio over 90 days"),
    "not_received_repeat": _("Repeated not-received claims"),
    "payment_amount_mismatch": _("Payment amount mismatch reported by payments"),
}

for _code, _label in RULES.items():
    register_parameter(
        enabled_key(_code),
        kind=BOOL,
        default=True,
        description=_label,
    )


def _int(key: str, default: int, description, *, minimum: int = 1, maximum: int = 100000):
    register_parameter(
        key, kind=INT, default=default, minimum=minimum, maximum=maximum, description=description
    )
    return key


# --- SMS codes and registration -----------------------------------------------------
SMS_PER_PHONE_HOUR = _int("risk.sms_per_phone_hour", 5, _("SMS codes per phone per hour (block)"))
SMS_PER_IP_HOUR = _int("risk.sms_per_ip_hour", 20, _("SMS codes per IP per hour (block)"))
SMS_PER_DEVICE_HOUR = _int(
    "risk.sms_per_device_hour", 10, _("SMS codes per device per hour (block)")
)
SMS_MIN_INTERVAL_SECONDS = _int(
    "risk.sms_min_interval_seconds",
    60,
    _("Seconds before another SMS code to the same phone"),
    minimum=0,
    maximum=3600,
)
REGISTER_WINDOW_MINUTES = _int(
    "risk.register_window_minutes", 60, _("Registration burst window (minutes)"), maximum=1440
)
REGISTER_REVIEW_PER_IP = _int(
    "risk.register_review_per_ip", 10, _("Registrations from one IP in the window (review)")
)
REGISTER_BLOCK_PER_IP = _int(
    "risk.register_block_per_ip", 30, _("Registrations from one IP in the window (block)")
)
REGISTER_REVIEW_PER_DEVICE = _int(
    "risk.register_review_per_device", 2, _("Registrations from one device in the window (review)")
)
REGISTER_BLOCK_PER_DEVICE = _int(
    "risk.register_block_per_device", 5, _("Registrations from one device in the window (block)")
)

# --- coupon claims ------------------------------------------------------------------
COUPON_PER_MEMBER_HOUR = _int(
    "risk.coupon_per_member_hour", 10, _("Coupon claims per account per hour (block)")
)
COUPON_PER_DEVICE_HOUR = _int(
    "risk.coupon_per_device_hour", 10, _("Coupon claims per device per hour (block)")
)
COUPON_PER_IP_HOUR = _int("risk.coupon_per_ip_hour", 60, _("Coupon claims per IP per hour (block)"))
COUPON_ACCOUNTS_PER_DEVICE = _int(
    "risk.coupon_accounts_per_device",
    3,
    _("Accounts claiming the same coupon on one device in 24 hours (block)"),
)
COUPON_ACCOUNTS_PER_PREFIX = _int(
    "risk.coupon_accounts_per_prefix",
    30,
    _("Accounts of one phone prefix claiming the same coupon in one hour (review)"),
)

# --- order placement ----------------------------------------------------------------
FLASH_UNPAID_PER_MEMBER = _int(
    "risk.flash_unpaid_per_member", 3, _("Unpaid flash-sale orders one member may hold (block)")
)
FLASH_UNPAID_PER_DEVICE = _int(
    "risk.flash_unpaid_per_device", 5, _("Unpaid flash-sale orders one device may hold (block)")
)
FREQUENT_WINDOW_HOURS = _int(
    "risk.frequent_window_hours", 24, _("Frequent purchase window (hours)"), maximum=720
)
FREQUENT_ORDERS_PER_SKU = _int(
    "risk.frequent_orders_per_sku",
    5,
    _("Orders of one SKU by one member in the window (review)"),
)

# --- after-sales --------------------------------------------------------------------
REFUND_RATIO_DAYS = _int("risk.refund_ratio_days", 90, _("Refund ratio window (days)"), maximum=365)
REFUND_RATIO_MIN_ORDERS = _int(
    "risk.refund_ratio_min_orders", 3, _("Paid orders before the refund ratio counts")
)
REFUND_RATIO_REVIEW = "risk.refund_ratio_review"
register_parameter(
    REFUND_RATIO_REVIEW,
    kind=DECIMAL,
    default=Decimal("0.60"),
    minimum=Decimal("0.05"),
    maximum=Decimal("1"),
    description=_("Refunded / paid amount over the window that opens a review (0.6 = 60%)"),
)
NOT_RECEIVED_REVIEW = _int(
    "risk.not_received_review",
    2,
    _("Earlier not-received claims in 90 days that open a review"),
)

# --- daily brushing scan ------------------------------------------------------------
SCAN_WINDOW_DAYS = _int("risk.scan_window_days", 7, _("Brushing scan window (days)"), maximum=90)
RING_MIN_ACCOUNTS = _int(
    "risk.ring_min_accounts",
    4,
    _("Accounts sharing a device, IP or address in one channel that form a ring"),
    minimum=2,
)
RING_MIN_ORDERS = _int(
    "risk.ring_min_orders", 8, _("Orders of those accounts in the window that form a ring")
)

# --- housekeeping and clocks --------------------------------------------------------
ATTEMPT_RETENTION_DAYS = _int(
    "risk.attempt_retention_days", 7, _("Keep velocity attempts this many days"), maximum=90
)
CASE_HOURS = _int("sla.risk_case_hours", 24, _("Decide a risk case within (hours)"), maximum=720)

register_sla_kind("risk.case", label=_("Risk case decision"), parameter=CASE_HOURS, unit="hours")
