# ruff: noqa: F811 - fixtures imported from the support modules are parameters here
"""The campaign demo and the minute jobs: a running 满减 made by marketing, approved by
ops_lead, the grants to both roles; the jobs' schedule and labels."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from io import StringIO

from django.contrib.auth import get_user_model
from django.utils import timezone

from catalog import services as catalog_services
from mall.core.actors import system_actor
from orders.demo_campaigns import DEMO_NAME, seed_campaigns
from orders.labels import ACTION_LABELS, TASK_LABELS
from orders.models import Campaign
from orders.promotions.tasks_campaigns import (
    SCHEDULE,
    campaigns_close_due_task,
    campaigns_open_due_task,
)
from orders.tasks import SCHEDULE as ORDERS_SCHEDULE
from tests.orders.promotions.campaign_support import (  # noqa: F401 - fixtures
    approver,
    make_campaign,
    marketer,
    tier,
)


def _demo_user(username: str, role_code: str):
    from rbac import services
    from rbac.models import ScopeKind

    role = services.role_create(
        actor=system_actor(), code=role_code, name=role_code, scope_kind=ScopeKind.ALL
    )
    user = services.staff_create(
        actor=system_actor(),
        username=username,
        employee_number=f"D-{username}",
        password="mall-demo-2026",
    )
    services.role_assign(actor=system_actor(), user=user, role=role)
    return get_user_model().objects.get(pk=user.pk)


def test_the_demo_campaign_runs_made_by_marketing_and_approved_by_ops_lead(db):
    maker = _demo_user("marketing", "marketing")
    checker = _demo_user("ops_lead", "ops_lead")
    actor = system_actor()
    root = catalog_services.category_seed(actor=actor, code="appliance", name="家用电器")
    catalog_services.category_seed(actor=actor, code="kitchen", name="厨房电器", parent=root)
    out = StringIO()

    seed_campaigns(out)
    seed_campaigns(out)  # idempotent

    campaign = Campaign.objects.get()
    assert campaign.name == DEMO_NAME and campaign.status == "running"
    assert (campaign.created_by, campaign.approved_by) == (maker, checker)
    assert campaign.budget_amount == Decimal("5000.00") and campaign.scope == "categories"
    assert [(t.threshold_amount, t.discount_amount) for t in campaign.tiers.all()] == [
        (Decimal("199.00"), Decimal("20.00")),
        (Decimal("399.00"), Decimal("50.00")),
    ]
    maker = get_user_model().objects.get(pk=maker.pk)
    checker = get_user_model().objects.get(pk=checker.pk)
    assert maker.has_perm("orders.add_campaign") and maker.has_perm("orders.change_campaign")
    assert not maker.has_perm("orders.approve_campaign")
    assert checker.has_perm("orders.approve_campaign") and checker.has_perm("orders.view_campaign")


def test_the_minute_jobs_open_and_close_and_are_scheduled_and_labelled(make_campaign):
    due = make_campaign(status="approved")
    assert campaigns_open_due_task.apply().get() == {"opened": 1}
    due.refresh_from_db()
    assert due.status == "running"
    Campaign.objects.filter(pk=due.pk).update(
        ends_at=timezone.now() - timedelta(seconds=1),
        starts_at=timezone.now() - timedelta(hours=2),
    )
    assert campaigns_close_due_task.apply().get() == {"closed": 1}
    due.refresh_from_db()
    assert due.status == "ended"

    for name, entry in SCHEDULE.items():
        assert ORDERS_SCHEDULE[name] == entry and entry["cron"] == "* * * * *"
        assert name in TASK_LABELS
    assert "orders.campaigns_open_due" in TASK_LABELS
    assert "orders.campaigns_close_due" in TASK_LABELS
    for action in ("campaign.create", "campaign.approve", "campaign.budget_take"):
        assert action in ACTION_LABELS
