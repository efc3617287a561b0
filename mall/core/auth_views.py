"""Staff token login and logout (``/api/v1/auth/token/``, ``/api/v1/auth/logout/``) and
the caller's tokens (``/api/v1/auth/tokens/``, ``…/{id}/revoke/``)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import authenticate, user_logged_in, user_logged_out
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from . import lockout
from .api import ScopedViewSet
from .context import client_ip_from_meta
from .exceptions import ApplicationError
from .models import StaffToken
from .permissions import IsStaffUser
from .selectors import token_get, token_list
from .services import (
    token_create,
    token_revoke,
    two_factor_enrolled,
    two_factor_verify,
)
from .twofactor import two_factor_required


class InvalidCredentials(ApplicationError):
    """Wrong username or password: 401, like the member login (never says which was wrong)."""

    code = "invalid_credentials"
    status_code = status.HTTP_401_UNAUTHORIZED
    default_message = _("Username or password is incorrect.")


class LockedOut(ApplicationError):
    code = "locked_out"
    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_message = _("Too many failed logins. Try again later.")


class TwoFactorCodeRequired(ApplicationError):
    """The account must use two-factor login: send ``otp`` (a TOTP or a recovery code)."""

    code = "otp_required"
    status_code = status.HTTP_401_UNAUTHORIZED
    default_message = _('This account needs a two-factor code: send it as "otp".')


class TwoFactorCodeInvalid(ApplicationError):
    code = "otp_invalid"
    status_code = status.HTTP_401_UNAUTHORIZED
    default_message = _("The verification code is not valid.")


class TwoFactorNotEnrolled(ApplicationError):
    code = "two_factor_enrolment_required"
    status_code = status.HTTP_403_FORBIDDEN
    default_message = _("Set up two-factor login in the admin before requesting an API token.")


class TokenLoginSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=128, trim_whitespace=False)
    name = serializers.CharField(max_length=100, required=False, allow_blank=True)
    otp = serializers.CharField(max_length=20, required=False, allow_blank=True)


class TokenLoginView(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(
        request=TokenLoginSerializer,
        responses={200: inline_serializer("StaffToken", {"token": serializers.CharField()})},
        auth=[],
    )
    def post(self, request):
        """Exchange a staff username and password for an API token (shown once).

        ``name`` (optional) names the device; each login issues a new token.
        """
        serializer = TokenLoginSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        username = serializer.validated_data["username"]
        ip = client_ip_from_meta(request.META)
        if lockout.is_locked(username, ip):
            authenticate(request._request, username=username, password="")  # audited refusal
            raise LockedOut(extra={"retry_after": settings.AUTH_LOCKOUT_SECONDS})
        user = authenticate(
            request._request, username=username, password=serializer.validated_data["password"]
        )
        if user is None:
            if lockout.is_locked(username, ip):
                raise LockedOut(extra={"retry_after": settings.AUTH_LOCKOUT_SECONDS})
            raise InvalidCredentials()
        if not user.is_staff:
            raise InvalidCredentials()
        self._second_factor(user, serializer.validated_data.get("otp", ""), ip)
        _token, key = token_create(
            actor=user, user=user, name=serializer.validated_data.get("name", "")
        )
        user_logged_in.send(sender=user.__class__, request=request._request, user=user)
        return Response({"token": key})

    def _second_factor(self, user, otp: str, ip) -> None:
        """Users who must use two-factor login get a token only with a valid ``otp``."""
        if not two_factor_required(user):
            return
        if not two_factor_enrolled(actor=user):
            raise TwoFactorNotEnrolled()
        if not otp:
            raise TwoFactorCodeRequired()
        if not two_factor_verify(actor=user, code=otp, channel="api"):
            lockout.register_failure(user.get_username(), ip)
            raise TwoFactorCodeInvalid()


class TokenLogoutView(APIView):
    permission_classes = [IsStaffUser]

    @extend_schema(request=None, responses={204: None})
    def post(self, request):
        """Revoke the API token this request was made with (a session has none)."""
        if isinstance(request.auth, StaffToken):
            token_revoke(actor=request.user, token=request.auth)
        user_logged_out.send(
            sender=request.user.__class__, request=request._request, user=request.user
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class StaffTokenInfoSerializer(serializers.ModelSerializer):
    """A token as its owner sees it: never the key nor its hash."""

    username = serializers.CharField(source="user.username", read_only=True)
    is_live = serializers.BooleanField(read_only=True)

    class Meta:
        model = StaffToken
        fields = [
            "id",
            "username",
            "name",
            "prefix",
            "created_at",
            "expires_at",
            "last_used_at",
            "revoked_at",
            "is_live",
        ]
        read_only_fields = fields


class StaffTokenViewSet(ScopedViewSet):
    """The caller's API tokens (all in scope with ``core.manage_stafftoken``); revoke one.

    Every staff user may list and revoke their own tokens, so no function permission is
    needed here; the selector and the service decide whose tokens.
    """

    serializer_class = StaffTokenInfoSerializer
    list_selector = token_list
    get_selector = token_get
    required_permissions = {"list": [], "retrieve": [], "revoke": []}

    @extend_schema(request=None, responses={200: StaffTokenInfoSerializer})
    @action(detail=True, methods=["post"])
    def revoke(self, request, pk=None):
        token = token_revoke(actor=request.user, token=self.get_object())
        return self.respond(token)
