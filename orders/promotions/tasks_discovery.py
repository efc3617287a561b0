"""Celery jobs of promotions' discovery part (thin: each calls one service; imported by
``orders.tasks``, whose ``SCHEDULE`` includes this module's)."""

from __future__ import annotations

from celery import shared_task

from mall.core.actors import system_actor
from mall.core.jobs import job_run


@shared_task(bind=True, queue="default", acks_late=True)
def recommendations_rebuild_task(self) -> dict:
    """Rebuild "bought together" and "for you" from the window's paid orders (nightly)."""
    from .recommendations import recommendations_rebuild

    with job_run("promotions.recommendations_rebuild", self.request.id) as run:
        run.result = recommendations_rebuild(actor=system_actor())
    return run.result


@shared_task(bind=True, queue="default", acks_late=True)
def preheat_send_task(self) -> dict:
    """Announce sessions and campaigns starting soon to opted-in members (once each)."""
    from .preheat import preheat_send

    with job_run("promotions.preheat_send", self.request.id) as run:
        run.result = preheat_send(actor=system_actor())
    return run.result


@shared_task(bind=True, queue="default", acks_late=True)
def hot_item_alerts_send_task(self) -> dict:
    """Tell owners about covered SKUs running low during live promotions."""
    from .preheat import hot_item_alerts_send

    with job_run("promotions.hot_item_alerts_send", self.request.id) as run:
        run.result = {"notified": hot_item_alerts_send(actor=system_actor())}
    return run.result


SCHEDULE: dict = {
    "promotions: recommendations": {
        "task": "orders.promotions.tasks_discovery.recommendations_rebuild_task",
        "cron": "30 2 * * *",
        "queue": "default",
        "description": "Rebuild the bought-together and for-you tables from paid orders.",
    },
    "promotions: pre-heat notices": {
        "task": "orders.promotions.tasks_discovery.preheat_send_task",
        "cron": "0 10 * * *",
        "queue": "default",
        "description": "Tell opted-in members about sessions and campaigns starting soon.",
    },
    "promotions: hot-item stock alerts": {
        "task": "orders.promotions.tasks_discovery.hot_item_alerts_send_task",
        "cron": "*/10 * * * *",
        "queue": "default",
        "description": "During live promotions, tell owners about covered SKUs running low.",
    },
}
