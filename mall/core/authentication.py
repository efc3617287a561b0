"""Staff API authentication: ``Authorization: Token <key>``, expiring, active staff only.

Members use their own bearer tokens (``members``); a member token is never a
staff token and the reverse (shared/API.md "Auth").
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication


def staff_token_ttl() -> timedelta:
    return timedelta(hours=getattr(settings, "STAFF_TOKEN_TTL_HOURS", 12))


class StaffTokenAuthentication(TokenAuthentication):
    keyword = "Token"

    def authenticate_credentials(self, key):
        user, token = super().authenticate_credentials(key)
        if not user.is_staff:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        if token.created < timezone.now() - staff_token_ttl():
            token.delete()
            raise exceptions.AuthenticationFailed(_("Token has expired."))
        return user, token
