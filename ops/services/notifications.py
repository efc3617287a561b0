"""Staff notifications: the in-admin inbox (low stock, review waiting, SLA breached).

Other apps call :func:`staff_notify`; it never raises for an empty recipient list and
skips recipients who already hold a notification with the same ``dedupe_key``, so a
job that runs twice does not notify twice.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from mall.core.audit import audit
from mall.core.subjects import subject_key

from ..exceptions import NotificationNotYours
from ..models import StaffNotification


def _recipient_ids(recipients: Iterable) -> list[int]:
    user_model = get_user_model()
    ids: set[int] = set()
    for recipient in recipients:
        if isinstance(recipient, user_model):
            ids.add(recipient.pk)
        elif recipient is not None:
            ids.add(int(recipient))
    if not ids:
        return []
    # Deactivated staff (leavers) get nothing.
    return sorted(
        user_model.objects.filter(pk__in=ids, is_active=True).values_list("pk", flat=True)
    )


def staff_notify(
    *,
    actor,
    recipients: Iterable,
    kind: str,
    title: str,
    body: str = "",
    link: str = "",
    dedupe_key: str = "",
    subject=None,
) -> int:
    """Put one notification into each recipient's inbox; return how many were created.

    ``recipients`` are users or user ids; inactive users are skipped. With a
    ``dedupe_key``, a recipient who already has an open (unresolved) notification
    with that key gets no second one (enforced by a partial unique constraint, so
    concurrent callers are safe too); once it is resolved, the key may notify again.
    Audited as one ``notification.send`` entry, by ``actor`` (the staff member or job
    whose work caused it), when anything was created.

    The title is a label the caller derives (often from a product title): one longer
    than the column is shortened with an ellipsis. A ``dedupe_key`` or ``link`` that
    does not fit is a programming error (``ValueError``): cutting either would merge
    distinct notices or break the link.

    ``subject`` is the model instance the notice is about (a product waiting for
    review, a request to approve, a stock alert): when it is decided, the deciding
    service calls :func:`notifications_resolve` and the notice leaves every inbox's
    open work.
    """
    dedupe_key = dedupe_key or ""
    if len(dedupe_key) > 200 or len(str(link)) > 500:
        raise ValueError("staff_notify: dedupe_key (200) or link (500) too long")
    ids = _recipient_ids(recipients)
    if not ids:
        return 0
    title = str(title)
    if len(title) > 200:
        title = title[:199] + "…"
    with transaction.atomic():
        if dedupe_key:
            already = set(
                StaffNotification.objects.filter(
                    recipient_id__in=ids, dedupe_key=dedupe_key, resolved_at__isnull=True
                ).values_list("recipient_id", flat=True)
            )
            ids = [pk for pk in ids if pk not in already]
            if not ids:
                return 0
        rows = [
            StaffNotification(
                recipient_id=pk,
                kind=kind,
                title=title,
                body=str(body),
                link=str(link),
                dedupe_key=dedupe_key,
                subject_key=subject_key(subject) if subject is not None else "",
            )
            for pk in ids
        ]
        # A concurrent sender with the same key wins the race quietly; the unique
        # constraint keeps one row per (recipient, key).
        StaffNotification.objects.bulk_create(rows, ignore_conflicts=bool(dedupe_key))
        audit(
            actor=actor,
            action="notification.send",
            object_type="ops.staffnotification",
            data={"kind": kind, "dedupe_key": dedupe_key, "recipients": ids, "title": title},
        )
    return len(ids)


def notifications_resolve(
    *, actor, subject, kinds: Iterable[str] | None = None, recipients: Iterable | None = None
) -> int:
    """Resolve the open notices about ``subject`` (of ``kinds``, or all) in every inbox.

    Called by the service that decides the subject (review approved or rejected,
    request approved, alert cleared), inside its transaction: the notices stop
    counting as open work at the moment the decision commits. ``recipients`` (users
    or ids) narrows it to their inboxes — a first approval is done work for the
    approver only. Audited as one ``notification.resolve`` entry when anything was
    resolved; returns how many.
    """
    key = subject_key(subject)
    kinds = sorted(kinds) if kinds is not None else None
    rows = StaffNotification.objects.filter(subject_key=key, resolved_at__isnull=True)
    if kinds is not None:
        rows = rows.filter(kind__in=kinds)
    if recipients is not None:
        rows = rows.filter(recipient_id__in=[getattr(r, "pk", r) for r in recipients])
    count = rows.update(resolved_at=timezone.now())
    if count:
        audit(
            actor=actor,
            action="notification.resolve",
            object_type="ops.staffnotification",
            data={
                "subject": key,
                "kinds": kinds,
                "count": count,
            },
        )
    return count


def notification_mark_read(*, actor, notification: StaffNotification) -> StaffNotification:
    """Mark one of ``actor``'s notifications read (no-op when already read).

    Raises ``NotificationNotYours`` (404) for somebody else's notification.
    """
    if notification.recipient_id != actor.pk:
        raise NotificationNotYours()
    if notification.read_at is not None:
        return notification
    now = timezone.now()
    updated = StaffNotification.objects.filter(pk=notification.pk, read_at__isnull=True).update(
        read_at=now
    )
    notification.read_at = (
        now
        if updated
        else StaffNotification.objects.values_list("read_at", flat=True).get(pk=notification.pk)
    )
    return notification


def notification_resolve(*, actor, notification: StaffNotification) -> StaffNotification:
    """Mark one of ``actor``'s notices done (read and resolved): it leaves their open work.

    For a notice that needs no decision elsewhere (an FYI, or work done outside the
    system); notices about a request or review are resolved by the deciding service.
    Raises ``NotificationNotYours`` (404) for somebody else's notice; no-op when done.
    """
    if notification.recipient_id != actor.pk:
        raise NotificationNotYours()
    if notification.resolved_at is not None:
        return notification
    now = timezone.now()
    StaffNotification.objects.filter(pk=notification.pk, resolved_at__isnull=True).update(
        resolved_at=now, read_at=Coalesce("read_at", Value(now))
    )
    notification.refresh_from_db(fields=["read_at", "resolved_at"])
    return notification


def notifications_mark_all_read(*, actor) -> int:
    """Mark every unread notification of ``actor`` read; return how many."""
    return StaffNotification.objects.filter(recipient_id=actor.pk, read_at__isnull=True).update(
        read_at=timezone.now()
    )


def staff_notify_holders(
    *,
    actor,
    permission: str,
    kind: str,
    title: str,
    body: str = "",
    link: str = "",
    dedupe_key: str = "",
    subject=None,
    exclude: int | None = None,
    whole_of=None,
) -> int:
    """:func:`staff_notify` every active staff member holding ``permission`` (directly,
    by a role, or as superuser) — and, when ``subject`` is a scoped row, only those
    whose data scope includes it (a regional clerk never hears of another region's
    money). ``exclude`` leaves one user out (the one who asked a second person to act).
    ``whole_of`` (a model): only those whose scope covers every row of it — for a notice
    carrying figures summed over all of its rows (a channel bill's open items).
    The one way to address "whoever handles this"."""
    from django.contrib.auth.models import Permission
    from django.db.models import Q

    from mall.core.scoping import scope_queryset

    app_label, _dot, codename = permission.partition(".")
    granted = Permission.objects.filter(content_type__app_label=app_label, codename=codename)
    users = (
        get_user_model()
        .objects.filter(
            Q(is_superuser=True)
            | Q(user_permissions__in=granted)
            | Q(groups__permissions__in=granted),
            is_active=True,
            is_staff=True,
        )
        .distinct()
    )
    recipients = [user for user in users if user.pk != exclude]
    if whole_of is not None:
        from mall.core.scoping import sees_every_row

        recipients = [user for user in recipients if sees_every_row(user, whole_of)]
    if subject is not None and getattr(subject, "pk", None) is not None:
        model = type(subject)
        recipients = [
            user
            for user in recipients
            if scope_queryset(user, model.objects.filter(pk=subject.pk)).exists()
        ]
    return staff_notify(
        actor=actor,
        recipients=recipients,
        kind=kind,
        title=title,
        body=body,
        link=link,
        dedupe_key=dedupe_key,
        subject=subject,
    )
