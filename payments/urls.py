"""URLs of the payments app: storefront pay endpoint, callbacks, finance endpoints."""

from django.urls import path

from . import views
from .apis import store

urlpatterns: list = [
    *store.urlpatterns,
    path("payments/sandbox/pay/<str:transaction_no>/", views.sandbox_pay, name="sandbox-pay"),
]
