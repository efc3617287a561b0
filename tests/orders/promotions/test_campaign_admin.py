# ruff: noqa: F811 - fixtures imported from the support modules are parameters here
"""The 满减活动 admin: the form saves the campaign and its tiers through the service, the
page is read-only unless draft, and the buttons follow the state and the permissions."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from orders.models import Campaign
from tests.orders.promotions.campaign_support import (  # noqa: F401 - fixtures
    _staff,
    approver,
    make_campaign,
    marketer,
    tier,
)

D = Decimal


@pytest.fixture
def client_for(admin_client_for):
    return admin_client_for


def _change(campaign) -> str:
    return reverse("admin:orders_campaign_change", args=[campaign.pk])


def _button(campaign, name: str) -> str:
    return f"{_change(campaign).removesuffix('change/')}{name}/"


def _press(client, campaign, name: str, **data):
    return client.post(_button(campaign, name), {"_form_submitted": "on", **data})


def _form(category, tiers, **overrides) -> dict:
    start = timezone.localtime() + timedelta(days=1)
    end = start + timedelta(days=2)
    data = {
        "name": "满199减20",
        "kind": "full_reduction",
        "starts_at_0": start.strftime("%Y-%m-%d"),
        "starts_at_1": "10:00:00",
        "ends_at_0": end.strftime("%Y-%m-%d"),
        "ends_at_1": "10:00:00",
        "priority": "100",
        "scope": "categories",
        "categories": [str(category.pk)],
        "budget_amount": "5000.00",
        "other_cost_amount": "0",
        "tiers-TOTAL_FORMS": str(len(tiers)),
        "tiers-INITIAL_FORMS": "0",
        "tiers-MIN_NUM_FORMS": "0",
        "tiers-MAX_NUM_FORMS": "1000",
    }
    for index, (threshold, off) in enumerate(tiers):
        data[f"tiers-{index}-threshold_amount"] = threshold
        data[f"tiers-{index}-discount_amount"] = off
        data[f"tiers-{index}-gift_quantity"] = "0"
    data.update(overrides)
    return data


def test_the_add_form_creates_a_draft_with_its_tiers_through_the_service(
    client_for, marketer, category
):
    client = client_for(marketer)
    page = client.get(reverse("admin:orders_campaign_add"))
    assert page.status_code == 200
    assert "家居 / 厨具 / 锅" in page.content.decode()  # categories by full path

    answer = client.post(
        reverse("admin:orders_campaign_add"),
        _form(category.parent.parent, [("199", "20"), ("399", "50")]),
    )

    assert answer.status_code == 302, answer.content.decode()[:3000]
    campaign = Campaign.objects.get()
    assert (campaign.status, campaign.created_by, campaign.scope) == (
        "draft",
        marketer,
        "categories",
    )
    assert list(campaign.categories.all()) == [category.parent.parent]
    assert [(t.threshold_amount, t.discount_amount) for t in campaign.tiers.all()] == [
        (D("199.00"), D("20.00")),
        (D("399.00"), D("50.00")),
    ]


def test_a_refused_form_is_shown_again_and_writes_nothing(client_for, marketer, category):
    answer = client_for(marketer).post(
        reverse("admin:orders_campaign_add"),
        _form(category, [("199", "20"), ("199", "30")]),
    )
    assert answer.status_code == 200
    assert not Campaign.objects.exists()


def test_the_list_shows_labels_and_the_budget_used(client_for, marketer, make_campaign):
    campaign = make_campaign(tiers=[tier("199", off="20")], name="双11满减")
    Campaign.objects.filter(pk=campaign.pk).update(spent_amount=D("1250.00"))
    html = client_for(marketer).get(reverse("admin:orders_campaign_changelist")).content.decode()
    assert "双11满减" in html and "1250.00 / 5000.00" in html
    assert ">running<" not in html and ">full_reduction<" not in html


def test_buttons_follow_the_state_and_the_creator_never_sees_approve(
    client_for, marketer, approver, make_campaign
):
    campaign = make_campaign(tiers=[tier("199", off="20")], status="draft")
    maker, checker = client_for(marketer), client_for(approver)

    html = maker.get(_change(campaign)).content.decode()
    assert "submit/" in html and "approve/" not in html and 'name="name"' in html
    assert _press(maker, campaign, "submit").status_code == 302
    campaign.refresh_from_db()
    assert campaign.status == "pending_approval"

    # pending: read-only for its creator, who cannot approve it even with the permission
    html = maker.get(_change(campaign)).content.decode()
    assert 'name="name"' not in html and "approve/" not in html
    assert _press(maker, campaign, "approve").status_code == 403

    html = checker.get(_change(campaign)).content.decode()
    assert "approve/" in html and "reject/" in html
    assert _press(checker, campaign, "reject", reason="  ").status_code == 200  # reason needed
    assert _press(checker, campaign, "reject", reason="预算过高").status_code == 302
    campaign.refresh_from_db()
    assert (campaign.status, campaign.rejection_reason) == ("draft", "预算过高")

    _press(maker, campaign, "submit")
    assert _press(checker, campaign, "approve").status_code == 302
    campaign.refresh_from_db()
    assert (campaign.status, campaign.approved_by) == ("approved", approver)

    # approved and its window started: it may price orders, so it is stopped, not cancelled
    html = maker.get(_change(campaign)).content.decode()
    assert "cancel/" not in html and "stop/" in html
    assert _press(maker, campaign, "cancel", reason="活动取消").status_code == 403
    assert "stop/" not in checker.get(_change(campaign)).content.decode()  # needs change
    assert _press(maker, campaign, "stop", reason="  ").status_code == 200  # reason needed
    assert _press(maker, campaign, "stop", reason="预算超支").status_code == 302
    campaign.refresh_from_db()
    assert (campaign.status, campaign.cancel_reason) == ("ended", "预算超支")
    html = maker.get(_change(campaign)).content.decode()
    assert "cancel/" not in html and "submit/" not in html and "stop/" not in html


def test_an_upcoming_approved_campaign_is_cancelled(client_for, marketer, approver):
    from orders.promotions import campaigns as svc

    now = timezone.now()
    campaign = svc.campaign_create(
        actor=marketer,
        name="下周活动",
        kind="full_reduction",
        scope="all",
        starts_at=now + timedelta(days=1),
        ends_at=now + timedelta(days=2),
        budget_amount=D("1000"),
        tiers=[tier("199", off="20")],
    )
    svc.campaign_submit(actor=marketer, campaign=campaign)
    svc.campaign_approve(actor=approver, campaign=campaign)
    maker = client_for(marketer)
    html = maker.get(_change(campaign)).content.decode()
    assert "cancel/" in html and "stop/" not in html
    assert _press(maker, campaign, "cancel", reason="活动取消").status_code == 302
    campaign.refresh_from_db()
    assert (campaign.status, campaign.cancel_reason) == ("cancelled", "活动取消")


def test_an_editor_who_may_approve_sees_no_approve_button(client_for, marketer, make_campaign):
    from orders.promotions import campaigns as svc

    editor = _staff(
        "editor", ("orders.view_campaign", "orders.change_campaign", "orders.approve_campaign")
    )
    campaign = make_campaign(tiers=[tier("199", off="20")], status="draft")
    svc.campaign_update(actor=editor, campaign=campaign, name="改名")
    editing = client_for(editor)
    assert "submit/" not in editing.get(_change(campaign)).content.decode()  # creator only
    assert _press(editing, campaign, "submit").status_code == 403
    svc.campaign_submit(actor=marketer, campaign=campaign)
    html = editing.get(_change(campaign)).content.decode()
    assert "approve/" not in html and "reject/" not in html
    assert _press(editing, campaign, "approve").status_code == 403
    campaign.refresh_from_db()
    assert (campaign.status, campaign.approved_by) == ("pending_approval", None)


def test_a_regional_reader_sees_no_national_budget_used(client_for, make_campaign, make_staff):
    from mall.core.actors import system_actor
    from rbac import services as rbac_services
    from rbac.models import SalesRegion, ScopeKind

    campaign = make_campaign(tiers=[tier("199", off="20")], budget="5000.00")
    Campaign.objects.filter(pk=campaign.pk).update(spent_amount=D("1234.50"))
    role = rbac_services.role_create(
        actor=system_actor(),
        code="campaign-east",
        name="campaign-east",
        scope_kind=ScopeKind.REGIONS,
        regions=list(SalesRegion.objects.filter(code="east")),
        permissions=["orders.view_campaign"],
    )
    regional = make_staff("east-reader")  # no role yet: its only scope is the region
    rbac_services.role_assign(actor=system_actor(), user=regional, role=role)
    regional = type(regional).objects.get(pk=regional.pk)

    for url in (reverse("admin:orders_campaign_changelist"), _change(campaign)):
        html = client_for(regional).get(url).content.decode()
        assert campaign.name in html and "1234.50" not in html and "—" in html


def test_a_reader_without_campaign_permissions_is_refused(client_for, make_campaign):
    campaign = make_campaign(tiers=[tier("199", off="20")], status="draft")
    stranger = _staff("stranger", ("orders.view_order",))
    assert client_for(stranger).get(_change(campaign)).status_code in (302, 403)
    assert _press(client_for(stranger), campaign, "submit").status_code in (302, 403)
    campaign.refresh_from_db()
    assert campaign.status == "draft"
