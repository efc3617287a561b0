"""URLs of the payments app: storefront pay endpoint, callbacks, finance endpoints."""

from .apis import store

urlpatterns: list = [*store.urlpatterns]
