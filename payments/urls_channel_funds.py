"""URLs of channel funds (included by ``payments/urls.py``): the statement upload."""

from .apis.channel_funds import urlpatterns

__all__ = ["urlpatterns"]
