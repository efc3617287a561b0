"""Failed-login lockout, per username and per client IP, kept in the cache.

After ``AUTH_LOCKOUT_MAX_FAILURES`` failures for one username (or
``AUTH_LOCKOUT_IP_MAX_FAILURES`` from one IP) within
``AUTH_LOCKOUT_WINDOW_SECONDS``, further attempts are refused for
``AUTH_LOCKOUT_SECONDS`` — even with the right password. Used by the admin login
(through the authentication backend) and the API token login alike.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.cache import cache


def _key(kind: str, value: str) -> str:
    digest = hashlib.sha256(value.strip().lower().encode()).hexdigest()[:32]
    return f"lockout:{kind}:{digest}"


def _subjects(username: str | None, ip: str | None) -> list[tuple[str, str, int]]:
    subjects = []
    if username:
        subjects.append(("user", username, settings.AUTH_LOCKOUT_MAX_FAILURES))
    if ip:
        subjects.append(("ip", ip, settings.AUTH_LOCKOUT_IP_MAX_FAILURES))
    return subjects


def is_locked(username: str | None, ip: str | None) -> bool:
    keys = [_key(f"{kind}:locked", value) for kind, value, _limit in _subjects(username, ip)]
    return bool(keys) and any(cache.get_many(keys).values())


def register_failure(username: str | None, ip: str | None) -> bool:
    """Count one failure; return True when this failure locks the username or IP."""
    locked = False
    for kind, value, limit in _subjects(username, ip):
        counter = _key(f"{kind}:failures", value)
        cache.add(counter, 0, timeout=settings.AUTH_LOCKOUT_WINDOW_SECONDS)
        try:
            failures = cache.incr(counter)
        except ValueError:  # expired between add and incr
            cache.set(counter, 1, timeout=settings.AUTH_LOCKOUT_WINDOW_SECONDS)
            failures = 1
        if failures >= limit:
            cache.set(_key(f"{kind}:locked", value), 1, timeout=settings.AUTH_LOCKOUT_SECONDS)
            cache.delete(counter)
            locked = True
    return locked


def reset(username: str | None) -> None:
    if username:
        cache.delete(_key("user:failures", username))


def unlock(username: str) -> None:
    """Lift a username's lock (an administrator's action)."""
    cache.delete_many([_key("user:failures", username), _key("user:locked", username)])
