"""URLs of the payments app: storefront pay endpoint, callbacks, finance endpoints, and
the sandbox channel's demo "pay now" page."""

from django.urls import path

from . import urls_channel_funds, views
from .apis import finance, staff, store, store_balance

urlpatterns: list = [
    *store.urlpatterns,
    *store_balance.urlpatterns,
    *staff.urlpatterns,
    *finance.urlpatterns,
    *urls_channel_funds.urlpatterns,
    path("payments/sandbox/pay/<str:transaction_no>/", views.sandbox_pay, name="sandbox-pay"),
]
