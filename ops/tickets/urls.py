"""API routes of customer service: the storefront's ``/api/v1/store/tickets/`` and the
staff API under ``/api/v1/tickets/`` (docs/API.md "Tickets")."""

from .apis import staff, store

urlpatterns: list = [*store.urlpatterns, *staff.urlpatterns]
