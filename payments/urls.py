"""URLs of the payments app: storefront pay endpoint, callbacks, finance endpoints, and
the sandbox channel's demo "pay now" page."""

from django.urls import path

from . import views
from .apis import finance, staff, store, store_balance

urlpatterns: list = [
    *store.urlpatterns,
    *store_balance.urlpatterns,
    *staff.urlpatterns,
    *finance.urlpatterns,
    path("payments/sandbox/pay/<str:transaction_no>/", views.sandbox_pay, name="sandbox-pay"),
]
