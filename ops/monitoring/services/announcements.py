"""Staff announcements (公告): written by the ops lead or tech lead, read on the workbench.

An announcement is for all staff or for the holders of some roles, and shows from
``publish_at`` until ``expire_at`` (none: until withdrawn). Who reads which:
``selectors.announcement_feed``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from mall.core.audit import audit, snapshot

from .. import permissions as perms
from ..exceptions import InvalidMonitoringInput, MonitoringPermissionDenied
from ..models import Announcement

FIELDS = ["title", "body", "is_for_all_staff", "publish_at", "expire_at"]


def _clean(*, title, body, is_for_all_staff, roles, publish_at, expire_at) -> tuple[str, str, list]:
    problems: dict[str, list[str]] = {}
    title = (title or "").strip()
    body = (body or "").strip()
    roles = list(roles or [])
    if not title or len(title) > 200:
        problems["title"] = [gettext("Enter a title of at most 200 characters.")]
    if not body or len(body) > 5000:
        problems["body"] = [gettext("Enter a text of at most 5000 characters.")]
    if not is_for_all_staff and not roles:
        problems["roles"] = [gettext("Choose the roles it is for, or all staff.")]
    if publish_at is None:
        problems["publish_at"] = [gettext("This field is required.")]
    elif expire_at is not None and expire_at <= publish_at:
        problems["expire_at"] = [gettext("The expiry must be after the publish time.")]
    if problems:
        raise InvalidMonitoringInput(fields=problems)
    return title, body, roles


def _state(announcement: Announcement) -> dict:
    return {
        **snapshot(announcement, FIELDS),
        "roles": sorted(announcement.roles.values_list("pk", flat=True)),
    }


def announcement_create(
    *,
    actor,
    title: str,
    body: str,
    is_for_all_staff: bool,
    roles: Iterable = (),
    publish_at: datetime,
    expire_at: datetime | None = None,
) -> Announcement:
    """Create an announcement for all staff or for ``roles`` (``rbac.Role`` rows).

    Needs ``monitoring.add_announcement``. Raises ``MonitoringPermissionDenied`` and
    ``InvalidMonitoringInput`` (empty title or text, no audience, expiry not after the
    publish time). Audited as ``monitoring.announcement_create``.
    """
    if not actor.has_perm(perms.ADD_ANNOUNCEMENT):
        raise MonitoringPermissionDenied()
    title, body, roles = _clean(
        title=title,
        body=body,
        is_for_all_staff=is_for_all_staff,
        roles=roles,
        publish_at=publish_at,
        expire_at=expire_at,
    )
    with transaction.atomic():
        announcement = Announcement.objects.create(
            title=title,
            body=body,
            is_for_all_staff=bool(is_for_all_staff),
            publish_at=publish_at,
            expire_at=expire_at,
            created_by=actor,
        )
        announcement.roles.set([] if is_for_all_staff else roles)
        audit(
            actor=actor,
            action="monitoring.announcement_create",
            target=announcement,
            after=_state(announcement),
        )
    return announcement


def announcement_update(
    *,
    actor,
    announcement: Announcement,
    title: str,
    body: str,
    is_for_all_staff: bool,
    roles: Iterable = (),
    publish_at: datetime,
    expire_at: datetime | None = None,
) -> Announcement:
    """Change an announcement's text, audience or times.

    Needs ``monitoring.change_announcement``; same checks as creating. Audited as
    ``monitoring.announcement_update`` with the diff.
    """
    if not actor.has_perm(perms.CHANGE_ANNOUNCEMENT):
        raise MonitoringPermissionDenied()
    title, body, roles = _clean(
        title=title,
        body=body,
        is_for_all_staff=is_for_all_staff,
        roles=roles,
        publish_at=publish_at,
        expire_at=expire_at,
    )
    with transaction.atomic():
        announcement = Announcement.objects.select_for_update().get(pk=announcement.pk)
        before = _state(announcement)
        announcement.title, announcement.body = title, body
        announcement.is_for_all_staff = bool(is_for_all_staff)
        announcement.publish_at, announcement.expire_at = publish_at, expire_at
        announcement.save(update_fields=[*FIELDS, "updated_at"])
        announcement.roles.set([] if is_for_all_staff else roles)
        audit(
            actor=actor,
            action="monitoring.announcement_update",
            target=announcement,
            before=before,
            after=_state(announcement),
        )
    return announcement


def announcement_withdraw(*, actor, announcement: Announcement) -> Announcement:
    """End an announcement now (its expiry becomes now; one not yet published ends too).

    Needs ``monitoring.change_announcement``. No-op on one already ended. Audited as
    ``monitoring.announcement_withdraw``.
    """
    if not actor.has_perm(perms.CHANGE_ANNOUNCEMENT):
        raise MonitoringPermissionDenied()
    now = timezone.now()
    with transaction.atomic():
        announcement = Announcement.objects.select_for_update().get(pk=announcement.pk)
        if announcement.expire_at is not None and announcement.expire_at <= now:
            return announcement
        before = snapshot(announcement, ["publish_at", "expire_at"])
        if announcement.publish_at >= now:  # never shown: it ends before it starts
            announcement.publish_at = now - timedelta(microseconds=1)
        announcement.expire_at = now
        announcement.save(update_fields=["publish_at", "expire_at", "updated_at"])
        audit(
            actor=actor,
            action="monitoring.announcement_withdraw",
            target=announcement,
            before=before,
            after=snapshot(announcement, ["publish_at", "expire_at"]),
        )
    return announcement
