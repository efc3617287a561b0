"""Storefront authentication: ``Authorization: Bearer <token>`` member tokens.

Member tokens are separate from staff tokens (``mall.core.authentication``, keyword
``Token``): storefront views list only :class:`MemberTokenAuthentication`, staff views
never do, so neither kind of token works on the other side.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header

KEYWORD = "Bearer"


class MemberTokenAuthentication(BaseAuthentication):
    keyword = KEYWORD

    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword.lower().encode():
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(_("Invalid token header."))
        try:
            key = parts[1].decode()
        except UnicodeError as exc:
            raise exceptions.AuthenticationFailed(_("Invalid token header.")) from exc
        from .services import member_token_resolve

        member = member_token_resolve(actor=None, key=key)
        if member is None:
            raise exceptions.AuthenticationFailed(_("Invalid or expired token."))
        if not member.is_active:
            raise exceptions.AuthenticationFailed(_("This member account is not active."))
        return member, key

    def authenticate_header(self, request) -> str:
        return self.keyword


try:  # describe the member bearer token in the OpenAPI schema
    from drf_spectacular.extensions import OpenApiAuthenticationExtension

    class MemberTokenScheme(OpenApiAuthenticationExtension):
        target_class = "members.authentication.MemberTokenAuthentication"
        name = "memberToken"

        def get_security_definition(self, auto_schema):
            return {
                "type": "http",
                "scheme": "bearer",
                "description": "Storefront member token from /api/v1/store/auth/login/.",
            }

except ImportError:  # pragma: no cover
    pass
