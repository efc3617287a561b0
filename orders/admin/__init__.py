"""Orders admin: orders, after-sales, reviews, channels, calendar and freight.

Every screen reads through ``orders.selectors`` and writes through
``orders.services``. One module per area; importing them registers the screens.
"""

from . import (  # noqa: F401
    after_sales,
    channels,
    orders,
    promotions_campaigns,
    promotions_flash,
    promotions_results,
    reviews,
)
