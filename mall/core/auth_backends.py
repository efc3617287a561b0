"""Model backend with failed-login lockout (see :mod:`mall.core.lockout`)."""

from __future__ import annotations

from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied

from . import lockout
from .context import client_ip_from_meta


class LockoutModelBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        ip = client_ip_from_meta(request.META) if request is not None else None
        if lockout.is_locked(username, ip):
            # PermissionDenied stops the backend chain; Django sends user_login_failed.
            raise PermissionDenied("locked out")
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is None:
            lockout.register_failure(username, ip)
        else:
            lockout.reset(username)
        return user
