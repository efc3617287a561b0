"""Member accounts: registration, login tokens, profile, status, addresses, opt-outs."""

from __future__ import annotations

import hashlib
import secrets
from datetime import date, timedelta

from django.contrib.auth.hashers import check_password, identify_hasher, make_password
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mall.core import lockout
from mall.core.audit import audit, snapshot
from mall.core.context import current_client_ip, current_device_id
from mall.core.exceptions import InvalidInput
from mall.core.guard import guard_or_raise, review_opened
from mall.core.transitions import transition
from ops.parameters import get_parameter
from rbac.models import Province

from .. import crypto
from ..exceptions import (
    AddressNotFound,
    InvalidCredentials,
    InvalidPhone,
    InvalidStatusChange,
    LoginLockedOut,
    MemberInactive,
    PhoneTaken,
    UnknownProvince,
)
from ..levels import levels_ensure
from ..models import (
    Address,
    Level,
    Member,
    MemberToken,
    NotificationKind,
    NotificationOptOut,
    SmsCode,
)
from ..parameters import REGISTER_REQUIRES_SMS_CODE
from ..signals import member_registered, send_on_commit
from ..validators import id_number_is_valid, normalize_phone
from .sms_codes import sms_code_verify
from .transitions import MEMBER_STATUS

MEMBER_AUDIT_FIELDS = (
    "gender",
    "birthday",
    "channel",
    "is_real_name_verified",
    "level_id",
    "growth",
    "points_balance",
    "status",
    "risk_mark",
    "region_id",
)
MAX_REASON_LENGTH = 200
# A dummy hash to compare against when the phone is unknown, so a login for an unknown
# phone costs the same time as a wrong password (no phone enumeration by timing).
_DUMMY_PASSWORD_HASH = make_password("not-a-real-password-0")


def _member_snapshot(member: Member) -> dict:
    """Audit snapshot of a member: no personal data, not even as ciphertext."""
    return snapshot(member, MEMBER_AUDIT_FIELDS)


def _lowest_level() -> Level:
    levels_ensure()
    return Level.objects.order_by("rank").first()


def member_register(
    *,
    actor,
    phone: str,
    password: str = "",
    channel: str = Member.Channel.PHONE,
    external_id: str = "",
    name: str = "",
    gender: str = Member.Gender.UNKNOWN,
    birthday: date | None = None,
    password_hash: str | None = None,
    sms_code: str = "",
) -> Member:
    """Create a member with a hashed password and encrypted personal data.

    The member starts at the lowest level with zero growth and points. Raises
    ``InvalidPhone``, ``InvalidInput`` (weak password, bad channel) or ``PhoneTaken``
    (the lookup hash is unique, so concurrent registrations of one phone cannot both
    succeed). ``actor`` is None for a storefront registration (anonymous: the entry
    ``member.register`` then names the new member), or the staff user / seeder
    creating the account. ``password_hash`` takes
    an existing Django password hash instead of ``password`` (imports from another
    system, the demo seeder); it must be a hash Django recognises. A storefront
    registration asks risk control first (``mall.core.guard``, point
    ``member.register``); a ``review`` verdict opens a risk case after commit. With
    the parameter ``members.register_requires_sms_code`` on, a storefront
    registration also needs ``sms_code`` (``members.services.sms_codes``): checked
    after risk control and before anything is written (400 ``invalid_sms_code``).
    """
    phone = normalize_phone(phone)
    if channel not in Member.Channel.values:
        raise InvalidInput(fields={"channel": [str(_("Unknown registration channel."))]})
    if gender not in Member.Gender.values:
        raise InvalidInput(fields={"gender": [str(_("Unknown gender."))]})
    if password_hash is not None:
        try:
            identify_hasher(password_hash)
        except ValueError as exc:
            raise InvalidInput(fields={"password": [str(_("Not a password hash."))]}) from exc
    else:
        try:
            validate_password(password)
        except ValidationError as exc:
            raise InvalidInput(
                _("The password is too weak."),
                code="weak_password",
                fields={"password": exc.messages},
            ) from exc
    if actor is None:
        # A storefront sign-up: risk control may refuse it (bursts from one IP or
        # device) before anything is written — 403 risk_blocked / 429. The SMS code is
        # checked before "phone taken", so only the phone's owner learns that it is
        # registered (a registered phone is never sent a code: API.md, no enumeration).
        # The code first: a blocked (blacklisted) phone is then only ever told so
        # once its owner proved it is theirs.
        if get_parameter(REGISTER_REQUIRES_SMS_CODE):
            sms_code_verify(
                actor=None, phone=phone, purpose=SmsCode.Purpose.REGISTER, code=sms_code
            )
        verdict = guard_or_raise("member.register", phone=phone)
    else:
        verdict = None
    if Member.objects.filter(phone_hash=crypto.lookup_hash(phone)).exists():
        raise PhoneTaken(fields={"phone": [str(PhoneTaken.default_message)]})
    member = Member(
        phone=phone,
        name=name,
        password=password_hash or make_password(password),
        channel=channel,
        gender=gender,
        birthday=birthday,
        level=_lowest_level(),
    )
    if external_id:
        member.external_id_hash = crypto.lookup_hash(external_id, purpose=f"external:{channel}")
    try:
        with transaction.atomic():
            member.save(force_insert=True)
            audit(
                actor=actor or member,
                action="member.register",
                target=member,
                after=_member_snapshot(member),
            )
            send_on_commit(
                member_registered,
                Member,
                member=member,
                client_ip=current_client_ip(),
                device_id=current_device_id(),
            )
            if verdict is not None and verdict.needs_review:
                transaction.on_commit(
                    lambda: review_opened(
                        point="member.register",
                        verdict=verdict,
                        subject=member,
                        context={
                            "client_ip": current_client_ip(),
                            "device_id": current_device_id(),
                        },
                    )
                )
    except IntegrityError as exc:
        if Member.objects.filter(phone_hash=member.phone_hash).exists():
            raise PhoneTaken(fields={"phone": [str(PhoneTaken.default_message)]}) from exc
        raise
    return member


def _member_by_phone(phone: str) -> Member | None:
    """The member with exactly this phone (through the lookup hash), or None."""
    try:
        phone = normalize_phone(phone)
    except InvalidPhone:
        return None
    return Member.objects.filter(phone_hash=crypto.lookup_hash(phone)).first()


def _token_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def member_token_issue(*, actor, member: Member) -> str:
    """Create a bearer token for ``member`` and return its key (stored only hashed).

    ``actor`` is the member logging in (or None right after an anonymous
    registration); not audited on its own: login and registration are.
    """
    key = secrets.token_urlsafe(32)
    ttl = timedelta(days=get_parameter("members.token_ttl_days"))
    MemberToken.objects.create(
        member=member, key_hash=_token_hash(key), expires_at=timezone.now() + ttl
    )
    return key


def member_token_resolve(*, actor, key: str) -> Member | None:
    """Return the member a token key belongs to, or None (unknown/expired).

    ``actor`` is None: the caller is the anonymous request presenting the key.
    Expired tokens are deleted on sight.
    """
    if not key:
        return None
    token = MemberToken.objects.select_related("member").filter(key_hash=_token_hash(key)).first()
    if token is None:
        return None
    now = timezone.now()
    if token.expires_at <= now:
        token.delete()
        return None
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=5):
        MemberToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.member


def member_tokens_purge(*, actor, now=None) -> int:
    """Delete expired member tokens; return how many went (``actor``: the system)."""
    deleted, _details = MemberToken.objects.filter(expires_at__lte=now or timezone.now()).delete()
    return deleted


def member_login(
    *, actor, phone: str, password: str, client_ip: str | None = None
) -> tuple[Member, str]:
    """Check phone + password and return ``(member, token key)``.

    ``actor`` is None (an anonymous caller); the entries name the member.

    Repeated failures lock the phone (and the IP) for a while (``mall.core.lockout``),
    even with the right password: ``LoginLockedOut`` (429). Wrong phone or password
    is one answer (``InvalidCredentials``, 401) so phones cannot be enumerated.
    Frozen or closed members get ``MemberInactive``. The first login of a day grants
    growth (``members.growth_daily_login``, once per member and day).
    """
    try:
        # One lock per number, however it is spelled (+86, spaces, dashes).
        subject = f"member:{normalize_phone(phone)}"
    except InvalidPhone:
        subject = f"member:{phone}"
    if lockout.is_locked(subject, client_ip):
        raise LoginLockedOut()
    member = _member_by_phone(phone)
    if member is None or not check_password(password, member.password):
        if member is None:
            check_password(password, _DUMMY_PASSWORD_HASH)
        with transaction.atomic():
            audit(
                actor=member,
                action="member.login_failed",
                object_type="members.member",
                object_id=member.pk if member else "",
            )
        if lockout.register_failure(subject, client_ip):
            raise LoginLockedOut()
        raise InvalidCredentials()
    if not member.is_active:
        raise MemberInactive()
    lockout.reset(subject)
    from .growth import growth_record_daily_login

    with transaction.atomic():
        now = timezone.now()
        Member.objects.filter(pk=member.pk).update(last_login_at=now)
        member.last_login_at = now
        key = member_token_issue(actor=member, member=member)
        growth_record_daily_login(actor=member, member=member, day=timezone.localdate(now))
        audit(actor=member, action="member.login", target=member)
    member.refresh_from_db()
    return member, key


def member_logout(*, actor, member: Member, key: str) -> None:
    """Delete the token ``key`` of ``member`` (``actor``: the member)."""
    with transaction.atomic():
        MemberToken.objects.filter(member=member, key_hash=_token_hash(key)).delete()
        audit(actor=actor or member, action="member.logout", target=member)


PROFILE_FIELDS = {"name", "gender", "birthday"}


def member_update_profile(*, actor, member: Member, **changes) -> Member:
    """Change a member's own profile fields (name, gender, birthday).

    The birthday can be set once (it drives yearly benefits): changing an existing
    birthday raises ``InvalidInput``.
    """
    unknown = set(changes) - PROFILE_FIELDS
    if unknown:
        raise InvalidInput(fields={field: [str(_("Cannot be changed."))] for field in unknown})
    with transaction.atomic():
        member = Member.objects.select_for_update().get(pk=member.pk)
        before = _member_snapshot(member)
        if "birthday" in changes and member.birthday and changes["birthday"] != member.birthday:
            raise InvalidInput(fields={"birthday": [str(_("The birthday can only be set once."))]})
        if "birthday" in changes and not (
            date(1900, 1, 1) <= changes["birthday"] <= timezone.localdate()
        ):
            raise InvalidInput(fields={"birthday": [str(_("Not a possible birthday."))]})
        if "gender" in changes and changes["gender"] not in Member.Gender.values:
            raise InvalidInput(fields={"gender": [str(_("Unknown gender."))]})
        update_fields = []
        for field, value in changes.items():
            setattr(member, field, value)
            update_fields.append("name_encrypted" if field == "name" else field)
        member.save(update_fields=[*update_fields, "updated_at"])
        audit(
            actor=actor,
            action="member.update_profile",
            target=member,
            before=before,
            after=_member_snapshot(member),
            data={"fields": sorted(changes)},
        )
    return member


def member_verify_real_name(*, actor, member: Member, name: str, id_number: str) -> Member:
    """Record a passed real-name verification: name and ID number (encrypted), flag set.

    The identity check itself is done by the verification provider before this is
    called; here the ID number's format and check character are validated
    (``InvalidInput``). Audited without the personal data.
    """
    name = (name or "").strip()
    id_number = (id_number or "").strip().upper()
    problems = {}
    if not name or len(name) > 50:
        problems["name"] = [str(_("Enter the name on the ID card."))]
    if not id_number_is_valid(id_number):
        problems["id_number"] = [str(_("Not a valid resident ID number."))]
    if problems:
        raise InvalidInput(fields=problems)
    with transaction.atomic():
        member = Member.objects.select_for_update().get(pk=member.pk)
        before = _member_snapshot(member)
        member.name = name
        member.id_number = id_number
        member.is_real_name_verified = True
        member.save(
            update_fields=[
                "name_encrypted",
                "id_number_encrypted",
                "is_real_name_verified",
                "updated_at",
            ]
        )
        audit(
            actor=actor,
            action="member.verify_real_name",
            target=member,
            before=before,
            after=_member_snapshot(member),
        )
    return member


def member_set_status(*, actor, member: Member, status: str, reason: str) -> Member:
    """Freeze, unfreeze or close a member (staff); a reason is required.

    Allowed moves are in ``MEMBER_STATUS`` (``services/transitions.py``); closing is
    final (``InvalidStatusChange``, 409). Freezing or closing deletes the member's
    tokens, so storefront sessions end at once. A reason longer than 200 characters
    is refused (``InvalidInput``), never cut.
    """
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(fields={"reason": [str(_("A reason is required."))]})
    if len(reason) > MAX_REASON_LENGTH:
        raise InvalidInput(fields={"reason": [str(_("At most 200 characters."))]})
    with transaction.atomic():
        member = Member.objects.select_for_update().get(pk=member.pk)
        if not MEMBER_STATUS.allows(member.status, status):
            raise InvalidStatusChange()
        transition(member, status, actor=actor, action="member.set_status", reason=reason)
        if status != Member.Status.ACTIVE:
            MemberToken.objects.filter(member=member).delete()
    return member


def member_set_risk_mark(*, actor, member: Member, risk_mark: str, reason: str) -> Member:
    """Set the member's risk mark (used by risk control and staff).

    Setting the mark the member already has changes nothing and writes no entry.
    A reason longer than 200 characters is refused (``InvalidInput``).
    """
    if risk_mark not in Member.RiskMark.values:
        raise InvalidInput(fields={"risk_mark": [str(_("Unknown risk mark."))]})
    reason = (reason or "").strip()
    if len(reason) > MAX_REASON_LENGTH:
        raise InvalidInput(fields={"reason": [str(_("At most 200 characters."))]})
    with transaction.atomic():
        member = Member.objects.select_for_update().get(pk=member.pk)
        if member.risk_mark == risk_mark:
            return member
        transition(
            member,
            risk_mark,
            field="risk_mark",
            actor=actor,
            action="member.set_risk_mark",
            reason=reason,
        )
    return member


# --- addresses ------------------------------------------------------------------------


def _refresh_member_region(member: Member) -> None:
    """A member's sales region is the region of their default address (or none)."""
    default = Address.objects.filter(member=member, is_default=True).first()
    region_id = default.region_id if default else None
    if member.region_id != region_id:
        Member.objects.filter(pk=member.pk).update(region_id=region_id)
        member.region_id = region_id


def _resolve_province(province) -> Province:
    if isinstance(province, Province):
        return province
    found = Province.objects.select_related("region").resolve(str(province or ""))
    if found is None:
        raise UnknownProvince(fields={"province": [str(UnknownProvince.default_message)]})
    return found


def _validate_address_fields(
    recipient: str, phone: str, city: str, detail: str, district: str = ""
) -> str:
    problems: dict[str, list[str]] = {}
    for field, value, limit in (
        ("name", recipient, 50),
        ("city", city, 50),
        ("detail", detail, 200),
    ):
        if not (value or "").strip():
            problems[field] = [str(_("This field is required."))]
        elif len(value) > limit:
            problems[field] = [str(_("Too long."))]
    if len((district or "").strip()) > 50:
        problems["district"] = [str(_("Too long."))]
    if problems:
        raise InvalidInput(fields=problems)
    return normalize_phone(phone)


ADDRESS_AUDIT_FIELDS = ("province_id", "region_id", "city", "district", "is_default")


def address_create(
    *,
    actor,
    member: Member,
    name: str,
    phone: str,
    province,
    city: str,
    district: str = "",
    detail: str,
    is_default: bool = False,
) -> Address:
    """Add an address; the first one (or ``is_default``) becomes the default.

    The province (short or full name) decides the address's sales region, and the
    default address decides the member's region (data scope of staff).
    """
    phone = _validate_address_fields(name, phone, city, detail, district)
    province = _resolve_province(province)
    with transaction.atomic():
        member = Member.objects.select_for_update().get(pk=member.pk)
        has_any = Address.objects.filter(member=member).exists()
        make_default = is_default or not has_any
        if make_default:
            Address.objects.filter(member=member, is_default=True).update(is_default=False)
        address = Address(
            member=member,
            recipient=name.strip(),
            phone=phone,
            province=province,
            region_id=province.region_id,
            city=city.strip(),
            district=(district or "").strip(),
            detail=detail.strip(),
            is_default=make_default,
        )
        address.save(force_insert=True)
        _refresh_member_region(member)
        audit(
            actor=actor,
            action="member.address_create",
            target=address,
            after=snapshot(address, ADDRESS_AUDIT_FIELDS),
        )
    return address


def address_update(*, actor, address: Address, **changes) -> Address:
    """Change an address (``name``, ``phone``, ``province``, ``city``, ``district``,
    ``detail``, ``is_default``); making it default un-defaults the others."""
    allowed = {"name", "phone", "province", "city", "district", "detail", "is_default"}
    unknown = set(changes) - allowed
    if unknown:
        raise InvalidInput(fields={field: [str(_("Cannot be changed."))] for field in unknown})
    with transaction.atomic():
        Member.objects.select_for_update().get(pk=address.member_id)
        address = Address.objects.select_for_update().get(pk=address.pk)
        before = snapshot(address, ADDRESS_AUDIT_FIELDS)
        phone = _validate_address_fields(
            changes.get("name", address.recipient),
            changes.get("phone", address.phone),
            changes.get("city", address.city),
            changes.get("detail", address.detail),
            changes.get("district", address.district),
        )
        if "name" in changes:
            address.recipient = changes["name"].strip()
        if "phone" in changes:
            address.phone = phone
        if "province" in changes:
            province = _resolve_province(changes["province"])
            address.province = province
            address.region_id = province.region_id
        if "city" in changes:
            address.city = changes["city"].strip()
        if "district" in changes:
            address.district = (changes["district"] or "").strip()
        if "detail" in changes:
            address.detail = changes["detail"].strip()
        if changes.get("is_default") and not address.is_default:
            Address.objects.filter(member_id=address.member_id, is_default=True).update(
                is_default=False
            )
            address.is_default = True
        address.save(
            update_fields=[
                "recipient_encrypted",
                "phone_encrypted",
                "province",
                "region",
                "city",
                "district",
                "detail_encrypted",
                "is_default",
                "updated_at",
            ]
        )
        _refresh_member_region(address.member)
        audit(
            actor=actor,
            action="member.address_update",
            target=address,
            before=before,
            after=snapshot(address, ADDRESS_AUDIT_FIELDS),
            data={"fields": sorted(changes)},
        )
    return address


def address_delete(*, actor, address: Address) -> None:
    """Delete an address; if it was the default, the newest remaining one takes over."""
    with transaction.atomic():
        member = Member.objects.select_for_update().get(pk=address.member_id)
        address = Address.objects.filter(pk=address.pk, member=member).first()
        if address is None:
            raise AddressNotFound()
        was_default = address.is_default
        address_id = address.pk
        address.delete()
        if was_default:
            successor = Address.objects.filter(member=member).order_by("-id").first()
            if successor:
                Address.objects.filter(pk=successor.pk).update(is_default=True)
        _refresh_member_region(member)
        audit(
            actor=actor,
            action="member.address_delete",
            object_type="members.address",
            object_id=address_id,
            data={"member": member.pk, "was_default": was_default},
        )


# --- notification preferences ---------------------------------------------------------


def member_set_opt_outs(*, actor, member: Member, kinds: list[str]) -> list[str]:
    """Replace the kinds of notification the member does not want; return them sorted."""
    unknown = [kind for kind in kinds if kind not in NotificationKind.values]
    if unknown:
        raise InvalidInput(fields={"opt_outs": [str(_("Unknown notification kind."))]})
    wanted = set(kinds)
    with transaction.atomic():
        Member.objects.select_for_update().get(pk=member.pk)
        current = set(
            NotificationOptOut.objects.filter(member=member).values_list("kind", flat=True)
        )
        NotificationOptOut.objects.filter(member=member, kind__in=current - wanted).delete()
        NotificationOptOut.objects.bulk_create(
            [NotificationOptOut(member=member, kind=kind) for kind in sorted(wanted - current)]
        )
        audit(
            actor=actor,
            action="member.set_opt_outs",
            target=member,
            before={"opt_outs": sorted(current)},
            after={"opt_outs": sorted(wanted)},
        )
    return sorted(wanted)
