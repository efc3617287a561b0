"""Fixtures of the campaign tests: a marketer and an approver, running campaigns.

``marketer`` holds add / change / view campaign, ``approver`` view / approve (the demo
roles ``marketing`` and ``ops_lead``); ``make_campaign`` creates a campaign through the
services — created by the marketer, approved by the approver, opened by the job.
"""

from __future__ import annotations

import itertools
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from mall.core.actors import system_actor

_numbers = itertools.count(1)

MARKETER_PERMS = ("orders.add_campaign", "orders.change_campaign", "orders.view_campaign")
APPROVER_PERMS = ("orders.view_campaign", "orders.approve_campaign")


def _staff(code: str, perms) -> object:
    from rbac import services
    from rbac.models import ScopeKind

    n = next(_numbers)
    role = services.role_create(
        actor=system_actor(),
        code=f"{code}-{n}",
        name=f"{code}-{n}",
        scope_kind=ScopeKind.ALL,
        permissions=list(perms),
    )
    user = services.staff_create(
        actor=system_actor(),
        username=f"{code}{n}",
        employee_number=f"K{n:04d}",
        password="mall-demo-2026",
    )
    services.role_assign(actor=system_actor(), user=user, role=role)
    return get_user_model().objects.get(pk=user.pk)


@pytest.fixture
def marketer(db):
    return _staff("marketing", MARKETER_PERMS)


@pytest.fixture
def approver(db):
    return _staff("approver", APPROVER_PERMS)


def tier(threshold, *, off=None, rate=None, gift=None, quantity=0) -> dict:
    return {
        "threshold_amount": Decimal(threshold),
        "discount_amount": Decimal(off) if off is not None else None,
        "discount_rate": Decimal(rate) if rate is not None else None,
        "gift_sku": gift,
        "gift_quantity": quantity,
    }


@pytest.fixture
def make_campaign(marketer, approver):
    """A campaign in ``status`` (running by default: started an hour ago, ends in a day)."""
    from orders.promotions import campaigns as svc

    def make(
        *,
        kind="full_reduction",
        tiers=(),
        scope="all",
        categories=(),
        skus=(),
        budget="5000.00",
        priority=100,
        status="running",
        name=None,
    ):
        now = timezone.now()
        campaign = svc.campaign_create(
            actor=marketer,
            name=name or f"活动{next(_numbers)}",
            kind=kind,
            scope=scope,
            starts_at=now - timedelta(hours=1),
            ends_at=now + timedelta(days=1),
            budget_amount=Decimal(budget),
            tiers=list(tiers) or [tier("199", off="20")],
            categories=categories,
            skus=skus,
            priority=priority,
        )
        if status == "draft":
            return campaign
        svc.campaign_submit(actor=marketer, campaign=campaign)
        if status == "pending_approval":
            campaign.refresh_from_db()
            return campaign
        svc.campaign_approve(actor=approver, campaign=campaign)
        if status == "running":
            svc.campaigns_open_due(actor=system_actor())
        campaign.refresh_from_db()
        return campaign

    return make
