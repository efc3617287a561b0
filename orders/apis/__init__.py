"""The orders app's REST endpoints, one module per audience and area.

* ``store.py``            — storefront: preview, place, own orders, pay (checkout)
* ``store_fulfilment.py`` — storefront: cancel, confirm receipt
* ``store_after_sales.py``— storefront: after-sales requests, reviews, product reviews
* ``staff_orders.py``     — staff: orders list/detail/actions/export
* ``staff_after_sales.py``— staff: after-sales cases and reviews
* ``staff_channels.py``   — staff: sales channels, promotion calendar, freight

Each module exposes ``urlpatterns`` (full paths under ``api/``); ``orders/urls.py``
joins them.
"""
