"""Staff two-factor login: TOTP (RFC 6238) and one-time recovery codes.

TOTP is implemented here (HMAC-SHA1, 30-second steps, 6 digits, one step of clock
drift either way) — about thirty lines against the RFC's test vectors
(``tests/core/test_two_factor.py``) instead of a dependency and its models; the QR
code shown at enrolment is drawn locally by ``segno`` (docs/DEPENDENCIES.md).

Who must use it: with ``TWO_FACTOR_REQUIRED`` on (default with ``DJANGO_SECURE=1``),
every superuser and every staff user holding one of the permissions the parameter
``security.two_factor_permissions`` lists (ops registers it and the getter below).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import os
import struct
import time
from urllib.parse import quote

from django.conf import settings

from .parameters import DEFAULTS, TWO_FACTOR_PERMISSIONS, kernel_parameter

STEP_SECONDS = 30
DIGITS = 6
DRIFT_STEPS = 1
SESSION_KEY = "two_factor_user"
# Personal data, and the rights that grant rights (roles, permissions, accounts): the
# default of the system parameter ``security.two_factor_permissions``.
DEFAULT_PERMISSIONS = list(DEFAULTS[TWO_FACTOR_PERMISSIONS])


def two_factor_permissions() -> list[str]:
    """The permission codenames whose holders must use two-factor login (a parameter)."""
    return list(kernel_parameter(TWO_FACTOR_PERMISSIONS))


def two_factor_required(user) -> bool:
    """Must ``user`` pass a second factor before the admin or an API token?"""
    if not getattr(settings, "TWO_FACTOR_REQUIRED", False):
        return False
    if not (user and user.is_authenticated and user.is_active and user.is_staff):
        return False
    if user.is_superuser:
        return True
    return any(user.has_perm(perm) for perm in two_factor_permissions())


def session_verified(request) -> bool:
    return request.session.get(SESSION_KEY) == request.user.pk


def mark_session_verified(request) -> None:
    request.session.cycle_key()
    request.session[SESSION_KEY] = request.user.pk


# --- TOTP (RFC 6238) ----------------------------------------------------------------------


def new_secret() -> str:
    return base64.b32encode(os.urandom(20)).decode().rstrip("=")


def _secret_bytes(secret: str) -> bytes:
    return base64.b32decode(secret + "=" * (-len(secret) % 8))


def totp_at(secret: str, step: int, digits: int = DIGITS, digest=hashlib.sha1) -> str:
    mac = hmac.new(_secret_bytes(secret), struct.pack(">Q", step), digest).digest()
    offset = mac[-1] & 0x0F
    value = struct.unpack(">I", mac[offset : offset + 4])[0] & 0x7FFFFFFF
    return str(value % 10**digits).zfill(digits)


def current_step(now: float | None = None) -> int:
    return int((time.time() if now is None else now) // STEP_SECONDS)


def totp_match(secret: str, code: str, *, after_step: int | None, now: float | None = None):
    """The step ``code`` is valid for (within the drift, later than ``after_step``), or None.

    Refusing steps up to the last one used makes each code single-use (no replay).
    """
    code = (code or "").strip().replace(" ", "")
    if len(code) != DIGITS or not code.isdigit():
        return None
    step = current_step(now)
    for candidate in range(step - DRIFT_STEPS, step + DRIFT_STEPS + 1):
        if after_step is not None and candidate <= after_step:
            continue
        if hmac.compare_digest(totp_at(secret, candidate), code):
            return candidate
    return None


def provisioning_uri(secret: str, account: str, issuer: str) -> str:
    label = quote(f"{issuer}:{account}")
    return (
        f"otpauth://totp/{label}?secret={secret}&issuer={quote(issuer)}"
        f"&algorithm=SHA1&digits={DIGITS}&period={STEP_SECONDS}"
    )


def qr_svg(uri: str) -> str:
    """An inline SVG of ``uri`` (drawn here, no external service)."""
    import segno

    buffer = io.BytesIO()
    segno.make(uri, error="m").save(buffer, kind="svg", scale=5, xmldecl=False, svgns=True)
    return buffer.getvalue().decode()


# --- storing the secret -------------------------------------------------------------------


def _cipher():
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    key = hashlib.sha256(b"mall.core.twofactor|" + settings.SECRET_KEY.encode()).digest()
    return AESGCM(key)


def encrypt_secret(secret: str) -> str:
    nonce = os.urandom(12)
    return base64.b64encode(nonce + _cipher().encrypt(nonce, secret.encode(), None)).decode()


def decrypt_secret(stored: str) -> str:
    raw = base64.b64decode(stored)
    return _cipher().decrypt(raw[:12], raw[12:], None).decode()
