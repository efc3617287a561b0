"""Risk rules (lists); see risk/rules/__init__.py.

* ``blacklist`` — at every guard point that names someone: a live blacklist entry for
  what the point's context names (member, phone, device, IP, delivery address) blocks
  the action (403 ``risk_blocked``); at ``order.review`` it sends the order to review
  (the order is held). One indexed query per call
  (:func:`risk.services.lists.blacklisted`). ``payment.callback`` names nobody the
  list could hold (the member was checked when the order was placed): not registered.
* ``marked_account`` (``order.place``, ``order.review``) — a live ``high`` mark on the
  member sends the placement / the order to review.

Phones and addresses are compared by their lookup hashes (``members.crypto``); the
evidence carries the entry's masked label, never a plaintext phone or address.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from ..models import BlacklistEntry, RiskMark
from .base import blacklisted, block, live_marks, review, rule

B = BlacklistEntry.Kind


def _phone_hash(phone: str | None) -> str:
    from members import crypto
    from members.exceptions import InvalidPhone
    from members.validators import normalize_phone

    if not phone:
        return ""
    try:
        phone = normalize_phone(phone)
    except InvalidPhone:
        phone = phone.strip()
    return crypto.lookup_hash(phone)


def _member_id(member) -> str | None:
    pk = getattr(member, "pk", None)
    return str(pk) if pk else None


def _evidence(entry: BlacklistEntry, **named) -> dict:
    evidence = {
        "blacklist_entry": entry.pk,
        "blacklist_kind": entry.kind,
        "blacklist_label": entry.label,
    }
    for key, values in named.items():
        values = [str(v) for v in values if v]
        if values:
            evidence[key] = values
    return evidence


def _reason(entry: BlacklistEntry) -> str:
    return _("Blacklisted %(kind)s: %(label)s") % {
        "kind": entry.get_kind_display(),
        "label": entry.label,
    }


def _block(entry: BlacklistEntry | None, **named):
    if entry is None:
        return None
    return block("blacklist", _reason(entry), score=100, **_evidence(entry, **named))


@rule("member.sms_code", "blacklist")
def blacklist_sms_code(*, settings, phone=None, client_ip=None, device_id=None, **context):
    # Not the phone: an anonymous caller would learn from 403 vs 202 whether a number is
    # blacklisted. A blacklisted phone is refused at registration, after its code.
    entry = blacklisted({B.DEVICE: device_id, B.IP: client_ip})
    return _block(entry, devices=[device_id], ips=[client_ip])


@rule("member.register", "blacklist")
def blacklist_register(*, settings, phone=None, client_ip=None, device_id=None, **context):
    entry = blacklisted({B.PHONE: _phone_hash(phone), B.DEVICE: device_id, B.IP: client_ip})
    return _block(entry, devices=[device_id], ips=[client_ip])


@rule("coupon.claim", "blacklist")
def blacklist_coupon_claim(*, settings, member, client_ip=None, device_id=None, **context):
    entry = blacklisted(
        {
            B.MEMBER: _member_id(member),
            B.PHONE: getattr(member, "phone_hash", None),
            B.DEVICE: device_id,
            B.IP: client_ip,
        }
    )
    return _block(entry, members=[member.pk], devices=[device_id], ips=[client_ip])


@rule("order.place", "blacklist")
def blacklist_order_place(
    *, settings, member, address_hash=None, client_ip=None, device_id=None, **context
):
    entry = blacklisted(
        {
            B.MEMBER: _member_id(member),
            B.PHONE: getattr(member, "phone_hash", None),
            B.DEVICE: device_id,
            B.IP: client_ip,
            B.ADDRESS: address_hash,
        }
    )
    return _block(
        entry,
        members=[member.pk],
        devices=[device_id],
        ips=[client_ip],
        addresses=[address_hash],
    )


@rule("order.review", "blacklist")
def blacklist_order_review(*, settings, order, **context):
    """From the order's own columns (where it was placed from): a hit holds the order."""
    entry = blacklisted(
        {
            B.MEMBER: str(order.member_id) if order.member_id else None,
            B.DEVICE: order.device_id,
            B.IP: order.client_ip,
            B.ADDRESS: order.address_hash,
        }
    )
    if entry is None:
        return None
    return review(
        "blacklist",
        _reason(entry),
        score=100,
        **_evidence(
            entry,
            orders=[order.order_no],
            members=[order.member_id],
            devices=[order.device_id],
            ips=[order.client_ip],
            addresses=[order.address_hash],
        ),
    )


@rule("after_sale.request", "blacklist")
def blacklist_after_sale(
    *, settings, member, order=None, client_ip=None, device_id=None, **context
):
    entry = blacklisted({B.MEMBER: _member_id(member), B.DEVICE: device_id, B.IP: client_ip})
    return _block(
        entry,
        members=[member.pk],
        orders=[getattr(order, "order_no", None)],
        devices=[device_id],
        ips=[client_ip],
    )


def _high_mark(member_id) -> RiskMark | None:
    if not member_id:
        return None
    return (
        live_marks(member_id)
        .filter(level=RiskMark.Level.HIGH)
        .only("pk", "member_id", "level", "reason", "expires_at")
        .order_by("-id")
        .first()
    )


def _mark_review(mark: RiskMark | None, **named):
    if mark is None:
        return None
    evidence = {
        "mark": mark.pk,
        "mark_level": mark.level,
        "mark_expires_at": mark.expires_at.isoformat() if mark.expires_at else None,
        "members": [mark.member_id],
    }
    evidence.update({key: [str(v) for v in values if v] for key, values in named.items()})
    return review(
        "marked_account",
        _("The account has a high-risk mark: %(reason)s") % {"reason": mark.reason[:120]},
        score=70,
        **evidence,
    )


@rule("order.place", "marked_account")
def marked_account_place(*, settings, member, **context):
    return _mark_review(_high_mark(member.pk))


@rule("order.review", "marked_account")
def marked_account_review(*, settings, order, **context):
    return _mark_review(_high_mark(order.member_id), orders=[order.order_no])
