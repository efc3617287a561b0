"""Orders URLs: staff under ``api/v1/orders/`` (and after-sales, channels), storefront
under ``api/v1/store/``. Each API module holds its own ``urlpatterns``."""

from .apis import (
    staff_after_sales,
    staff_channels,
    staff_orders,
    store,
    store_after_sales,
    store_discovery,
    store_flash,
    store_fulfilment,
)

urlpatterns = [
    *store.urlpatterns,
    *store_fulfilment.urlpatterns,
    *store_after_sales.urlpatterns,
    *store_flash.urlpatterns,
    *store_discovery.urlpatterns,
    # channels before orders: /api/v1/orders/channels/ must not be read as an order number
    *staff_channels.urlpatterns,
    *staff_orders.urlpatterns,
    *staff_after_sales.urlpatterns,
]
