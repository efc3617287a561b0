"""Personal data at rest: AES-GCM encryption with rotating keys, and the lookup hash.

Keys come from settings (the environment, see docs/MEMBERS.md):

* ``PII_ENCRYPTION_KEYS`` — a list of ``"key_id:base64(32 bytes)"``; the first key
  encrypts, every listed key decrypts, so rotation is: put a new key first, keep the
  old ones, run ``manage.py rotate_pii_key``, then drop the old key.
* ``PII_LOOKUP_KEY`` — the HMAC-SHA256 key of the phone lookup hash (search by the
  full phone without decrypting every row). It never rotates with the encryption keys:
  changing it means recomputing every hash (``rotate_pii_key --rehash``).

A ciphertext is stored as ``"<key_id>:<base64(nonce ‖ ciphertext ‖ tag)>"``: the key id
travels with each value, so rows encrypted under different keys coexist. The column
name is bound in as associated data, so a value copied into another column (or
another table) fails to decrypt instead of leaking under the wrong label.

Without configured keys and outside production (``settings.SECURE`` false), development
keys are derived deterministically from ``SECRET_KEY`` (key id ``dev``), so the demo
and the tests run with nothing set; with ``SECURE`` on, the deploy system check
(``members.E001``) refuses to run without real keys.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
from dataclasses import dataclass
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

NONCE_BYTES = 12
DEV_KEY_ID = "dev"


class DecryptionError(Exception):
    """A stored value could not be decrypted (unknown key id, tampering, wrong column)."""


@dataclass(frozen=True)
class KeyRing:
    current_id: str
    keys: dict[str, bytes]
    lookup_key: bytes


def _derive(label: str) -> bytes:
    return hashlib.sha256(f"mall-pii:{label}:{settings.SECRET_KEY}".encode()).digest()


def parse_keys(entries: list[str]) -> list[tuple[str, bytes]]:
    """Parse ``"key_id:base64"`` entries; raise ``ImproperlyConfigured`` on bad ones."""
    parsed: list[tuple[str, bytes]] = []
    seen: set[str] = set()
    for entry in entries:
        key_id, sep, encoded = entry.partition(":")
        key_id = key_id.strip()
        if not sep or not key_id or not key_id.isalnum():
            raise ImproperlyConfigured(
                "PII_ENCRYPTION_KEYS entries must look like 'key_id:base64' "
                "(key id letters and digits only)"
            )
        try:
            key = base64.b64decode(encoded.strip(), validate=True)
        except (binascii.Error, ValueError) as exc:
            raise ImproperlyConfigured(f"PII key {key_id!r} is not valid base64") from exc
        if len(key) != 32:
            raise ImproperlyConfigured(f"PII key {key_id!r} must be 32 bytes (AES-256)")
        if key_id in seen:
            raise ImproperlyConfigured(f"PII key id {key_id!r} is listed twice")
        seen.add(key_id)
        parsed.append((key_id, key))
    return parsed


def keys_configured() -> bool:
    return bool(settings.PII_ENCRYPTION_KEYS) and bool(settings.PII_LOOKUP_KEY)


def _build_ring(entries: tuple[str, ...], lookup: str, secret: str, secure: bool) -> KeyRing:
    parsed = parse_keys(list(entries))
    if not parsed:
        if secure:
            raise ImproperlyConfigured("PII_ENCRYPTION_KEYS must be set in production")
        parsed = [(DEV_KEY_ID, _derive("encryption"))]
    if lookup:
        lookup_key = lookup.encode()
    elif secure:
        raise ImproperlyConfigured("PII_LOOKUP_KEY must be set in production")
    else:
        lookup_key = _derive("lookup")
    return KeyRing(current_id=parsed[0][0], keys=dict(parsed), lookup_key=lookup_key)


@lru_cache(maxsize=4)
def _cached_ring(entries: tuple[str, ...], lookup: str, secret: str, secure: bool) -> KeyRing:
    return _build_ring(entries, lookup, secret, secure)


def key_ring() -> KeyRing:
    """Return the key ring for the current settings (cached per settings value)."""
    return _cached_ring(
        tuple(settings.PII_ENCRYPTION_KEYS),
        settings.PII_LOOKUP_KEY,
        settings.SECRET_KEY,
        bool(settings.SECURE),
    )


def current_key_id() -> str:
    return key_ring().current_id


def generate_key_entry(key_id: str) -> str:
    """Return a fresh ``"key_id:base64"`` entry for ``PII_ENCRYPTION_KEYS``."""
    return f"{key_id}:{base64.b64encode(os.urandom(32)).decode()}"


def encrypt(plaintext: str, *, context: str) -> str:
    """Encrypt ``plaintext`` under the current key; ``""`` stays ``""`` (nothing to hide).

    ``context`` names the column (``"member.phone"``) and is authenticated with it.
    """
    if plaintext in (None, ""):
        return ""
    ring = key_ring()
    nonce = os.urandom(NONCE_BYTES)
    sealed = AESGCM(ring.keys[ring.current_id]).encrypt(
        nonce, str(plaintext).encode(), context.encode()
    )
    return f"{ring.current_id}:{base64.b64encode(nonce + sealed).decode()}"


def key_id_of(token: str) -> str:
    return token.partition(":")[0] if token else ""


def decrypt(token: str, *, context: str) -> str:
    """Decrypt a stored value; raise :class:`DecryptionError` when it cannot be read."""
    if not token:
        return ""
    key_id, sep, encoded = token.partition(":")
    key = key_ring().keys.get(key_id)
    if not sep or key is None:
        raise DecryptionError(f"no key {key_id!r} to decrypt {context}")
    try:
        raw = base64.b64decode(encoded, validate=True)
        plain = AESGCM(key).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], context.encode())
    except (binascii.Error, ValueError, InvalidTag) as exc:
        raise DecryptionError(f"cannot decrypt {context} with key {key_id!r}") from exc
    return plain.decode()


def reencrypt(token: str, *, context: str) -> str:
    """Return ``token`` encrypted under the current key (unchanged if it already is)."""
    if not token or key_id_of(token) == current_key_id():
        return token
    return encrypt(decrypt(token, context=context), context=context)


def lookup_hash(value: str, *, purpose: str = "phone") -> str:
    """Return the keyed HMAC-SHA256 (hex) used to find a row by an exact value."""
    normalized = (value or "").strip()
    if not normalized:
        return ""
    message = f"{purpose}:{normalized}".encode()
    return hmac.new(key_ring().lookup_key, message, hashlib.sha256).hexdigest()


def address_hash(*, province: str, city: str, district: str = "", detail: str = "") -> str:
    """The lookup hash of a delivery address, normalised (no spaces, case-folded).

    Risk control compares addresses by this hash (blacklists, the daily brushing scan):
    the same place written with other spacing or case hashes the same. The recipient's
    name and phone are not part of it, so a family at one address shares one hash.
    """
    parts = [province, city, district, detail]
    normalized = "|".join("".join((part or "").split()).casefold() for part in parts)
    if not (detail or "").strip():
        return ""
    return lookup_hash(normalized, purpose="address")
