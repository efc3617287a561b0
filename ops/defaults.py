"""The parameters and SLA kinds ops itself declares (imported in ``OpsConfig.ready``).

SLA kinds follow DESIGN.md §4; each duration is a system parameter so ops can change
it through an approved change request. Apps that own the waits start and stop the
clocks by kind name (see ``ops.services.sla``).
"""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from mall.core import parameters as kernel_parameters

from .audit_chain import AUDIT_RETENTION_MIN_DAYS
from .parameters import INT, LIST, register_parameter
from .sla_kinds import register_sla_kind

register_parameter(
    "ops.audit_retention_days",
    kind=INT,
    default=getattr(settings, "AUDIT_RETENTION_DAYS", 365),  # env AUDIT_RETENTION_DAYS
    description=_("Audit log entries are kept for (days, at least 180)"),
    minimum=AUDIT_RETENTION_MIN_DAYS,
    maximum=3650,
)

# The kernel's own parameters (read through mall.core.parameters.kernel_parameter).
register_parameter(
    kernel_parameters.EXPORT_SYNC_MAX_ROWS,
    kind=INT,
    default=kernel_parameters.DEFAULTS[kernel_parameters.EXPORT_SYNC_MAX_ROWS],
    description=_("Exports with more rows than this run as background jobs (rows)"),
    minimum=0,
    maximum=1000000,
)
register_parameter(
    kernel_parameters.FILE_JOB_RETENTION_HOURS,
    kind=INT,
    default=kernel_parameters.DEFAULTS[kernel_parameters.FILE_JOB_RETENTION_HOURS],
    description=_("Files of export and import jobs are kept for (hours)"),
    minimum=1,
    maximum=30 * 24,
)
register_parameter(
    kernel_parameters.TWO_FACTOR_PERMISSIONS,
    kind=LIST,
    default=kernel_parameters.DEFAULTS[kernel_parameters.TWO_FACTOR_PERMISSIONS],
    description=_(
        "Staff holding any of these permissions (app.codename) must use two-factor login"
    ),
)


# (kind, label, parameter, unit, default, maximum, description)
SLA_KINDS = [
    (
        "order.unpaid",
        _("Unpaid order timeout"),
        "sla.order_unpaid_minutes",
        "minutes",
        30,
        24 * 60,
        _("Unpaid orders are cancelled after (minutes)"),
    ),
    (
        "order.review",
        _("Order review"),
        "sla.order_review_minutes",
        "minutes",
        10,
        24 * 60,
        _("Paid orders must be reviewed within (minutes)"),
    ),
    (
        "order.ship",
        _("Shipping"),
        "sla.order_ship_hours",
        "hours",
        24,
        30 * 24,
        _("Approved orders must ship within (hours)"),
    ),
    (
        "order.auto_confirm",
        _("Automatic receipt confirmation"),
        "sla.order_auto_confirm_days",
        "days",
        15,
        90,
        _("Receipt is confirmed automatically after shipping (days)"),
    ),
    (
        "after_sale.review",
        _("After-sales review"),
        "sla.after_sale_review_hours",
        "hours",
        1,
        7 * 24,
        _("After-sales requests must be reviewed within (hours)"),
    ),
    (
        "refund.execute",
        _("Refund execution"),
        "sla.refund_execute_hours",
        "hours",
        24,
        7 * 24,
        _("Approved refunds must be executed within (hours)"),
    ),
    (
        "after_sale.dispute_plan",
        _("Dispute resolution plan"),
        "sla.dispute_plan_hours",
        "hours",
        48,
        14 * 24,
        _("Disputes must get a resolution plan within (hours)"),
    ),
    (
        "review.negative_reply",
        _("Negative review reply"),
        "sla.negative_review_reply_hours",
        "hours",
        2,
        7 * 24,
        _("Negative reviews must be answered within (hours)"),
    ),
    (
        "shipment.logistics_silence",
        _("Logistics silence"),
        "sla.logistics_silence_hours",
        "hours",
        48,
        14 * 24,
        _("A shipment without a tracking update is flagged after (hours)"),
    ),
]

register_parameter(
    "sla.order_ship_promotion_hours",
    kind=INT,
    default=48,
    description=_("During a promotion, approved orders must ship within (hours)"),
    minimum=1,
    maximum=30 * 24,
)
PROMOTION_PARAMETERS = {"order.ship": "sla.order_ship_promotion_hours"}

for kind, label, parameter, unit, default, maximum, description in SLA_KINDS:
    register_parameter(
        parameter, kind=INT, default=default, description=description, minimum=1, maximum=maximum
    )
    register_sla_kind(
        kind,
        label=label,
        parameter=parameter,
        unit=unit,
        promotion_parameter=PROMOTION_PARAMETERS.get(kind),
    )
