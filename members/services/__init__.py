"""Every write of the members app. Import from here: ``from members.services import …``.

Split by topic: ``accounts`` (registration, login, profile, addresses, opt-outs),
``growth`` (growth ledger, levels), ``points`` (points ledger with lots),
``coupons`` (templates, wallet), ``notifications`` (outbox), ``benefits``
(sign-in, birthday); ``transitions`` declares the status tables. Every service
takes ``actor`` first (the member in the storefront, None for an anonymous
register/login, the system actor in jobs). Reads are in ``members.selectors``;
pure calculations in ``members.pricing``, ``members.levels``, ``members.validators``.
"""

from .accounts import (
    address_create,
    address_delete,
    address_update,
    member_login,
    member_logout,
    member_register,
    member_set_opt_outs,
    member_set_risk_mark,
    member_set_status,
    member_token_issue,
    member_token_resolve,
    member_tokens_purge,
    member_update_profile,
    member_verify_real_name,
)
from .benefits import birthday_benefits_grant, member_sign_in
from .coupons import (
    coupon_claim,
    coupon_issue,
    coupon_lock,
    coupon_release,
    coupon_template_create,
    coupon_template_update,
    coupon_use,
    coupons_expire_due,
)
from .growth import (
    growth_adjust,
    growth_record,
    growth_record_daily_login,
    growth_record_purchase,
    growth_record_review,
    growth_rollback_purchase,
    growth_rollback_review,
    level_rule_update,
)
from .notifications import notification_deliver, notification_enqueue
from .points import (
    points_adjust,
    points_deduction_quote,
    points_earn,
    points_earn_for_activity,
    points_earn_for_purchase,
    points_expire_due,
    points_expire_lot,
    points_refund,
    points_spend,
    points_spend_for_checkout,
)
from .sms_codes import sms_code_send, sms_code_verify, sms_codes_purge

__all__ = [
    "address_create",
    "address_delete",
    "address_update",
    "birthday_benefits_grant",
    "coupon_claim",
    "coupon_issue",
    "coupon_lock",
    "coupon_release",
    "coupon_template_create",
    "coupon_template_update",
    "coupon_use",
    "coupons_expire_due",
    "growth_adjust",
    "growth_record",
    "growth_record_daily_login",
    "growth_record_purchase",
    "growth_record_review",
    "growth_rollback_purchase",
    "growth_rollback_review",
    "level_rule_update",
    "member_login",
    "member_logout",
    "member_register",
    "member_set_opt_outs",
    "member_set_risk_mark",
    "member_set_status",
    "member_sign_in",
    "member_token_issue",
    "member_token_resolve",
    "member_tokens_purge",
    "member_update_profile",
    "member_verify_real_name",
    "notification_deliver",
    "notification_enqueue",
    "points_adjust",
    "points_deduction_quote",
    "points_earn",
    "points_earn_for_activity",
    "points_earn_for_purchase",
    "points_expire_due",
    "points_expire_lot",
    "points_refund",
    "points_spend",
    "points_spend_for_checkout",
    "sms_code_send",
    "sms_code_verify",
    "sms_codes_purge",
]
