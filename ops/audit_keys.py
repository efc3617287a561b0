"""The audit chain's HMAC keys, from ``settings.AUDIT_HMAC_KEYS`` (the environment).

``AUDIT_HMAC_KEYS`` is a list of ``"key_id:base64(secret)"`` (secret at least 32
bytes); the first key seals new entries, every listed key verifies, so rotation is:
put a new key first and keep the old ones for as long as entries sealed with them
are kept (the retention period). Each sealed entry stores its ``key_id``.

Without configured keys and outside production (``settings.SECURE`` false), a key
is derived from ``SECRET_KEY`` (key id ``dev``) so the demo and the tests run with
nothing set; ``audit_verify`` says so. With ``SECURE`` on, the deploy system check
(``ops.E001``) refuses to run without a real key and sealing refuses too.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import secrets
from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

DEV_KEY_ID = "dev"
LEGACY_KEY_ID = "sha256"  # entries chained before sealing existed (plain SHA-256)
MIN_KEY_BYTES = 32


@dataclass(frozen=True)
class AuditKeyRing:
    current_id: str
    keys: dict[str, bytes]
    derived: bool  # True when the key comes from SECRET_KEY (never in production)


def parse_keys(entries: list[str]) -> list[tuple[str, bytes]]:
    """Parse ``"key_id:base64"`` entries; raise ``ImproperlyConfigured`` on bad ones."""
    parsed: list[tuple[str, bytes]] = []
    seen: set[str] = set()
    for entry in entries:
        key_id, sep, encoded = entry.partition(":")
        key_id = key_id.strip()
        if not sep or not key_id or not key_id.isalnum() or len(key_id) > 32:
            raise ImproperlyConfigured(
                "AUDIT_HMAC_KEYS entries must look like 'key_id:base64' "
                "(key id letters and digits only, at most 32)"
            )
        if key_id in (DEV_KEY_ID, LEGACY_KEY_ID):
            raise ImproperlyConfigured(f"audit key id {key_id!r} is reserved")
        try:
            key = base64.b64decode(encoded.strip(), validate=True)
        except (binascii.Error, ValueError) as exc:
            raise ImproperlyConfigured(f"audit key {key_id!r} is not valid base64") from exc
        if len(key) < MIN_KEY_BYTES:
            raise ImproperlyConfigured(f"audit key {key_id!r} must be at least 32 bytes")
        if key_id in seen:
            raise ImproperlyConfigured(f"audit key id {key_id!r} is listed twice")
        seen.add(key_id)
        parsed.append((key_id, key))
    return parsed


@lru_cache(maxsize=4)
def _ring(entries: tuple[str, ...], secret: str, secure: bool) -> AuditKeyRing:
    parsed = parse_keys(list(entries))
    if parsed:
        return AuditKeyRing(current_id=parsed[0][0], keys=dict(parsed), derived=False)
    if secure:
        raise ImproperlyConfigured("AUDIT_HMAC_KEYS must be set in production")
    derived = hashlib.sha256(f"mall-audit-chain:{secret}".encode()).digest()
    return AuditKeyRing(current_id=DEV_KEY_ID, keys={DEV_KEY_ID: derived}, derived=True)


def audit_key_ring() -> AuditKeyRing:
    """Return the key ring for the current settings (cached per settings value)."""
    return _ring(tuple(settings.AUDIT_HMAC_KEYS), settings.SECRET_KEY, bool(settings.SECURE))


def generate_key_entry(key_id: str) -> str:
    """A new ``key_id:base64`` entry with 32 random bytes, for ``AUDIT_HMAC_KEYS``."""
    return f"{key_id}:{base64.b64encode(secrets.token_bytes(MIN_KEY_BYTES)).decode()}"
