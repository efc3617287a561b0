"""URLs of the payments app: storefront pay endpoint, callbacks, finance endpoints."""

from .apis import staff, store, store_balance

urlpatterns: list = [*store.urlpatterns, *store_balance.urlpatterns, *staff.urlpatterns]
