"""API routes of the backups app: the staff API under ``/api/v1/backups/``."""

from .apis import urlpatterns as api_urlpatterns

urlpatterns: list = [*api_urlpatterns]
