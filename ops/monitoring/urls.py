"""URLs of monitoring: the staff API under ``/api/v1/monitoring/`` (``apis.py``)."""

from .apis import urlpatterns as api_urlpatterns

urlpatterns: list = [*api_urlpatterns]
