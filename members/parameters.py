"""System parameters of the members app (registered at import; see ops/parameters.py)."""

from __future__ import annotations

from decimal import Decimal

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from ops.parameters import DECIMAL, INT, register_parameter

LEVEL_COUNT = 7
DEFAULT_LEVEL_THRESHOLDS = (0, 500, 2000, 5000, 10000, 30000, 80000)
# Upper bounds keep an approved value usable: growth and points live in 32-bit
# integer columns and expiry dates must stay representable.
MAX_GROWTH = 1_000_000_000
MAX_GROWTH_GRANT = 100_000
MAX_POINTS_GRANT = 1_000_000


def level_threshold_key(rank: int) -> str:
    return f"members.level_threshold_vip{rank}"


for _rank, _default in enumerate(DEFAULT_LEVEL_THRESHOLDS, start=1):
    register_parameter(
        level_threshold_key(_rank),
        kind=INT,
        default=_default,
        description=format_lazy(_("Growth needed for member level VIP{rank}"), rank=_rank),
        minimum=0,
        maximum=MAX_GROWTH,
    )

# Growth (成长值) rules.
register_parameter(
    "members.growth_daily_login",
    kind=INT,
    default=5,
    description=_("Growth for the first login of a day"),
    minimum=0,
    maximum=MAX_GROWTH_GRANT,
)
register_parameter(
    "members.growth_purchase_coefficient",
    kind=DECIMAL,
    default=Decimal("1.0"),
    description=_("Purchase growth per yuan paid (growth = paid amount × coefficient)"),
    minimum=Decimal("0"),
    maximum=Decimal("100"),
)
register_parameter(
    "members.growth_review",
    kind=INT,
    default=20,
    description=_("Growth for a review of an item of at least the review minimum price"),
    minimum=0,
    maximum=MAX_GROWTH_GRANT,
)
register_parameter(
    "members.growth_photo_review",
    kind=INT,
    default=20,
    description=_("Growth for one of the first photo reviews of an item"),
    minimum=0,
    maximum=MAX_GROWTH_GRANT,
)
register_parameter(
    "members.growth_review_min_price",
    kind=DECIMAL,
    default=Decimal("20.00"),
    description=_("Minimum item price (yuan) for review growth"),
    minimum=Decimal("0"),
    maximum=Decimal("1000000"),
)
register_parameter(
    "members.growth_photo_review_first_n",
    kind=INT,
    default=10,
    description=_("Only the first N photo reviews of an item earn growth"),
    minimum=0,
    maximum=100_000,
)

# Points (积分) rules.
register_parameter(
    "members.points_expiry_days",
    kind=INT,
    default=365,
    description=_("Points expire this many days after they were earned"),
    minimum=1,
    maximum=3650,
)
register_parameter(
    "members.points_per_yuan",
    kind=INT,
    default=100,
    description=_("Points worth one yuan at checkout"),
    minimum=1,
    maximum=100_000,
)
register_parameter(
    "members.points_deduction_cap_percent",
    kind=INT,
    default=50,
    description=_("At most this share (%) of an order may be paid with points"),
    minimum=0,
    maximum=100,
)
register_parameter(
    "members.points_purchase_per_yuan",
    kind=INT,
    default=1,
    description=_("Points earned per yuan paid"),
    minimum=0,
    maximum=1000,
)
register_parameter(
    "members.sign_in_points",
    kind=INT,
    default=10,
    description=_("Points for the daily sign-in"),
    minimum=0,
    maximum=MAX_POINTS_GRANT,
)
register_parameter(
    "members.review_points",
    kind=INT,
    default=20,
    description=_("Points for a review"),
    minimum=0,
    maximum=MAX_POINTS_GRANT,
)
register_parameter(
    "members.share_points",
    kind=INT,
    default=5,
    description=_("Points for a share"),
    minimum=0,
    maximum=MAX_POINTS_GRANT,
)

# Accounts and notifications.
register_parameter(
    "members.token_ttl_days",
    kind=INT,
    default=30,
    description=_("Member login tokens expire after (days)"),
    minimum=1,
    maximum=365,
)
register_parameter(
    "members.notification_max_attempts",
    kind=INT,
    default=5,
    description=_("Delivery attempts before a notification is marked failed"),
    minimum=1,
    maximum=50,
)

# Searching a member by full phone number (customer service): audited and limited.
register_parameter(
    "members.phone_search_per_hour",
    kind=INT,
    default=60,
    description=_("Searches by phone number one staff user may make per hour"),
    minimum=1,
    maximum=10_000,
)

# --- SMS verification codes (API.md: POST /api/v1/store/auth/sms-code/) --------------
from django.conf import settings as _settings  # noqa: E402

from ops.parameters import BOOL  # noqa: E402

REGISTER_REQUIRES_SMS_CODE = "members.register_requires_sms_code"
register_parameter(
    REGISTER_REQUIRES_SMS_CODE,
    kind=BOOL,
    default=bool(getattr(_settings, "REGISTER_REQUIRES_SMS_CODE", False)),
    description=_("Storefront registration needs an SMS verification code"),
)
SMS_CODE_TTL_MINUTES = "members.sms_code_ttl_minutes"
register_parameter(
    SMS_CODE_TTL_MINUTES,
    kind=INT,
    default=5,
    minimum=1,
    maximum=30,
    description=_("An SMS verification code is valid for (minutes)"),
)
SMS_CODE_MAX_ATTEMPTS = "members.sms_code_max_attempts"
register_parameter(
    SMS_CODE_MAX_ATTEMPTS,
    kind=INT,
    default=5,
    minimum=1,
    maximum=10,
    description=_("Wrong guesses before an SMS verification code dies"),
)
