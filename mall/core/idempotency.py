"""``Idempotency-Key`` support for POST views that create money or stock effects.

Behaviour (DESIGN.md §4): the same key with the same body replays the first
response (header ``Idempotent-Replayed: true``); the same key with another body is
422 ``idempotency_key_reused``; a duplicate while the first is still running is 409
``idempotency_in_flight``. Keys are scoped to the caller and kept
``IDEMPOTENCY_KEY_TTL`` (≥ 24 h). A 5xx or crash forgets the key so the client may
retry. The claim row is committed before the view runs (its own transaction), so a
concurrent duplicate sees it.

A claim is a lease: when the process holding it died without answering (killed
worker, lost container), the key stays "in flight". After
``IDEMPOTENCY_IN_FLIGHT_LEASE_SECONDS`` (120 s by default — longer than any request
may run: gunicorn's timeout is 30 s) a retry with the same body takes the claim over
with one conditional UPDATE, so exactly one retry runs, instead of 409 until the key
expires two days later.
"""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from functools import wraps

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import status
from rest_framework.response import Response

from .context import client_ip_from_meta
from .exceptions import ApplicationError, Conflict, InvalidInput
from .models import IdempotencyKey

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255


class IdempotencyKeyReused(ApplicationError):
    code = "idempotency_key_reused"
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_message = _("This Idempotency-Key was already used with a different request.")


class IdempotencyInFlight(Conflict):
    code = "idempotency_in_flight"
    default_message = _("A request with this Idempotency-Key is still being processed.")


def caller_identity(request) -> str:
    user = getattr(request, "user", None)
    if user is not None and getattr(user, "is_authenticated", False):
        return f"{user._meta.label_lower}:{user.pk}"
    return f"anon:{client_ip_from_meta(request.META) or '-'}"


def request_fingerprint(request) -> str:
    try:
        data = request.data
        payload = json.dumps(data, sort_keys=True, default=str, ensure_ascii=False)
    except Exception:  # noqa: BLE001 - an unparsable body still needs a stable fingerprint
        payload = repr(request.META.get("CONTENT_LENGTH"))
    raw = f"{request.method}\n{request.path}\n{payload}".encode()
    return hashlib.sha256(raw).hexdigest()


def _lease_lapsed(record: IdempotencyKey, fingerprint: str, now) -> bool:
    """True when ``record`` is an in-flight claim of the same request whose holder is gone."""
    lease = timedelta(seconds=settings.IDEMPOTENCY_IN_FLIGHT_LEASE_SECONDS)
    return (
        record.state == IdempotencyKey.State.IN_FLIGHT
        and record.request_hash == fingerprint
        and record.created_at <= now - lease
    )


def _claim(owner: str, key: str, request, fingerprint: str) -> tuple[IdempotencyKey, bool]:
    now = timezone.now()
    for _attempt in range(3):
        try:
            with transaction.atomic():
                record = IdempotencyKey.objects.create(
                    owner=owner,
                    key=key,
                    method=request.method,
                    path=request.path[:500],
                    request_hash=fingerprint,
                    state=IdempotencyKey.State.IN_FLIGHT,
                    expires_at=now + settings.IDEMPOTENCY_KEY_TTL,
                )
            return record, True
        except IntegrityError:
            existing = IdempotencyKey.objects.filter(owner=owner, key=key).first()
            if existing is None:
                continue  # deleted between our insert and read (expired or failed): retry
            if existing.expires_at <= now:
                IdempotencyKey.objects.filter(pk=existing.pk, expires_at__lte=now).delete()
                continue
            if _lease_lapsed(existing, fingerprint, now):
                taken = IdempotencyKey.objects.filter(
                    pk=existing.pk,
                    state=IdempotencyKey.State.IN_FLIGHT,
                    created_at=existing.created_at,
                ).update(created_at=now, expires_at=now + settings.IDEMPOTENCY_KEY_TTL)
                if taken:
                    existing.created_at = now
                    return existing, True
                continue  # another retry took it first: read it again
            return existing, False
    raise IdempotencyInFlight()


def idempotent(view_method=None, *, replay=None):
    """Decorate a DRF view's ``post`` (or action) to honour ``Idempotency-Key``.

    A response carrying personal data must not be stored in the key's record in
    plaintext: such a view passes ``replay=lambda view, request, pk: body``; the
    record then keeps only ``{"id": pk}`` of a successful answer, and a replay
    re-reads the row (through the view's selector, so scope and masking still apply).
    """
    if view_method is None:
        return lambda method: idempotent(method, replay=replay)

    @wraps(view_method)
    def wrapper(self, request, *args, **kwargs):
        key = request.headers.get(HEADER)
        if not key:
            return view_method(self, request, *args, **kwargs)
        if len(key) > MAX_KEY_LENGTH or not key.isprintable():
            raise InvalidInput(
                _("Idempotency-Key must be at most 255 printable characters."),
                code="invalid_idempotency_key",
            )
        fingerprint = request_fingerprint(request)
        record, created = _claim(caller_identity(request), key, request, fingerprint)
        if not created:
            if record.request_hash != fingerprint:
                raise IdempotencyKeyReused()
            if record.state == IdempotencyKey.State.IN_FLIGHT:
                raise IdempotencyInFlight()
            body = record.response_body
            if replay is not None and record.response_status < 300:
                body = replay(self, request, body["id"])
            return Response(
                body,
                status=record.response_status,
                headers={"Idempotent-Replayed": "true"},
            )
        try:
            try:
                response = view_method(self, request, *args, **kwargs)
            except Exception as exc:  # noqa: BLE001 - rendered exactly as DRF would
                response = self.handle_exception(exc)
        except Exception:
            IdempotencyKey.objects.filter(pk=record.pk).delete()
            raise
        if response.status_code >= 500:
            IdempotencyKey.objects.filter(pk=record.pk).delete()
            return response
        IdempotencyKey.objects.filter(pk=record.pk).update(
            state=IdempotencyKey.State.DONE,
            response_status=response.status_code,
            response_body=(
                {"id": response.data["id"]}
                if replay is not None and response.status_code < 300
                else json.loads(json.dumps(response.data, default=str))
            ),
        )
        return response

    return wrapper


def idempotency_keys_purge(*, now=None) -> int:
    """Delete expired keys; return how many went."""
    now = now or timezone.now()
    deleted, _details = IdempotencyKey.objects.filter(expires_at__lte=now).delete()
    return deleted
