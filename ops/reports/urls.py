"""URLs of the reports app: the staff API under ``/api/v1/reports/`` (docs/REPORTS.md)."""

from .apis import staff

urlpatterns: list = [*staff.urlpatterns]
