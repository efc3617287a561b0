"""Risk control's real-time rules, registered on the kernel's guard points.

Each module registers its rules with :func:`risk.rules.base.rule` at import; the app's
``ready`` imports :data:`MODULES`. What each rule does, its parameters and how to tune
it: docs/RISK_GUIDE.md.
"""

MODULES = (
    "risk.rules.accounts",  # sms_velocity, register_burst
    "risk.rules.coupons",  # coupon_velocity, coupon_multi_account
    "risk.rules.orders",  # flash_hoarding, frequent_purchase
    "risk.rules.lists",  # blacklist, marked_account (every point)
    "risk.rules.after_sales",  # refund_ratio, not_received_repeat
    "risk.rules.payments",  # payment_amount_mismatch
)
