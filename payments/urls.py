"""URLs of the payments app: storefront pay endpoint, callbacks, finance endpoints."""

from .apis import staff, store

urlpatterns: list = [*store.urlpatterns, *staff.urlpatterns]
