"""Account risk marks and the blacklist (with expiry), and what the rules read of them.

* :func:`mark_add` / :func:`mark_revoke` — ``risk.add_riskmark`` /
  ``risk.change_riskmark``. A member with a live ``high`` mark has their placements
  and order reviews sent to review (rule ``marked_account``); ``watch`` only shows.
* :func:`blacklist_add` / :func:`blacklist_revoke` — ``risk.add_blacklistentry`` /
  ``risk.change_blacklistentry``. Address and phone entries store only their lookup
  hash (``members.crypto``); the label shown is masked. One live entry per value.
* :func:`blacklist_from_case` — what a confirmed case's evidence names (its member,
  ``devices``, ``ips``, ``addresses`` hashes).

The rules' reads of these lists (``live_marks``, ``blacklisted``) are in
``risk.rules.base``: they serve risk control, never a person.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from mall.core.audit import audit
from mall.core.masking import mask_phone

from .. import permissions as perms
from ..exceptions import InvalidRiskInput, RiskPermissionDenied, RiskStateConflict
from ..models import BlacklistEntry, RiskCase, RiskMark
from ..selectors import blacklist_get, mark_get

B = BlacklistEntry.Kind
MAX_DAYS = 3650


def _require(actor, permission: str) -> None:
    if not (actor.is_active and actor.is_staff and actor.has_perm(permission)):
        raise RiskPermissionDenied()


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise InvalidRiskInput(fields={"reason": [_("Give a reason.")]})
    if len(reason) > 300:
        raise InvalidRiskInput(fields={"reason": [_("At most 300 characters.")]})
    return reason


def _expiry(days) -> datetime | None:
    if days in (None, "", 0):
        return None
    try:
        days = int(days)
    except (TypeError, ValueError):
        raise InvalidRiskInput(fields={"days": [_("Enter a whole number of days.")]}) from None
    if not 1 <= days <= MAX_DAYS:
        raise InvalidRiskInput(
            fields={"days": [_("Between 1 and %(max)s days.") % {"max": MAX_DAYS}]}
        )
    return timezone.now() + timedelta(days=days)


# --- marks ----------------------------------------------------------------------------


@transaction.atomic
def mark_add(
    *, actor, member, level: str, reason: str, days=None, case: RiskCase | None = None
) -> RiskMark:
    """Mark ``member`` (``watch`` or ``high``) for ``days`` (None: until revoked)."""
    _require(actor, perms.ADD_MARK)
    if level not in RiskMark.Level.values:
        raise InvalidRiskInput(fields={"level": [_("Unknown mark level.")]})
    mark = RiskMark.objects.create(
        member=member,
        level=level,
        reason=_reason(reason),
        case=case,
        expires_at=_expiry(days),
        created_by=actor,
    )
    audit(
        actor=actor,
        action="risk.mark_add",
        target=mark,
        data={"member": member.pk, "level": level, "expires_at": mark.expires_at},
    )
    return mark


@transaction.atomic
def mark_revoke(*, actor, mark: RiskMark, reason: str) -> RiskMark:
    _require(actor, perms.CHANGE_MARK)
    reason = _reason(reason)
    mark = mark_get(actor=actor, pk=mark.pk, lock=True)
    if mark.revoked_at is not None:
        raise RiskStateConflict(_("This mark was already revoked."))
    mark.revoked_at = timezone.now()
    mark.revoked_by = actor
    mark.revoke_reason = reason
    mark.save(update_fields=["revoked_at", "revoked_by", "revoke_reason", "updated_at"])
    audit(actor=actor, action="risk.mark_revoke", target=mark, data={"reason": reason})
    return mark


# --- blacklist --------------------------------------------------------------------------


def _normalise(kind: str, value: str, member) -> tuple[str, str]:
    """(stored value, masked label) of a blacklist entry."""
    from members import crypto
    from members.exceptions import InvalidPhone
    from members.validators import normalize_phone

    value = (value or "").strip()
    if kind == B.MEMBER:
        if member is None:
            raise InvalidRiskInput(fields={"member": [_("Choose a member.")]})
        return str(member.pk), member.audit_label
    if not value:
        raise InvalidRiskInput(fields={"value": [_("Enter a value.")]})
    if kind == B.DEVICE:
        if len(value) > 128:
            raise InvalidRiskInput(fields={"value": [_("At most 128 characters.")]})
        return value, value[:6] + "…" if len(value) > 8 else value
    if kind == B.IP:
        import ipaddress

        try:
            return str(ipaddress.ip_address(value)), value
        except ValueError:
            raise InvalidRiskInput(fields={"value": [_("Enter a valid IP address.")]}) from None
    if kind == B.PHONE:
        try:
            phone = normalize_phone(value)
        except InvalidPhone:
            raise InvalidRiskInput(fields={"value": [_("Enter a valid phone number.")]}) from None
        return crypto.lookup_hash(phone), mask_phone(phone)
    if kind == B.ADDRESS:
        # "province|city|district|detail" as typed by the officer, or a hash from evidence
        if len(value) == 64 and all(ch in "0123456789abcdef" for ch in value):
            return value, _("address %(hash)s…") % {"hash": value[:8]}
        parts = [*value.split("|"), "", "", ""][:4]
        hashed = crypto.address_hash(
            province=parts[0], city=parts[1], district=parts[2], detail=parts[3]
        )
        if not hashed:
            raise InvalidRiskInput(
                fields={"value": [_("Enter the address as province|city|district|detail.")]}
            )
        return hashed, f"{parts[0]}{parts[1]}{parts[2]}***"
    raise InvalidRiskInput(fields={"kind": [_("Unknown blacklist type.")]})


@transaction.atomic
def blacklist_add(
    *,
    actor,
    kind: str,
    reason: str,
    value: str = "",
    member=None,
    days=None,
    case: RiskCase | None = None,
) -> BlacklistEntry:
    """Blacklist a member, device, IP, phone or address (for ``days``; None: until
    revoked). 409 ``invalid_state`` when the value already has a live entry."""
    _require(actor, perms.ADD_BLACKLIST)
    stored, label = _normalise(kind, value, member)
    reason = _reason(reason)
    expires_at = _expiry(days)
    # An expired entry still holds the "one live entry" slot until revoked: retire it.
    BlacklistEntry.objects.filter(
        kind=kind, value=stored, revoked_at__isnull=True, expires_at__lte=timezone.now()
    ).update(revoked_at=timezone.now(), revoke_reason="expired")
    try:
        with transaction.atomic():
            entry = BlacklistEntry.objects.create(
                kind=kind,
                value=stored,
                label=str(label)[:128],
                member=member if kind == B.MEMBER else None,
                reason=reason,
                case=case,
                expires_at=expires_at,
                created_by=actor,
            )
    except IntegrityError:
        raise RiskStateConflict(_("This is already on the blacklist.")) from None
    audit(
        actor=actor,
        action="risk.blacklist_add",
        target=entry,
        data={"kind": kind, "label": entry.label, "expires_at": expires_at},
    )
    return entry


@transaction.atomic
def blacklist_revoke(*, actor, entry: BlacklistEntry, reason: str) -> BlacklistEntry:
    _require(actor, perms.CHANGE_BLACKLIST)
    reason = _reason(reason)
    entry = blacklist_get(actor=actor, pk=entry.pk, lock=True)
    if entry.revoked_at is not None:
        raise RiskStateConflict(_("This entry was already revoked."))
    entry.revoked_at = timezone.now()
    entry.revoked_by = actor
    entry.revoke_reason = reason
    entry.save(update_fields=["revoked_at", "revoked_by", "revoke_reason", "updated_at"])
    audit(actor=actor, action="risk.blacklist_revoke", target=entry, data={"reason": reason})
    return entry


# How long a confirmed case's finding stays on the list (member: until revoked). An IP
# is often shared (carrier NAT, campus), so it is listed for the shortest time.
CASE_LIST_DAYS = {B.MEMBER: None, B.DEVICE: 180, B.IP: 30, B.ADDRESS: 180}


def blacklist_from_case(*, actor, case: RiskCase, reason: str) -> list[BlacklistEntry]:
    """Blacklist the case's member and the ``devices`` / ``ips`` / ``addresses`` its
    evidence lists (values already live are skipped), each for ``CASE_LIST_DAYS``."""
    wanted: list[tuple[str, str, object]] = []
    if case.member_id:
        wanted.append((B.MEMBER, "", case.member))
    evidence = case.evidence or {}
    for kind, key in ((B.DEVICE, "devices"), (B.IP, "ips"), (B.ADDRESS, "addresses")):
        for value in evidence.get(key, [])[:50]:
            wanted.append((kind, str(value), None))
    added = []
    for kind, value, member in wanted:
        try:
            added.append(
                blacklist_add(
                    actor=actor,
                    kind=kind,
                    value=value,
                    member=member,
                    reason=reason,
                    case=case,
                    days=CASE_LIST_DAYS[kind],
                )
            )
        except RiskStateConflict:
            continue
    return added
