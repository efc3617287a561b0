"""System parameters of the payments app (read with ``ops.parameters.get_parameter``).

Fee rates and settlement days per channel (seed 004 §6), when unpaid transactions are
queried and closed, refund retries, channel-health thresholds, voucher retention.
"""

from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from ops.parameters import DECIMAL, INT, register_parameter

CHANNELS_WITH_FEES = ("wechat", "alipay", "unionpay", "sandbox")


def fee_rate_key(channel: str) -> str:
    return f"payments.fee_rate_{channel}"


def settlement_days_key(channel: str) -> str:
    return f"payments.settlement_days_{channel}"


_FEE_DEFAULTS = {
    "wechat": Decimal("0.0060"),
    "alipay": Decimal("0.0060"),
    "unionpay": Decimal("0.0055"),
    "sandbox": Decimal("0.0060"),
}
_FEE_LABELS = {
    "wechat": _("WeChat Pay fee rate (0.006 = 0.6%)"),
    "alipay": _("Alipay fee rate (0.006 = 0.6%)"),
    "unionpay": _("UnionPay fee rate (0.0055 = 0.55%)"),
    "sandbox": _("Sandbox fee rate (demo)"),
}
_DAYS_DEFAULTS = {"wechat": 1, "alipay": 1, "unionpay": 1, "sandbox": 0, "balance": 0}
_DAYS_LABELS = {
    "wechat": _("WeChat Pay pays out after this many days (T+n)"),
    "alipay": _("Alipay pays out after this many days (T+n)"),
    "unionpay": _("UnionPay pays out after this many days (T+n)"),
    "sandbox": _("Sandbox pays out after this many days (T+n)"),
    "balance": _("Member balance settles after this many days (T+n)"),
}

for _channel, _rate in _FEE_DEFAULTS.items():
    register_parameter(
        fee_rate_key(_channel),
        kind=DECIMAL,
        default=_rate,
        minimum=Decimal("0"),
        maximum=Decimal("0.1"),
        description=_FEE_LABELS[_channel],
    )
for _channel, _days in _DAYS_DEFAULTS.items():
    register_parameter(
        settlement_days_key(_channel),
        kind=INT,
        default=_days,
        minimum=0,
        maximum=30,
        description=_DAYS_LABELS[_channel],
    )

QUERY_AFTER_MINUTES = "payments.query_after_minutes"
register_parameter(
    QUERY_AFTER_MINUTES,
    kind=INT,
    default=5,
    minimum=1,
    maximum=120,
    description=_("Ask the channel about a transaction still unpaid after (minutes)"),
)
REFUND_MAX_ATTEMPTS = "payments.refund_max_attempts"
register_parameter(
    REFUND_MAX_ATTEMPTS,
    kind=INT,
    default=6,
    minimum=1,
    maximum=20,
    description=_("Send a refund to the channel at most this many times before finance is told"),
)
HEALTH_WINDOW_MINUTES = "payments.health_window_minutes"
register_parameter(
    HEALTH_WINDOW_MINUTES,
    kind=INT,
    default=15,
    minimum=1,
    maximum=240,
    description=_("Channel health looks at the calls of the last (minutes)"),
)
HEALTH_MIN_SUCCESS_RATE = "payments.health_min_success_rate"
register_parameter(
    HEALTH_MIN_SUCCESS_RATE,
    kind=DECIMAL,
    default=Decimal("0.95"),
    minimum=Decimal("0"),
    maximum=Decimal("1"),
    description=_("A channel below this success rate is degraded (0.95 = 95%)"),
)
HEALTH_MAX_P95_MS = "payments.health_max_latency_p95_ms"
register_parameter(
    HEALTH_MAX_P95_MS,
    kind=INT,
    default=3000,
    minimum=100,
    maximum=60000,
    description=_("A channel slower than this (95th percentile, ms) is degraded"),
)
HEALTH_MIN_CALLS = "payments.health_min_calls"
register_parameter(
    HEALTH_MIN_CALLS,
    kind=INT,
    default=5,
    minimum=1,
    maximum=1000,
    description=_("Judge a channel's health only with at least this many calls in the window"),
)

# --- reconciliation (对账) ----------------------------------------------------------------
RECON_CROSS_DAY_MINUTES = "payments.reconciliation_cross_day_minutes"
register_parameter(
    RECON_CROSS_DAY_MINUTES,
    kind=INT,
    default=30,
    minimum=0,
    maximum=720,
    description=_(
        "Reconciliation: a record this close to midnight that the day's bill lacks is held "
        "for the next day's bill (minutes)"
    ),
)
RECON_MAX_BILL_MB = "payments.reconciliation_max_bill_mb"
register_parameter(
    RECON_MAX_BILL_MB,
    kind=INT,
    default=1024,
    minimum=1,
    maximum=4096,
    description=_("Reconciliation: largest bill file accepted (MB)"),
)
RECON_FEE_TOLERANCE = "payments.reconciliation_fee_tolerance"
register_parameter(
    RECON_FEE_TOLERANCE,
    kind=DECIMAL,
    default=Decimal("0.01"),
    minimum=Decimal("0"),
    maximum=Decimal("1"),
    description=_(
        "Reconciliation: a line's fee may differ from the channel's rate by this much (yuan)"
    ),
)
