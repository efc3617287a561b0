# ruff: noqa: F811 - fixtures imported from other modules are parameters here
"""Pre-heat notices (once, opted-in members only), hot-item alerts (once), the calendar."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from tests.orders.checkout_support import buyer, on_shelf_sku  # noqa: F401


@pytest.fixture
def marketer(db):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.create_user(username="mkt-preheat", password="x-x-x-x-1")


@pytest.fixture
def promo(marketer):
    """``promo("session" | "campaign", starts_in=…, hours=…, status=…, **fields)``."""
    from orders.models import Campaign, FlashSession

    def make(what: str, *, starts_in: timedelta, hours: int = 2, status="approved", **fields):
        start = timezone.now() + starts_in
        common = {
            "name": f"{what} {starts_in}",
            "starts_at": start,
            "ends_at": start + timedelta(hours=hours),
            "status": status,
            "created_by": marketer,
            **fields,
        }
        if what == "session":
            return FlashSession.objects.create(**common)
        common.setdefault("kind", Campaign.Kind.FULL_REDUCTION)
        common.setdefault("scope", Campaign.Scope.ALL)
        return Campaign.objects.create(budget_amount=Decimal("1000.00"), **common)

    return make


def _preheat(now=None):
    from mall.core.actors import system_actor
    from orders.promotions.preheat import preheat_send

    return preheat_send(actor=system_actor(), now=now)


def _alerts(now=None):
    from mall.core.actors import system_actor
    from orders.promotions.preheat import hot_item_alerts_send

    return hot_item_alerts_send(actor=system_actor(), now=now)


def _marketing(member):
    from members.models import Notification

    return list(
        Notification.objects.filter(member=member, kind="marketing").values_list(
            "payload", "status", "channel"
        )
    )


# --- pre-heat ---------------------------------------------------------------------------


def test_preheat_tells_each_opted_in_member_once(buyer, promo):
    from members.models import Member, Notification, NotificationOptOut
    from orders.models import PreheatNotice

    told, also_told, opted_out, frozen = (buyer() for _ in range(4))
    NotificationOptOut.objects.create(member=opted_out, kind="marketing")
    NotificationOptOut.objects.create(member=also_told, kind="order")  # another kind
    Member.objects.filter(pk=frozen.pk).update(status=Member.Status.FROZEN)
    session = promo("session", starts_in=timedelta(days=2))

    assert _preheat() == {"promotions": 1, "notices": 2}
    for member in (told, also_told):
        [(payload, status, channel)] = _marketing(member)
        assert (status, channel) == ("pending", "in_app")
        assert payload["promotion"] == "session"
        assert payload["id"] == session.pk
        assert payload["name"] == session.name
    assert _marketing(opted_out) == []
    assert _marketing(frozen) == []

    # the next day's run (and any rerun) sends nothing again
    assert _preheat() == {"promotions": 1, "notices": 0}
    assert _preheat(now=timezone.now() + timedelta(days=1))["notices"] == 0
    assert Notification.objects.filter(kind="marketing").count() == 2
    assert set(PreheatNotice.objects.values_list("member_id", flat=True)) == {
        told.pk,
        also_told.pk,
    }


def test_preheat_announces_only_approved_promotions_starting_within_the_window(buyer, promo):
    member = buyer()
    promo("session", starts_in=timedelta(days=5))  # too early to announce
    promo("session", starts_in=timedelta(days=1), status="draft")  # not approved
    promo("campaign", starts_in=timedelta(days=1), status="pending_approval")
    promo("campaign", starts_in=-timedelta(minutes=5), status="running")  # started
    campaign = promo("campaign", starts_in=timedelta(days=3))

    assert _preheat() == {"promotions": 1, "notices": 1}
    assert [payload["id"] for payload, _s, _c in _marketing(member)] == [campaign.pk]
    # two days later the five-day session comes within three days: told then, once
    assert _preheat(now=timezone.now() + timedelta(days=2, hours=1))["notices"] == 1
    assert len(_marketing(member)) == 2


def test_preheat_works_in_batches(buyer, promo, monkeypatch):
    from orders.models import PreheatNotice
    from orders.promotions import preheat

    monkeypatch.setattr(preheat, "PREHEAT_BATCH", 2)
    members = [buyer() for _ in range(5)]
    promo("campaign", starts_in=timedelta(days=1))
    assert _preheat()["notices"] == 5
    assert sorted(PreheatNotice.objects.values_list("member_id", flat=True)) == sorted(
        m.pk for m in members
    )
    assert all(len(_marketing(m)) == 1 for m in members)


# --- hot-item alerts ----------------------------------------------------------------------


def _notices(kind="promotions.hot_item"):
    from ops.models import StaffNotification

    return list(
        StaffNotification.objects.filter(kind=kind).values_list("recipient_id", "dedupe_key")
    )


def test_a_running_campaign_alerts_the_owner_once_per_sku(on_shelf_sku, promo, product_owner):
    from ops.models import StaffNotification

    low, plenty = on_shelf_sku(5), on_shelf_sku(100)
    campaign = promo("campaign", starts_in=-timedelta(hours=1), status="running", scope="skus")
    campaign.skus.set([low, plenty])

    assert _alerts() == 1
    assert _notices() == [(product_owner.pk, f"hot_item:campaign:{campaign.pk}:{low.pk}")]
    assert _alerts() == 0
    # even read and resolved, the pair is never alerted again
    StaffNotification.objects.update(resolved_at=timezone.now(), read_at=timezone.now())
    assert _alerts() == 0
    assert len(_notices()) == 1


def test_a_hot_item_notice_is_resolved_once_its_promotion_has_ended(on_shelf_sku, promo):
    from ops.models import StaffNotification
    from orders.models import Campaign

    low = on_shelf_sku(5)
    campaign = promo("campaign", starts_in=-timedelta(hours=1), status="running", scope="skus")
    campaign.skus.set([low])
    assert _alerts() == 1
    assert StaffNotification.objects.get().resolved_at is None

    Campaign.objects.filter(pk=campaign.pk).update(status="ended")
    assert _alerts(now=campaign.ends_at + timedelta(minutes=1)) == 0
    assert StaffNotification.objects.get().resolved_at is not None


def test_a_category_campaign_covers_sub_categories_and_the_parameter_sets_the_level(
    on_shelf_sku, promo, category
):
    from ops.models import SystemParameter
    from ops.parameters import forget_cached

    sku = on_shelf_sku(50)
    campaign = promo(
        "campaign", starts_in=-timedelta(hours=1), status="running", scope="categories"
    )
    campaign.categories.set([category.parent.parent])  # the top level above the leaf
    assert _alerts() == 0  # 50 units > 20
    SystemParameter.objects.create(key="promotions.hot_item_alert_units", value=50)
    forget_cached("promotions.hot_item_alert_units")
    assert _alerts() == 1
    assert _notices()[0][1] == f"hot_item:campaign:{campaign.pk}:{sku.pk}"


def test_a_running_session_alerts_its_skus_and_ended_ones_do_not(on_shelf_sku, promo):
    from orders.models import FlashSessionItem

    sku = on_shelf_sku(3)
    ended = promo("session", starts_in=-timedelta(hours=5), status="ended")
    FlashSessionItem.objects.create(
        session=ended, sku=sku, flash_price_amount=Decimal("9.90"), quota=1
    )
    upcoming = promo("session", starts_in=timedelta(hours=5))
    FlashSessionItem.objects.create(
        session=upcoming, sku=sku, flash_price_amount=Decimal("9.90"), quota=1
    )
    assert _alerts() == 0

    running = promo("session", starts_in=-timedelta(minutes=30), status="running")
    FlashSessionItem.objects.create(
        session=running, sku=sku, flash_price_amount=Decimal("9.90"), quota=1
    )
    assert _alerts() == 1
    assert _notices()[0][1] == f"hot_item:session:{running.pk}:{sku.pk}"
    # another promotion covering the same SKU is another pair: one more notice
    campaign = promo("campaign", starts_in=-timedelta(hours=1), status="running", scope="skus")
    campaign.skus.set([sku])
    assert _alerts() == 1
    assert _alerts() == 0


# --- calendar -----------------------------------------------------------------------------


def test_promotion_running_follows_live_sessions_and_campaigns(promo):
    from orders.promotions.preheat import promotion_running

    now = timezone.now()
    assert promotion_running(now=now) is False
    session = promo("session", starts_in=timedelta(hours=1), hours=2)
    assert promotion_running(now=now) is False
    # an approved session counts from its start (the opening job may lag a minute)
    assert promotion_running(now=now + timedelta(hours=1, minutes=1)) is True
    assert promotion_running(now=now + timedelta(hours=3, minutes=1)) is False

    session.status = "draft"
    session.save(update_fields=["status"])
    assert promotion_running(now=now + timedelta(hours=2)) is False


def test_promotion_running_keeps_the_history_of_ended_and_stopped_ones(promo):
    from orders.promotions.preheat import promotion_running

    now = timezone.now()
    promo(
        "campaign",
        starts_in=-timedelta(days=10),
        hours=48,
        status="ended",
        ended_at=now - timedelta(days=8),
    )
    assert promotion_running(now=now - timedelta(days=9)) is True
    assert promotion_running(now=now) is False

    never_ran = promo("session", starts_in=-timedelta(days=5), hours=24, status="cancelled")
    assert promotion_running(now=never_ran.starts_at + timedelta(hours=1)) is False

    stopped = promo(
        "session",
        starts_in=-timedelta(days=3),
        hours=24,
        status="cancelled",
        opened_at=now - timedelta(days=3),
        ended_at=now - timedelta(days=3) + timedelta(hours=2),
    )
    assert promotion_running(now=stopped.starts_at + timedelta(hours=1)) is True
    assert promotion_running(now=stopped.starts_at + timedelta(hours=3)) is False


def test_a_running_campaign_is_a_promotion_period_now(promo):
    from orders.promotions.preheat import promotion_running

    promo("campaign", starts_in=-timedelta(hours=1), status="running")
    assert promotion_running(now=timezone.now()) is True
