"""Pre-heat notices, hot-item stock alerts and the promotion calendar.

* **Pre-heat** (:func:`preheat_send`, daily): every approved flash-sale session and
  campaign starting within ``promotions.preheat_days`` days is announced once to each
  opted-in member through members' outbox (``notification_enqueue``, kind
  ``marketing``, channel in-app).

  *Opted-in* means: the member's account is active (frozen and closed accounts get
  no marketing) and the member has no ``NotificationOptOut`` of kind ``marketing``.
  Members opt out (or back in) in their notification settings
  (``member_set_opt_outs``); there is no separate opt-in flag, so a new member
  receives promotions until opting out.

  "Never twice" is the ``PreheatNotice`` row, unique per (promotion, member): each
  batch is one ``INSERT … SELECT … ON CONFLICT DO NOTHING RETURNING member_id`` over
  the members not yet told, and only the returned members are enqueued, in the
  same transaction (a crash loses both or keeps both). The outbox row carries a
  ``dedupe_key`` too. Batches of :data:`PREHEAT_BATCH` members, one transaction each.

* **Hot-item alerts** (:func:`hot_item_alerts_send`, every 10 minutes): during a
  running campaign or flash-sale session, each covered SKU (a session's items; a
  campaign's SKUs, categories or all on-shelf goods) whose sellable stock
  (``catalog.availability.sellable_stock``: what dispatch can still sell, a running
  session's held quota excluded) is at or below ``promotions.hot_item_alert_units``
  tells its product owner (staff notification ``promotions.hot_item``), once per
  SKU and promotion — a notice already sent for the pair, read or resolved, is never
  sent again.

* **Calendar** (:func:`promotion_running`): whether a moment lies inside a promotion
  period — a flash-sale session or campaign that runs (or ran) at that moment.
  Orders' 48-hour shipping rule reads it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import quote

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from mall.core.audit import audit
from ops.parameters import get_parameter

from ..models import ApprovalStatus, Campaign, FlashSession, FlashSessionItem, PreheatNotice
from ..parameters import HOT_ITEM_ALERT_UNITS, PREHEAT_DAYS

PREHEAT_BATCH = 500
HOT_ITEM_KIND = "promotions.hot_item"


# --- calendar ---------------------------------------------------------------------------


def _ran_at(now: datetime) -> Q:
    """Sessions / campaigns whose window holds ``now`` and that were (or are) live then.

    Approved ones count as soon as their window starts (the opening job may be a
    minute late); a cancelled one counts only if it had opened, until it stopped.
    """
    live = Q(status__in=[ApprovalStatus.APPROVED, ApprovalStatus.RUNNING, ApprovalStatus.ENDED])
    stopped_early = Q(status=ApprovalStatus.CANCELLED, opened_at__isnull=False)
    return (
        (live | stopped_early)
        & Q(starts_at__lte=now, ends_at__gt=now)
        & (Q(ended_at__isnull=True) | Q(ended_at__gt=now))
    )


def promotion_running(*, now: datetime) -> bool:
    """Whether ``now`` lies in a promotion period (a session or campaign live at ``now``)."""
    return (
        FlashSession.objects.filter(_ran_at(now)).exists()
        or Campaign.objects.filter(_ran_at(now)).exists()
    )


# --- pre-heat ---------------------------------------------------------------------------


def _preheat_subjects(now: datetime) -> list[tuple[str, object]]:
    until = now + timedelta(days=get_parameter(PREHEAT_DAYS))
    window = Q(status=ApprovalStatus.APPROVED, starts_at__gt=now, starts_at__lte=until)
    subjects: list[tuple[str, object]] = [
        (PreheatNotice.Subject.SESSION, session)
        for session in FlashSession.objects.filter(window).order_by("starts_at", "id")
    ]
    subjects += [
        (PreheatNotice.Subject.CAMPAIGN, campaign)
        for campaign in Campaign.objects.filter(window).order_by("starts_at", "id")
    ]
    return subjects


def _claim_batch(subject_type: str, subject_id: int, now: datetime) -> list[int]:
    """Insert the next batch of notice rows; return the members they were inserted for."""
    from members.models import Member, NotificationKind, NotificationOptOut

    quote_name = connection.ops.quote_name
    notice = quote_name(PreheatNotice._meta.db_table)
    member = quote_name(Member._meta.db_table)
    opt_out = quote_name(NotificationOptOut._meta.db_table)
    sql = f"""
        INSERT INTO {notice} (subject_type, subject_id, member_id, created_at)
        SELECT %(type)s, %(id)s, m.id, %(now)s
        FROM {member} m
        WHERE m.status = %(active)s
          AND NOT EXISTS (
              SELECT 1 FROM {opt_out} o WHERE o.member_id = m.id AND o.kind = %(kind)s
          )
          AND NOT EXISTS (
              SELECT 1 FROM {notice} n
              WHERE n.subject_type = %(type)s AND n.subject_id = %(id)s AND n.member_id = m.id
          )
        ORDER BY m.id
        LIMIT %(batch)s
        ON CONFLICT (subject_type, subject_id, member_id) DO NOTHING
        RETURNING member_id
    """  # noqa: S608 - table names are ours, values are parameters
    params = {
        "type": subject_type,
        "id": subject_id,
        "now": now,
        "active": Member.Status.ACTIVE,
        "kind": NotificationKind.MARKETING,
        "batch": PREHEAT_BATCH,
    }
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return sorted(row[0] for row in cursor.fetchall())


def _payload(subject_type: str, subject) -> dict:
    return {
        "template": "preheat",
        "promotion": subject_type,
        "id": subject.pk,
        "name": subject.name,
        "starts_at": timezone.localtime(subject.starts_at).isoformat(),
        "ends_at": timezone.localtime(subject.ends_at).isoformat(),
    }


def preheat_send(*, actor, now: datetime | None = None) -> dict:
    """Announce each session / campaign starting soon to opted-in members, once each.

    Returns ``{"promotions": n, "notices": m}`` (``m`` = members told in this run).
    """
    from members.models import Member, NotificationChannel, NotificationKind
    from members.services.notifications import notification_enqueue

    now = now or timezone.now()
    subjects = _preheat_subjects(now)
    told = 0
    for subject_type, subject in subjects:
        payload = _payload(subject_type, subject)
        sent_here = 0
        while True:
            with transaction.atomic():
                member_ids = _claim_batch(subject_type, subject.pk, now)
                for member in Member.objects.filter(pk__in=member_ids).order_by("pk"):
                    notification_enqueue(
                        actor=actor,
                        member=member,
                        kind=NotificationKind.MARKETING,
                        channel=NotificationChannel.IN_APP,
                        payload=payload,
                        dedupe_key=f"preheat:{subject_type}:{subject.pk}:{member.pk}",
                    )
                if member_ids:
                    audit(
                        actor=actor,
                        action="promotions.preheat_send",
                        target=subject,
                        data={"promotion": subject_type, "members": len(member_ids)},
                    )
            sent_here += len(member_ids)
            if len(member_ids) < PREHEAT_BATCH:
                break
        told += sent_here
    return {"promotions": len(subjects), "notices": told}


# --- hot-item stock alerts ------------------------------------------------------------------


def _campaign_sku_ids(campaign: Campaign) -> set[int]:
    from catalog.models import Product, Sku

    on_shelf = Sku.objects.filter(product__status=Product.Status.ON_SHELF)
    if campaign.scope == Campaign.Scope.SKUS:
        return set(campaign.skus.filter(pk__in=on_shelf).values_list("pk", flat=True))
    if campaign.scope == Campaign.Scope.CATEGORIES:
        ids = list(campaign.categories.values_list("pk", flat=True))
        if not ids:
            return set()
        covered = (
            Q(product__category_id__in=ids)
            | Q(product__category__parent_id__in=ids)
            | Q(product__category__parent__parent_id__in=ids)
        )
        return set(on_shelf.filter(covered).values_list("pk", flat=True))
    return set(on_shelf.values_list("pk", flat=True))


def _covered(now: datetime) -> list[tuple[str, object, set[int]]]:
    """(kind, promotion, SKU ids) of every session and campaign live at ``now``."""
    covered: list[tuple[str, object, set[int]]] = []
    for session in FlashSession.objects.filter(_ran_at(now)).exclude(
        status=ApprovalStatus.CANCELLED
    ):
        sku_ids = set(
            FlashSessionItem.objects.filter(session=session).values_list("sku_id", flat=True)
        )
        covered.append((PreheatNotice.Subject.SESSION, session, sku_ids))
    for campaign in Campaign.objects.filter(_ran_at(now)).exclude(status=ApprovalStatus.CANCELLED):
        covered.append((PreheatNotice.Subject.CAMPAIGN, campaign, _campaign_sku_ids(campaign)))
    return covered


def hot_item_alerts_send(*, actor, now: datetime | None = None) -> int:
    """Tell product owners about covered SKUs running low in live promotions; return notices.

    One notice per (promotion, SKU) ever (the ``dedupe_key`` names both; a key already
    used, even resolved, is skipped). SKUs of products without an owner are skipped.
    An open notice whose SKU is no longer low in any live promotion (restocked, or the
    promotion ended) is resolved: the inbox counts only work still waiting.
    """
    from catalog.availability import sellable_stock
    from catalog.models import Sku
    from ops.models import StaffNotification
    from ops.services.notifications import staff_notify

    now = now or timezone.now()
    covered = _covered(now)
    if not covered:
        _hot_item_notices_resolve(actor, still_low=set())
        return 0
    threshold = get_parameter(HOT_ITEM_ALERT_UNITS)
    all_ids = set().union(*(sku_ids for _kind, _promotion, sku_ids in covered))
    stock = sellable_stock(all_ids)
    low = [
        (kind, promotion, sku_id)
        for kind, promotion, sku_ids in covered
        for sku_id in sorted(sku_ids)
        if stock.get(sku_id, 0) <= threshold
    ]
    keys = {f"hot_item:{kind}:{promotion.pk}:{sku_id}" for kind, promotion, sku_id in low}
    used = set(
        StaffNotification.objects.filter(dedupe_key__in=keys).values_list("dedupe_key", flat=True)
    )
    skus = Sku.objects.select_related("product").in_bulk({sku_id for _k, _p, sku_id in low})
    notified = 0
    for kind, promotion, sku_id in low:
        key = f"hot_item:{kind}:{promotion.pk}:{sku_id}"
        sku = skus.get(sku_id)
        if key in used or sku is None or sku.product.owner_id is None:
            continue
        notified += staff_notify(
            actor=actor,
            recipients=[sku.product.owner_id],
            kind=HOT_ITEM_KIND,
            title=_("Hot item running low: %(sku)s") % {"sku": sku.code},
            body=_(
                "%(sku)s (%(product)s) has %(sellable)s sellable units left during "
                "“%(promotion)s”; the alert level is %(threshold)s."
            )
            % {
                "sku": sku.code,
                "product": sku.product.title,
                "sellable": stock.get(sku_id, 0),
                "promotion": promotion.name,
                "threshold": threshold,
            },
            link=f"/admin/dispatch/stock/?q={quote(sku.code)}",
            dedupe_key=key,
            subject=sku,
        )
    _hot_item_notices_resolve(actor, still_low={sku_id for _k, _p, sku_id in low})
    return notified


def _hot_item_notices_resolve(actor, *, still_low: set[int]) -> None:
    """Resolve the open hot-item notices of SKUs not in ``still_low``."""
    from catalog.models import Sku
    from ops.models import StaffNotification
    from ops.services.notifications import notifications_resolve

    keys = StaffNotification.objects.filter(
        kind=HOT_ITEM_KIND, resolved_at__isnull=True
    ).values_list("dedupe_key", flat=True)
    cleared = {int(key.rsplit(":", 1)[1]) for key in keys if key.count(":") == 3} - still_low
    for sku in Sku.objects.filter(pk__in=cleared):
        notifications_resolve(actor=actor, subject=sku, kinds=[HOT_ITEM_KIND])
