"""Staff API authentication: ``Authorization: Token <key>``, expiring, active staff only.

Keys are looked up by their keyed hash (``mall.core.services.token_authenticate``);
``request.auth`` is the :class:`~mall.core.models.StaffToken`. Members use their own
bearer tokens (``members``); a member token is never a staff token and the reverse
(shared/API.md "Auth").
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication


def staff_token_ttl() -> timedelta:
    return timedelta(hours=getattr(settings, "STAFF_TOKEN_TTL_HOURS", 12))


class StaffTokenAuthentication(TokenAuthentication):
    """DRF's header parsing (``Token <key>``); the lookup is the kernel's hashed one."""

    keyword = "Token"

    def authenticate_credentials(self, key):
        from .services import token_authenticate

        token = token_authenticate(key=key)
        if token is None:
            raise exceptions.AuthenticationFailed(_("Invalid or expired token."))
        return token.user, token
