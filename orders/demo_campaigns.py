"""Demo data of campaigns (满减活动): role grants and one running full-reduction campaign.

``seed_campaigns(stdout)`` is called by the orders demo (``orders.demo.seed``). The
campaign is created by ``marketing`` (营销运营) and approved by ``ops_lead`` through
the services, so the audit trail and the creator ≠ approver rule hold as in real use.
Idempotent: an existing demo campaign is left alone.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.utils import timezone

from .permissions import ADD_CAMPAIGN, APPROVE_CAMPAIGN, CHANGE_CAMPAIGN, VIEW_CAMPAIGN

ROLE_PERMISSIONS = {
    # the SKU and category reads feed the admin's gift SKU / SKU autocomplete and tree picker
    "marketing": [
        ADD_CAMPAIGN,
        CHANGE_CAMPAIGN,
        VIEW_CAMPAIGN,
        "catalog.view_sku",
        "catalog.view_category",
    ],
    "ops_lead": [VIEW_CAMPAIGN, APPROVE_CAMPAIGN],
}
DEMO_NAME = "厨房电器 满199减20 满399减50"
DEMO_CATEGORY = "kitchen"  # 家用电器 / 厨房电器 (catalog demo)


def _grant(stdout) -> None:
    try:
        from rbac.demo import grant_role_permissions
    except ImportError:  # pragma: no cover - rbac demo not there
        stdout.write("  campaigns: rbac.demo.grant_role_permissions missing; grants skipped")
        return
    for role, permissions in ROLE_PERMISSIONS.items():
        grant_role_permissions(role, permissions)


def seed_campaigns(stdout) -> None:
    """Grant the campaign permissions and create the running demo campaign."""
    from catalog.models import Category
    from mall.core.actors import system_actor

    from .models import Campaign
    from .promotions import campaigns as services

    _grant(stdout)
    if Campaign.objects.filter(name=DEMO_NAME).exists():
        return
    users = get_user_model().objects
    maker = users.filter(username="marketing").first()
    checker = users.filter(username="ops_lead").first()
    category = Category.objects.filter(code=DEMO_CATEGORY).first()
    if maker is None or checker is None or category is None:
        stdout.write("  campaigns: user marketing / ops_lead or the kitchen category missing")
        return
    maker, checker = users.get(pk=maker.pk), users.get(pk=checker.pk)  # fresh permissions
    now = timezone.now()
    campaign = services.campaign_create(
        actor=maker,
        name=DEMO_NAME,
        kind=Campaign.Kind.FULL_REDUCTION,
        scope=Campaign.Scope.CATEGORIES,
        categories=[category],
        starts_at=now - timedelta(days=1),
        ends_at=now + timedelta(days=30),
        budget_amount=Decimal("5000.00"),
        other_cost_amount=Decimal("800.00"),
        tiers=[
            {"threshold_amount": Decimal("199"), "discount_amount": Decimal("20")},
            {"threshold_amount": Decimal("399"), "discount_amount": Decimal("50")},
        ],
    )
    services.campaign_submit(actor=maker, campaign=campaign)
    services.campaign_approve(actor=checker, campaign=campaign)
    services.campaigns_open_due(actor=system_actor())
    stdout.write(f"  campaign {DEMO_NAME} (running, budget 5000.00)")
