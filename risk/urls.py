"""URLs of the risk app: the staff API under ``/api/v1/risk/`` (docs/API.md)."""

from .apis import staff

urlpatterns: list = [*staff.urlpatterns]
