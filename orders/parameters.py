"""System parameters and SLA kinds of the orders app (read with ``get_parameter``).

The SLA kinds of DESIGN.md §4 (order review, shipping, auto-confirm, unpaid timeout,
after-sales review, refund execution, dispute plan, negative review reply) are
declared by ops (``ops/defaults.py``); orders adds the lost-parcel deadline.
"""

from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from ops.parameters import BOOL, DECIMAL, INT, register_parameter
from ops.sla_kinds import register_sla_kind

SECOND_REVIEW_AMOUNT = "orders.second_review_amount"
FREE_SHIPPING_THRESHOLD = "orders.free_shipping_threshold"
MAX_LINES = "orders.max_lines"
MAX_QUANTITY_PER_LINE = "orders.max_quantity_per_line"
NO_REASON_RETURN_DAYS = "orders.no_reason_return_days"
AFTER_SALE_WINDOW_DAYS = "orders.after_sale_window_days"
REVIEW_WINDOW_DAYS = "orders.review_window_days"
SLOW_MOVER_DAYS = "orders.slow_mover_days"
VIRTUAL_AUTO_SHIP = "orders.virtual_auto_ship"
LOST_PARCEL_HOURS = "sla.lost_parcel_hours"

register_parameter(
    SECOND_REVIEW_AMOUNT,
    kind=DECIMAL,
    default=Decimal("5000.00"),
    minimum=Decimal("0"),
    description=_("Orders paying at least this much need a second reviewer (yuan)"),
)
register_parameter(
    FREE_SHIPPING_THRESHOLD,
    kind=DECIMAL,
    default=Decimal("99.00"),
    minimum=Decimal("0"),
    description=_("Shipping is free when the goods after discounts reach (yuan)"),
)
register_parameter(
    MAX_LINES,
    kind=INT,
    default=50,
    minimum=1,
    maximum=200,
    description=_("An order holds at most this many lines"),
)
register_parameter(
    MAX_QUANTITY_PER_LINE,
    kind=INT,
    default=99,
    minimum=1,
    maximum=10000,
    description=_("At most this many units of one SKU per order"),
)
register_parameter(
    NO_REASON_RETURN_DAYS,
    kind=INT,
    default=7,
    minimum=7,
    maximum=30,
    description=_("No-reason returns are accepted for (days after receipt)"),
)
register_parameter(
    AFTER_SALE_WINDOW_DAYS,
    kind=INT,
    default=15,
    minimum=7,
    maximum=365,
    description=_("After-sales requests are accepted for (days after completion)"),
)
register_parameter(
    REVIEW_WINDOW_DAYS,
    kind=INT,
    default=30,
    minimum=1,
    maximum=365,
    description=_("Received lines can be reviewed for (days)"),
)
register_parameter(
    SLOW_MOVER_DAYS,
    kind=INT,
    default=30,
    minimum=7,
    maximum=365,
    description=_("A product with no sale for this many days is a slow mover (days)"),
)
register_parameter(
    VIRTUAL_AUTO_SHIP,
    kind=BOOL,
    default=True,
    description=_("Issue codes of virtual goods automatically once the order is approved"),
)
register_parameter(
    LOST_PARCEL_HOURS,
    kind=INT,
    default=24,
    minimum=1,
    maximum=7 * 24,
    description=_("A lost or damaged parcel must be reshipped or refunded within (hours)"),
)
register_sla_kind(
    "order.lost_parcel",
    label=_("Lost or damaged parcel"),
    parameter=LOST_PARCEL_HOURS,
    unit="hours",
)

# --- promotions (docs/PROMOTIONS.md) ----------------------------------------------------
PREHEAT_DAYS = "promotions.preheat_days"
HOT_ITEM_ALERT_UNITS = "promotions.hot_item_alert_units"
EVENTS_PER_MINUTE = "promotions.events_per_minute"
RECOMMENDATION_WINDOW_DAYS = "promotions.recommendation_window_days"
PRESALE_DEPOSIT_REFUND_ON_MERCHANT_CANCEL = "promotions.presale_refund_deposit_on_staff_cancel"
FLASH_GATE_ENABLED = "promotions.flash_gate_enabled"

register_parameter(
    PREHEAT_DAYS,
    kind=INT,
    default=3,
    minimum=1,
    maximum=14,
    description=_("Opted-in members are told of a flash sale or campaign this early (days)"),
)
register_parameter(
    HOT_ITEM_ALERT_UNITS,
    kind=INT,
    default=20,
    minimum=0,
    maximum=100000,
    description=_(
        "During a campaign, a covered SKU whose sellable stock falls to this alerts its owner"
    ),
)
register_parameter(
    EVENTS_PER_MINUTE,
    kind=INT,
    default=60,
    minimum=1,
    maximum=10000,
    description=_("Storefront view events accepted per client and minute"),
)
register_parameter(
    RECOMMENDATION_WINDOW_DAYS,
    kind=INT,
    default=90,
    minimum=7,
    maximum=730,
    description=_("Recommendations are computed from the paid orders of (days)"),
)
register_parameter(
    PRESALE_DEPOSIT_REFUND_ON_MERCHANT_CANCEL,
    kind=BOOL,
    default=True,
    description=_("A presale cancelled by staff refunds the deposit"),
)
register_parameter(
    FLASH_GATE_ENABLED,
    kind=BOOL,
    default=True,
    description=_(
        "Flash sales answer losers from Redis before the database (off: the database alone)"
    ),
)
