"""Staff token login and logout (``/api/v1/auth/token/``, ``/api/v1/auth/logout/``)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import authenticate, user_logged_in, user_logged_out
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.authtoken.models import Token
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from . import lockout
from .authentication import staff_token_ttl
from .context import client_ip_from_meta
from .exceptions import ApplicationError
from .permissions import IsStaffUser


class InvalidCredentials(ApplicationError):
    """Wrong username or password: 401, like the member login (never says which was wrong)."""

    code = "invalid_credentials"
    status_code = status.HTTP_401_UNAUTHORIZED
    default_message = _("Username or password is incorrect.")


class LockedOut(ApplicationError):
    code = "locked_out"
    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_message = _("Too many failed logins. Try again later.")


class TokenLoginSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=128, trim_whitespace=False)


class TokenLoginView(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(
        request=TokenLoginSerializer,
        responses={200: inline_serializer("StaffToken", {"token": serializers.CharField()})},
        auth=[],
    )
    def post(self, request):
        """Exchange a staff username and password for an API token."""
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
        token, created = Token.objects.get_or_create(user=user)
        if not created and token.created < timezone.now() - staff_token_ttl():
            token.delete()
            token = Token.objects.create(user=user)
        user_logged_in.send(sender=user.__class__, request=request._request, user=user)
        return Response({"token": token.key})


class TokenLogoutView(APIView):
    permission_classes = [IsStaffUser]

    @extend_schema(request=None, responses={204: None})
    def post(self, request):
        """Revoke the caller's API token."""
        Token.objects.filter(user=request.user).delete()
        user_logged_out.send(
            sender=request.user.__class__, request=request._request, user=request.user
        )
        return Response(status=status.HTTP_204_NO_CONTENT)
