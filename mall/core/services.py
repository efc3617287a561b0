"""Kernel services: staff API tokens (docs/SECURITY.md "Staff tokens").

A token's key is ``secrets.token_urlsafe(32)``; the database keeps only
``HMAC-SHA256(key)`` under a key derived from ``SECRET_KEY`` (or
``STAFF_TOKEN_HASH_KEY`` when set), so a database dump alone can neither use a token
nor confirm a guessed one. Lookup is by that hash, so no key is compared byte by byte.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .audit import audit
from .exceptions import InvalidInput, PermissionDeniedError
from .models import StaffToken

MANAGE_STAFF_TOKENS = "core.manage_stafftoken"
PREFIX_LENGTH = 8
LAST_USED_PRECISION = timedelta(minutes=1)


def _hash_key() -> bytes:
    dedicated = getattr(settings, "STAFF_TOKEN_HASH_KEY", "")
    if dedicated:
        return dedicated.encode()
    return hashlib.sha256(b"mall.core.StaffToken|" + settings.SECRET_KEY.encode()).digest()


def _token_hash(key: str) -> str:
    return hmac.new(_hash_key(), key.encode(), hashlib.sha256).hexdigest()


def _ttl() -> timedelta:
    return timedelta(hours=getattr(settings, "STAFF_TOKEN_TTL_HOURS", 12))


def _token_audit_data(token: StaffToken) -> dict:
    return {"prefix": token.prefix, "name": token.name, "user": token.user_id}


@transaction.atomic
def token_create(*, actor, user, name: str = "") -> tuple[StaffToken, str]:
    """Issue an API token for ``user`` (themselves, at login); return it and its key.

    The key is returned once and never stored.
    """
    if actor is not None and actor.pk != user.pk and not actor.has_perm(MANAGE_STAFF_TOKENS):
        raise PermissionDeniedError(_("Only its owner may create an API token."))
    name = (name or "").strip()
    limit = StaffToken._meta.get_field("name").max_length
    if len(name) > limit:
        raise InvalidInput(fields={"name": [_("At most %(limit)d characters.") % {"limit": limit}]})
    key = secrets.token_urlsafe(32)
    token = StaffToken.objects.create(
        user=user,
        name=name,
        key_hash=_token_hash(key),
        prefix=key[:PREFIX_LENGTH],
        expires_at=timezone.now() + _ttl(),
    )
    audit(actor=actor, action="auth.token_create", target=token, data=_token_audit_data(token))
    return token, key


@transaction.atomic
def token_revoke(*, actor, token: StaffToken) -> StaffToken:
    """Revoke one token: its owner, or a holder of ``core.manage_stafftoken``. Idempotent."""
    if actor is not None and actor.pk != token.user_id and not actor.has_perm(MANAGE_STAFF_TOKENS):
        raise PermissionDeniedError(_("You may not revoke this API token."))
    token = StaffToken.objects.select_for_update().get(pk=token.pk)
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit(actor=actor, action="auth.token_revoke", target=token, data=_token_audit_data(token))
    return token


@transaction.atomic
def tokens_revoke_all(*, actor, user) -> int:
    """Revoke every live token of ``user`` (deactivation, new password); return how many.

    The caller (a service) has checked the actor's right to do what causes this.
    """
    now = timezone.now()
    live = StaffToken.objects.filter(user=user, revoked_at__isnull=True, expires_at__gt=now)
    prefixes = sorted(live.values_list("prefix", flat=True))
    revoked = live.update(revoked_at=now)
    if revoked:
        audit(
            actor=actor,
            action="auth.token_revoke",
            target=user,
            data={"prefixes": prefixes, "all": True},
        )
    return revoked


def token_authenticate(*, actor=None, key: str) -> StaffToken | None:
    """The live token with ``key`` and its active staff user, or None.

    Records ``last_used_at`` at most once a minute (one UPDATE, not per request).
    """
    token = StaffToken.objects.select_related("user").filter(key_hash=_token_hash(key)).first()
    if token is None or not token.is_live:
        return None
    user = token.user
    if not (user.is_active and user.is_staff):
        return None
    now = timezone.now()
    if token.last_used_at is None or token.last_used_at < now - LAST_USED_PRECISION:
        StaffToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token
