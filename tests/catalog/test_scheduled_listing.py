"""Scheduled listing (the per-minute job) and the off-shelf hook other apps call."""

from datetime import timedelta

import pytest
from django.utils import timezone

from catalog import services
from catalog.models import Product, ProductEvent
from catalog.tasks import SCHEDULE, products_publish_scheduled_task
from mall.core.actors import system_actor
from mall.core.models import JobRun

pytestmark = pytest.mark.django_db


def _approved(make_product, author, reviewer, listing_at):
    product = make_product(author)
    services.product_submit(actor=author, product=product)
    return services.product_approve(
        actor=reviewer, product=product, scheduled_listing_at=listing_at
    )


def test_job_lists_products_whose_time_has_come_and_only_those(make_product, author, reviewer):
    now = timezone.now()
    due = _approved(make_product, author, reviewer, now - timedelta(minutes=1))
    later = _approved(make_product, author, reviewer, now + timedelta(hours=2))

    assert products_publish_scheduled_task.apply().get() == [due.pk]
    assert Product.objects.get(pk=due.pk).status == Product.Status.ON_SHELF
    assert Product.objects.get(pk=later.pk).status == Product.Status.APPROVED
    event = ProductEvent.objects.get(product=due, kind="on_shelf")
    assert event.actor.username == "system"
    assert JobRun.objects.filter(name="catalog.products_publish_scheduled").exists()

    assert products_publish_scheduled_task.apply().get() == []  # idempotent


def test_job_is_scheduled_every_minute_on_the_realtime_queue():
    entry = SCHEDULE["catalog: publish scheduled listings"]
    assert entry["cron"] == "* * * * *" and entry["queue"] == "realtime"


def test_editing_an_approved_product_cancels_its_schedule(make_product, author, reviewer):
    product = _approved(make_product, author, reviewer, timezone.now() - timedelta(minutes=1))
    services.product_update(actor=author, product=product, subtitle="新版")
    assert services.products_publish_scheduled(actor=system_actor()) == []
    product.refresh_from_db()
    assert product.status == Product.Status.DRAFT and product.scheduled_listing_at is None


def test_system_actor_can_take_a_product_off_shelf_for_dispatch(on_shelf_product):
    product = on_shelf_product()
    result = services.product_off_shelf(actor=system_actor(), product=product, reason="库存为零")
    assert result.status == Product.Status.OFF_SHELF
    assert ProductEvent.objects.filter(
        product=product, kind="off_shelf", reason="库存为零"
    ).exists()
