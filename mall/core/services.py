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
from django.utils.translation import gettext_lazy as _lazy

from . import twofactor
from .audit import audit
from .exceptions import Conflict, InvalidInput, PermissionDeniedError
from .models import StaffRecoveryCode, StaffToken, StaffTwoFactor

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


# --- two-factor login (mall/core/twofactor.py) ---------------------------------------------

RECOVERY_CODE_COUNT = 10


class TwoFactorInvalid(InvalidInput):
    code = "otp_invalid"
    default_message = _lazy("The verification code is not valid.")


def _code_hash(code: str) -> str:
    return _token_hash("recovery|" + code.strip().replace("-", "").replace(" ", "").lower())


@transaction.atomic
def two_factor_begin(*, actor) -> str:
    """Start (or restart) enrolment for ``actor``; return the new secret to show once.

    An enrolled user cannot replace their authenticator here (that would let a stolen
    session remove the second factor).
    """
    existing = StaffTwoFactor.objects.select_for_update().filter(user=actor).first()
    if existing is not None and existing.confirmed_at is not None:
        raise Conflict(_("Two-factor login is already set up for this account."))
    secret = twofactor.new_secret()
    if existing is None:
        StaffTwoFactor.objects.create(user=actor, secret_encrypted=twofactor.encrypt_secret(secret))
    else:
        existing.secret_encrypted = twofactor.encrypt_secret(secret)
        existing.last_step = None
        existing.save(update_fields=["secret_encrypted", "last_step"])
    return secret


@transaction.atomic
def two_factor_confirm(*, actor, code: str) -> list[str]:
    """Finish enrolment with a first valid code; return fresh recovery codes (shown once)."""
    device = StaffTwoFactor.objects.select_for_update().filter(user=actor).first()
    if device is None or device.confirmed_at is not None:
        raise Conflict(_("Start two-factor enrolment first."))
    step = twofactor.totp_match(
        twofactor.decrypt_secret(device.secret_encrypted), code, after_step=device.last_step
    )
    if step is None:
        raise TwoFactorInvalid(fields={"code": [_("The verification code is not valid.")]})
    device.confirmed_at = timezone.now()
    device.last_step = step
    device.save(update_fields=["confirmed_at", "last_step"])
    StaffRecoveryCode.objects.filter(user=actor).delete()
    codes = []
    for _index in range(RECOVERY_CODE_COUNT):
        raw = secrets.token_hex(5)
        codes.append(f"{raw[:5]}-{raw[5:]}")
        StaffRecoveryCode.objects.create(user=actor, code_hash=_code_hash(raw))
    audit(actor=actor, action="auth.2fa_enrol", target=actor, data={"recovery_codes": len(codes)})
    return codes


def two_factor_pending_secret(*, actor) -> str | None:
    """The secret of ``actor``'s unconfirmed enrolment (to show it again), or None."""
    device = StaffTwoFactor.objects.filter(user=actor, confirmed_at__isnull=True).first()
    return None if device is None else twofactor.decrypt_secret(device.secret_encrypted)


def two_factor_enrolled(*, actor) -> bool:
    return StaffTwoFactor.objects.filter(user=actor, confirmed_at__isnull=False).exists()


@transaction.atomic
def two_factor_verify(*, actor, code: str, channel: str) -> bool:
    """Check a TOTP code or a one-time recovery code for ``actor``; audit recovery use and failures.

    A TOTP code is accepted once (its step is remembered); a recovery code is burnt.
    """
    device = (
        StaffTwoFactor.objects.select_for_update()
        .filter(user=actor, confirmed_at__isnull=False)
        .first()
    )
    if device is None:
        return False
    step = twofactor.totp_match(
        twofactor.decrypt_secret(device.secret_encrypted), code or "", after_step=device.last_step
    )
    if step is not None:
        device.last_step = step
        device.save(update_fields=["last_step"])
        return True
    recovery = (
        StaffRecoveryCode.objects.select_for_update()
        .filter(user=actor, code_hash=_code_hash(code or ""), used_at__isnull=True)
        .first()
    )
    if recovery is not None:
        recovery.used_at = timezone.now()
        recovery.save(update_fields=["used_at"])
        left = StaffRecoveryCode.objects.filter(user=actor, used_at__isnull=True).count()
        audit(
            actor=actor,
            action="auth.2fa_recovery_used",
            target=actor,
            data={"channel": channel, "codes_left": left},
        )
        return True
    audit(actor=actor, action="auth.2fa_failed", target=actor, data={"channel": channel})
    return False
