"""The Redis gate of flash sales: losers are answered before PostgreSQL.

One Lua script takes a flash order's units: for every item it checks the session's
remaining counter and the member's counter, then (all or nothing) decrements the
first and increments the second. It answers ``ok``, ``sold_out``,
``limit_exceeded`` or ``unknown`` (the keys of this load are missing). The gate can
only refuse early: a grant goes on to the database, whose conditional updates decide
(``orders.promotions.flash_orders.flash_claim``).

Keys: ``<cache KEY_PREFIX>:flash:<database NAME>:<session id>:<gate_epoch>:…`` —
``…:loaded`` (the marker, written last), ``…:i<item id>`` (remaining units) and
``…:i<item id>:m`` (a hash member id → units). A (re)load bumps the session's
``gate_epoch`` and writes a new set, so a compensation written for an older load
lands on keys that no longer exist and is ignored.

No gate (``None``, database path only) when ``FLASH_GATE_REDIS_URL`` is empty, the
parameter ``promotions.flash_gate_enabled`` is off, or Redis cannot be reached —
never a 500. See docs/FLASH_SALE.md.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from functools import cache

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from ops.parameters import get_parameter

from ..exceptions import LimitExceeded, SoldOut
from ..models import ApprovalStatus, FlashPurchase, FlashSession
from ..parameters import FLASH_GATE_ENABLED

logger = logging.getLogger(__name__)

LOCK_SECONDS = 10
KEEP_AFTER_END_SECONDS = 3600

# KEYS: loaded marker, then per item its remaining key and its members hash.
# ARGV: member id, then per item the quantity and the per-member limit.
TAKE = """
if redis.call('EXISTS', KEYS[1]) == 0 then return 'unknown' end
local member = ARGV[1]
local n = (#KEYS - 1) / 2
for i = 1, n do
  local remaining = redis.call('GET', KEYS[2 * i])
  if not remaining then return 'unknown' end
  local q = tonumber(ARGV[2 * i])
  if tonumber(remaining) < q then return 'sold_out' end
  local mine = tonumber(redis.call('HGET', KEYS[2 * i + 1], member) or '0')
  if mine + q > tonumber(ARGV[2 * i + 1]) then return 'limit_exceeded' end
end
for i = 1, n do
  local q = tonumber(ARGV[2 * i])
  redis.call('DECRBY', KEYS[2 * i], q)
  redis.call('HINCRBY', KEYS[2 * i + 1], member, q)
end
return 'ok'
"""

# Give units back (an order not placed, or cancelled): only on the same load.
# KEYS as TAKE; ARGV: member id, then per item the remaining units and the member's units.
GIVE = """
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local member = ARGV[1]
local n = (#KEYS - 1) / 2
for i = 1, n do
  local r = tonumber(ARGV[2 * i])
  if r > 0 and redis.call('EXISTS', KEYS[2 * i]) == 1 then
    redis.call('INCRBY', KEYS[2 * i], r)
  end
  local m = tonumber(ARGV[2 * i + 1])
  if m > 0 then
    local mine = tonumber(redis.call('HGET', KEYS[2 * i + 1], member) or '0')
    if mine <= m then
      redis.call('HDEL', KEYS[2 * i + 1], member)
    else
      redis.call('HINCRBY', KEYS[2 * i + 1], member, -m)
    end
  end
end
return 1
"""


@dataclass
class GatePass:
    """What one placement took at the gate (given back if the order is not placed)."""

    session_id: int
    epoch: int
    member_id: int
    items: dict[int, int] = field(default_factory=dict)  # item id → units


# --- Redis access -----------------------------------------------------------------------


@cache
def _client(url: str):
    import redis

    return redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)


def _redis_errors() -> tuple[type[Exception], ...]:
    import redis

    return (redis.RedisError, OSError)


def gate_client():
    """The gate's Redis client, or ``None`` when the gate is off (setting or parameter)."""
    url = getattr(settings, "FLASH_GATE_REDIS_URL", "")
    if not url or not bool(get_parameter(FLASH_GATE_ENABLED)):
        return None
    return _client(url)


def _prefix(session_id: int, epoch: int) -> str:
    cache_prefix = settings.CACHES.get("default", {}).get("KEY_PREFIX", "")
    db_name = connection.settings_dict.get("NAME", "")
    return f"{cache_prefix}:flash:{db_name}:{session_id}:{epoch}"


def _keys(session_id: int, epoch: int, item_ids) -> list[str]:
    prefix = _prefix(session_id, epoch)
    keys = [f"{prefix}:loaded"]
    for item_id in item_ids:
        keys += [f"{prefix}:i{item_id}", f"{prefix}:i{item_id}:m"]
    return keys


def _lock_key(session_id: int) -> str:
    return _prefix(session_id, 0).rsplit(":", 1)[0] + ":lock"


# --- take / give back -------------------------------------------------------------------


def _take(client, session_id: int, epoch: int, member_id: int, items: dict) -> str:
    ordered = sorted(items)
    args: list = [member_id]
    for item_id in ordered:
        quantity, limit = items[item_id]
        args += [quantity, limit]
    answer = client.eval(TAKE, 1 + 2 * len(ordered), *_keys(session_id, epoch, ordered), *args)
    return answer.decode() if isinstance(answer, bytes) else str(answer)


def gate_enter(*, session: FlashSession, member_id: int, items: dict[int, tuple[int, int]]):
    """Take ``items`` ({item id: (quantity, per-member limit)}) for ``member_id``.

    Returns a :class:`GatePass` (granted: the database decides next) or ``None`` (no
    gate: the database alone decides). Raises ``SoldOut`` / ``LimitExceeded`` for a
    loser — no database write, no transaction. When this load's keys are missing the
    gate is reloaded (one loader at a time); meanwhile the database path is taken.
    """
    client = gate_client()
    if client is None or not items:
        return None
    epoch = session.gate_epoch
    try:
        answer = _take(client, session.pk, epoch, member_id, items)
        if answer == "unknown":
            epoch = gate_reload(session_id=session.pk, seen_epoch=epoch)
            if epoch is None:
                return None
            answer = _take(client, session.pk, epoch, member_id, items)
    except _redis_errors() as exc:
        logger.warning("flash gate unavailable, database path: %s", exc)
        return None
    if answer == "sold_out":
        raise SoldOut()
    if answer == "limit_exceeded":
        raise LimitExceeded()
    if answer != "ok":
        return None
    return GatePass(
        session_id=session.pk,
        epoch=epoch,
        member_id=member_id,
        items={item_id: quantity for item_id, (quantity, _limit) in items.items()},
    )


def _give(session_id: int, epoch: int, member_id: int, remaining: dict, member_units: dict) -> None:
    client = gate_client()
    if client is None:
        return
    ordered = sorted(set(remaining) | set(member_units))
    args: list = [member_id]
    for item_id in ordered:
        args += [int(remaining.get(item_id, 0)), int(member_units.get(item_id, 0))]
    try:
        client.eval(GIVE, 1 + 2 * len(ordered), *_keys(session_id, epoch, ordered), *args)
    except _redis_errors() as exc:  # the minute reconcile repairs it
        logger.warning("flash gate give-back failed: %s", exc)


def gate_give_back(*, gate_pass: GatePass) -> None:
    """Return a pass's units (the placement failed after the gate granted it)."""
    _give(
        gate_pass.session_id,
        gate_pass.epoch,
        gate_pass.member_id,
        gate_pass.items,
        gate_pass.items,
    )


def gate_compensate(
    *, session_id: int, epoch: int, member_id: int, remaining: dict, member_units: dict
) -> None:
    """After a cancellation's commit: the units held again, and the member's units.

    Ignored when the gate was reloaded since ``epoch`` (the load read the database).
    """
    _give(session_id, epoch, member_id, remaining, member_units)


# --- load, reload, drop, reconcile ------------------------------------------------------


def _load(client, session: FlashSession, epoch: int) -> None:
    """Write the counters of ``epoch`` from the database (marker last)."""
    items = list(session.items.values_list("pk", "held"))
    purchases: dict[int, dict[str, int]] = {}
    for item_id, member_id, quantity in FlashPurchase.objects.filter(
        item__session=session, quantity__gt=0
    ).values_list("item_id", "member_id", "quantity"):
        purchases.setdefault(item_id, {})[str(member_id)] = quantity
    ttl = max(60, int((session.ends_at - timezone.now()).total_seconds()) + KEEP_AFTER_END_SECONDS)
    prefix = _prefix(session.pk, epoch)
    pipe = client.pipeline(transaction=True)
    for item_id, held in items:
        pipe.set(f"{prefix}:i{item_id}", held, ex=ttl)
        members_key = f"{prefix}:i{item_id}:m"
        pipe.delete(members_key)
        if purchases.get(item_id):
            pipe.hset(members_key, mapping=purchases[item_id])
            pipe.expire(members_key, ttl)
    pipe.set(f"{prefix}:loaded", 1, ex=ttl)
    pipe.execute()


def _glob_escape(text: str) -> str:
    return "".join("\\" + c if c in "*?[]\\" else c for c in text)


def _drop_epochs(client, session_id: int, keep: int | None) -> None:
    base = _prefix(session_id, 0).rsplit(":", 1)[0] + ":"
    pattern = _glob_escape(base) + "*"
    doomed = []
    for key in client.scan_iter(match=pattern, count=500):
        text = key.decode() if isinstance(key, bytes) else key
        if text.endswith(":lock"):
            continue
        epoch = text[len(base) :].split(":", 1)[0]
        if keep is None or epoch != str(keep):
            doomed.append(key)
    if doomed:
        client.delete(*doomed)


def gate_reload(*, session_id: int, seen_epoch: int | None = None, force: bool = False):
    """(Re)load a running session's gate from the database; return the epoch in use.

    One loader at a time (``SET NX`` lock): another caller gets ``None`` and takes the
    database path meanwhile. With ``seen_epoch`` (the keys of that load were missing),
    a newer load already in place is used as it is. ``force`` (opening, the minute
    reconcile) always writes a new load. ``None`` when there is no gate or the
    session is not running.
    """
    client = gate_client()
    if client is None:
        return None
    lock = _lock_key(session_id)
    try:
        if not client.set(lock, 1, nx=True, ex=LOCK_SECONDS):
            return None
        try:
            session = FlashSession.objects.filter(pk=session_id).first()
            if session is None or session.status != ApprovalStatus.RUNNING:
                return None
            if (
                not force
                and seen_epoch is not None
                and session.gate_epoch != seen_epoch
                and client.exists(_keys(session_id, session.gate_epoch, [])[0])
            ):
                return session.gate_epoch
            with transaction.atomic():
                FlashSession.objects.filter(pk=session_id).update(gate_epoch=F("gate_epoch") + 1)
                session = FlashSession.objects.get(pk=session_id)
                epoch = session.gate_epoch
                _load(client, session, epoch)
            _drop_epochs(client, session_id, keep=epoch)
            return epoch
        finally:
            client.delete(lock)
    except _redis_errors() as exc:
        logger.warning("flash gate load failed: %s", exc)
        return None


def gate_drop(*, session_id: int) -> None:
    """Remove every key of a session (it ended)."""
    client = gate_client()
    if client is None:
        return
    try:
        _drop_epochs(client, session_id, keep=None)
    except _redis_errors() as exc:
        logger.warning("flash gate drop failed: %s", exc)


def gates_reconcile(*, actor=None) -> int:
    """The minute job: reload the gate of every running session from the database.

    Repairs counters left wrong by a crash between the gate and the database, a lost
    compensation or a flush. Returns how many sessions were loaded.
    """
    if gate_client() is None:
        return 0
    loaded = 0
    running = FlashSession.objects.filter(
        status=ApprovalStatus.RUNNING, ends_at__gt=timezone.now()
    ).values_list("pk", flat=True)
    for session_id in running:
        if gate_reload(session_id=session_id, force=True) is not None:
            loaded += 1
    return loaded
