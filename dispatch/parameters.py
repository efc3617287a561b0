"""System parameters of the dispatch centre (read with ``get_parameter``)."""

from django.utils.translation import gettext_lazy as _

from ops.parameters import BOOL, INT, register_parameter

SYNC_DIFFERENCE_THRESHOLD = "dispatch.sync_difference_threshold"
# The 48 h logistics silence is ops' SLA kind "shipment.logistics_silence"
# (parameter "sla.logistics_silence_hours"); dispatch reads that one.
LOGISTICS_SILENCE_HOURS = "sla.logistics_silence_hours"
AUTO_OFF_SHELF_AT_ZERO = "dispatch.auto_off_shelf_at_zero"
SAFETY_STOCK_HELD_BACK = "dispatch.safety_stock_held_back"
ALLOCATION_RETRIES = "dispatch.allocation_retries"

register_parameter(
    SYNC_DIFFERENCE_THRESHOLD,
    kind=INT,
    default=10,
    minimum=0,
    description=_(
        "Inventory sync: a reported quantity that differs from the ledger by more than "
        "this many units is held for review instead of being applied"
    ),
)
register_parameter(
    AUTO_OFF_SHELF_AT_ZERO,
    kind=BOOL,
    default=False,
    description=_("Take a product off shelf automatically when none of its SKUs can be sold"),
)
register_parameter(
    SAFETY_STOCK_HELD_BACK,
    kind=BOOL,
    default=False,
    description=_(
        "Hold safety stock back from sale (sellable = on hand − reserved − safety stock); "
        "when off, safety stock is only the low-stock alert level"
    ),
)
register_parameter(
    ALLOCATION_RETRIES,
    kind=INT,
    default=3,
    minimum=1,
    maximum=10,
    description=_("How often allocation re-plans after losing a race for the same stock"),
)
