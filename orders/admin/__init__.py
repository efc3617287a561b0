"""Orders admin: orders, after-sales, reviews, channels, calendar and freight.

Every screen reads through ``orders.selectors`` and writes through
``orders.services``. One module per area; importing them registers the screens.
"""

from . import after_sales, channels, orders, reviews  # noqa: F401
