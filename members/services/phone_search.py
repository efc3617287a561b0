"""Staff looking a member up by full phone number (customer service's everyday search).

A full-number search is an oracle over encrypted data ("is 139… a member?"), so it
stays possible but watched: every search is audited (``member.phone_search``: who,
and which member matched — the id, never the number), limited per staff user per
hour (parameter ``members.phone_search_per_hour``, counted in the cache), and the
search that reaches the limit notifies the holders of
``members.receive_security_alerts`` (once per user per hour). A partial number
matches nobody: the search goes through the lookup hash of the normalised full
number (``selectors.member_get_by_phone``).
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.cache import cache
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext

from mall.core.audit import audit
from ops.parameters import get_parameter

from .. import selectors
from ..exceptions import PhoneSearchRateLimited
from ..models import Member

SECURITY_ALERT_PERMISSION = "members.receive_security_alerts"
_WINDOW = 3600


def _security_owners() -> list[int]:
    """Ids of active staff holding the security-alert permission (role or direct)."""
    app_label, codename = SECURITY_ALERT_PERMISSION.split(".")
    permission = Permission.objects.filter(
        content_type__app_label=app_label, codename=codename
    ).first()
    if permission is None:
        return []
    return list(
        get_user_model()
        .objects.filter(Q(user_permissions=permission) | Q(groups__permissions=permission))
        .filter(is_active=True, is_staff=True)
        .values_list("pk", flat=True)
        .distinct()
    )


def _count_search(actor) -> tuple[int, int]:
    """Count one search of ``actor`` in the current hour; return (count, hour bucket)."""
    bucket = int(timezone.now().timestamp()) // _WINDOW
    key = f"members:phone_search:{actor.pk}:{bucket}"
    cache.add(key, 0, timeout=_WINDOW + 60)
    try:
        return cache.incr(key), bucket
    except ValueError:  # evicted between add and incr
        cache.set(key, 1, timeout=_WINDOW + 60)
        return 1, bucket


def member_search_by_phone(*, actor, phone: str, context: str = "") -> Member | None:
    """The member in ``actor``'s scope whose full phone is ``phone``, or None; audited.

    Raises :class:`PhoneSearchRateLimited` (429) once ``actor`` has made
    ``members.phone_search_per_hour`` searches this hour.
    """
    from ops.services.notifications import staff_notify

    limit = get_parameter("members.phone_search_per_hour")
    count, bucket = _count_search(actor)
    if count > limit:
        raise PhoneSearchRateLimited()
    member = selectors.member_get_by_phone(actor=actor, phone=phone)
    with transaction.atomic():
        audit(
            actor=actor,
            action="member.phone_search",
            object_type="members.member",
            object_id=member.pk if member is not None else "",
            data={"matched": member is not None, "context": context, "count": count},
        )
        if count == limit:
            staff_notify(
                actor=actor,
                recipients=_security_owners(),
                kind="security.phone_search_burst",
                title=gettext("Phone-search limit reached by %(user)s")
                % {"user": actor.get_username()},
                body=gettext("%(count)d searches by phone number within the hour.")
                % {"count": count},
                dedupe_key=f"phone-search-burst:{actor.pk}:{bucket}",
            )
    return member
