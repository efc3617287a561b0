"""Chinese labels of the codes members writes (collected by ``mall.core.labels``).

Audit actions, staff notification kinds and scheduled tasks: every code a screen
shows has a label here, so the audit log, the inbox and the schedule read in Chinese.
"""

from django.utils.translation import gettext_lazy as _

ACTION_LABELS = {
    "member.address_create": _("Address added"),
    "member.address_delete": _("Address deleted"),
    "member.address_update": _("Address changed"),
    "member.login_failed": _("Member sign-in failed"),
    "member.login": _("Member signed in"),
    "member.logout": _("Member signed out"),
    "member.register": _("Member registered"),
    "member.set_opt_outs": _("Message preferences changed"),
    "member.set_risk_mark": _("Risk mark set"),
    "member.set_status": _("Member status changed"),
    "member.update_profile": _("Member profile changed"),
    "member.verify_real_name": _("Real name verified"),
    "member.birthday_benefit": _("Birthday benefit given"),
    "member.growth": _("Growth points changed"),
    "member.level_rule_update": _("Level rule changed"),
    "member.phone_search": _("Member searched by phone"),
    "member.points_sign_in": _("Points for signing in"),
    "member.points_purchase": _("Points for a purchase"),
    "member.points_review": _("Points for a review"),
    "member.points_share": _("Points for sharing"),
    "member.points_recharge": _("Points for a recharge"),
    "member.points_birthday": _("Birthday points"),
    "member.points_checkout": _("Points used at checkout"),
    "member.points_points_mall": _("Points spent in the points mall"),
    "member.points_exchange": _("Points exchanged"),
    "member.points_refund": _("Points refunded"),
    "member.points_expiry": _("Points expired"),
    "member.points_adjustment": _("Points adjusted"),
    "coupon.claim": _("Coupon claimed"),
    "coupon.grant": _("Coupon granted"),
    "coupon.expire": _("Coupon expired"),
    "coupon.release": _("Coupon released"),
    "coupon.lock": _("Coupon locked for an order"),
    "coupon.use": _("Coupon used"),
    "coupon_template.create": _("Coupon template created"),
    "coupon_template.update": _("Coupon template changed"),
    "notification.sent": _("Message sent to a member"),
    "notification.failed": _("Message to a member failed"),
    "notification.skipped": _("Message to a member skipped"),
    "pii.rehash": _("Lookup hashes rebuilt"),
    "pii.rotate": _("Personal data key rotated"),
    # stored balance (issue 13, refunds)
    "member.balance_recharge": _("Balance recharged"),
    "member.balance_pay": _("Paid with balance"),
    "member.balance_refund": _("Refunded to balance"),
    "member.balance_adjustment": _("Balance adjusted"),
    # SMS verification codes (issue 16)
    "member.sms_code_send": _("SMS verification code sent"),
}

NOTIFICATION_KINDS = {
    "security.phone_search_burst": _("Many member phone searches"),
}

# Scheduled tasks by their schedule entry name, and job runs by their job_run name.
TASK_LABELS = {
    "members: points expiry": _("Points expiry"),
    "members: coupon expiry": _("Coupon expiry"),
    "members: notification delivery": _("Notification delivery"),
    "members: expired token purge": _("Expired token purge"),
    "members: birthday benefits": _("Birthday benefits"),
    "members: RFM segmentation": _("RFM segmentation"),
    "members.rfm_run": _("RFM segmentation"),
    # job runs (mall.core.jobs.job_run names)
    "members.points_expire_due": _("Points expiry"),
    "members.coupons_expire_due": _("Coupon expiry"),
    "members.notifications_deliver": _("Notification delivery"),
    "members.birthday_benefits": _("Birthday benefits"),
    "members.member_tokens_purge": _("Expired token purge"),
    # SMS verification codes (issue 16)
    "members: SMS code cleanup": _("SMS verification code cleanup"),
    "members.sms_codes_purge": _("SMS verification code cleanup"),
}
