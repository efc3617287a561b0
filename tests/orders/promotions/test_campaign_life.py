# ruff: noqa: F811 - fixtures imported from the support modules are parameters here
"""A campaign's life: validation, draft-only edits, approval by someone else, the jobs."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from catalog.models import Product
from mall.core.actors import system_actor
from mall.core.exceptions import InvalidInput, PermissionDeniedError
from mall.core.transitions import InvalidTransition
from ops.models import AuditEntry
from orders.exceptions import PromotionSameApprover, PromotionStateConflict
from orders.models import Campaign
from orders.promotions import campaigns as svc
from tests.orders.checkout_support import on_shelf_sku  # noqa: F401 - fixture
from tests.orders.promotions.campaign_support import (  # noqa: F401 - fixtures
    _staff,
    approver,
    make_campaign,
    marketer,
    tier,
)

D = Decimal
APPROVE = "orders.approve_campaign"


def _create(actor, **overrides):
    now = timezone.now()
    values = {
        "name": "满199减20",
        "kind": "full_reduction",
        "scope": "all",
        "starts_at": now + timedelta(hours=1),
        "ends_at": now + timedelta(days=3),
        "budget_amount": D("5000"),
        "tiers": [tier("199", off="20"), tier("399", off="50")],
    }
    values.update(overrides)
    return svc.campaign_create(actor=actor, **values)


def _fields(excinfo) -> set[str]:
    return set(excinfo.value.fields)


def test_create_submit_approve_open_and_close_are_audited_and_the_creator_never_approves(
    marketer, approver
):
    campaign = _create(marketer)
    assert (campaign.status, campaign.created_by, campaign.tiers.count()) == ("draft", marketer, 2)

    svc.campaign_submit(actor=marketer, campaign=campaign)
    campaign.refresh_from_db()
    assert campaign.status == "pending_approval" and campaign.submitted_at is not None

    with pytest.raises(PromotionSameApprover) as same:
        svc.campaign_approve(actor=marketer, campaign=campaign)
    assert same.value.status_code == 403 and same.value.code == "same_approver"
    # even a creator who may approve cannot approve their own
    both = _staff("both", ("orders.add_campaign", "orders.change_campaign", APPROVE))
    own = _create(both)
    svc.campaign_submit(actor=both, campaign=own)
    with pytest.raises(PromotionSameApprover):
        svc.campaign_approve(actor=both, campaign=own)
    with pytest.raises(PermissionDeniedError):
        svc.campaign_approve(actor=_staff("viewer", ("orders.view_campaign",)), campaign=campaign)

    svc.campaign_approve(actor=approver, campaign=campaign)
    campaign.refresh_from_db()
    assert (campaign.status, campaign.approved_by) == ("approved", approver)

    # not yet started: the job leaves it; at its start it runs; at its end it ends
    assert svc.campaigns_open_due(actor=system_actor()) == 0
    assert svc.campaigns_open_due(actor=system_actor(), now=campaign.starts_at) == 1
    campaign.refresh_from_db()
    assert campaign.status == "running" and campaign.opened_at == campaign.starts_at
    assert svc.campaigns_close_due(actor=system_actor(), now=campaign.starts_at) == 0
    assert svc.campaigns_close_due(actor=system_actor(), now=campaign.ends_at) == 1
    campaign.refresh_from_db()
    assert campaign.status == "ended"
    assert svc.campaigns_close_due(actor=system_actor(), now=campaign.ends_at) == 0  # idempotent

    actions = list(
        AuditEntry.objects.filter(object_type="orders.campaign", object_id=str(campaign.pk))
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == [
        "campaign.create",
        "campaign.submit",
        "campaign.approve",
        "campaign.open",
        "campaign.close",
    ]


def test_reject_sends_back_to_draft_with_the_reason_and_only_a_draft_is_edited(marketer, approver):
    campaign = _create(marketer)
    svc.campaign_submit(actor=marketer, campaign=campaign)
    with pytest.raises(PromotionStateConflict):
        svc.campaign_update(actor=marketer, campaign=campaign, name="改名")
    with pytest.raises(InvalidInput):
        svc.campaign_reject(actor=approver, campaign=campaign, reason="  ")

    svc.campaign_reject(actor=approver, campaign=campaign, reason="门槛太低")
    campaign.refresh_from_db()
    assert (campaign.status, campaign.rejection_reason) == ("draft", "门槛太低")

    svc.campaign_update(
        actor=marketer, campaign=campaign, name="满299减30", tiers=[tier("299", off="30")]
    )
    campaign.refresh_from_db()
    assert campaign.name == "满299减30"
    assert [(t.threshold_amount, t.discount_amount) for t in campaign.tiers.all()] == [
        (D("299.00"), D("30.00"))
    ]
    entry = AuditEntry.objects.filter(action="campaign.update", object_id=str(campaign.pk)).get()
    assert entry.before["name"] == "满199减20" and entry.after["name"] == "满299减30"


def test_cancel_needs_a_reason_and_a_campaign_that_has_not_run(marketer, make_campaign):
    draft = make_campaign(status="draft")
    svc.campaign_cancel(actor=marketer, campaign=draft, reason="不做了")
    draft.refresh_from_db()
    assert (draft.status, draft.cancel_reason) == ("cancelled", "不做了")

    running = make_campaign()
    assert running.status == "running"
    with pytest.raises(PromotionStateConflict):
        svc.campaign_cancel(actor=marketer, campaign=running, reason="不做了")
    ended = make_campaign()
    svc.campaign_stop(actor=marketer, campaign=ended, reason="停")
    with pytest.raises(InvalidTransition):  # the transition table still refuses ended → …
        svc.campaign_cancel(actor=marketer, campaign=ended, reason="不做了")


@pytest.mark.parametrize(
    "kind, tiers, wrong",
    [
        ("full_reduction", [tier("199", rate="0.9")], "tiers.0"),
        ("full_reduction", [tier("199", off="199")], "tiers.0"),
        ("full_reduction", [tier("199", off="20"), tier("199.00", off="30")], "tiers.1"),
        ("discount", [tier("100", off="10")], "tiers.0"),
        ("discount", [tier("100", rate="1.00")], "tiers.0"),
        ("gift", [tier("100")], "tiers.0"),
        ("full_reduction", [], "tiers"),
        ("bogus", [tier("100", off="10")], "kind"),
    ],
)
def test_tiers_must_match_the_kind_with_distinct_thresholds(marketer, kind, tiers, wrong):
    with pytest.raises(InvalidInput) as refused:
        _create(marketer, kind=kind, tiers=tiers)
    assert wrong in _fields(refused)
    assert not Campaign.objects.exists()


def test_the_scope_needs_its_list_the_window_its_order_and_a_gift_on_sale(marketer, on_shelf_sku):
    with pytest.raises(InvalidInput) as no_categories:
        _create(marketer, scope="categories")
    assert "categories" in _fields(no_categories)
    with pytest.raises(InvalidInput) as no_skus:
        _create(marketer, scope="skus")
    assert "skus" in _fields(no_skus)
    now = timezone.now()
    with pytest.raises(InvalidInput) as backwards:
        _create(marketer, starts_at=now, ends_at=now - timedelta(hours=1))
    assert "ends_at" in _fields(backwards)
    with pytest.raises(InvalidInput) as no_budget:
        _create(marketer, budget_amount=D("0"))
    assert "budget_amount" in _fields(no_budget)

    gift = on_shelf_sku(5, price="10.00")
    Product.objects.filter(pk=gift.product_id).update(status=Product.Status.OFF_SHELF)
    gift.product.refresh_from_db()
    with pytest.raises(InvalidInput) as off_shelf:
        _create(marketer, kind="gift", tiers=[tier("100", gift=gift, quantity=1)])
    assert "tiers.0" in _fields(off_shelf)
    with pytest.raises(PermissionDeniedError):
        _create(_staff("viewer", ("orders.view_campaign",)))


def test_an_approved_campaign_prices_inside_its_window_before_the_job_runs(
    make_campaign, on_shelf_sku
):
    from orders.pricing import QuoteLine
    from orders.promotions.campaigns import campaign_step

    campaign = make_campaign(tiers=[tier("100", off="10")], status="approved")
    assert campaign.status == "approved"
    sku = on_shelf_sku(5, price="120.00")
    line = QuoteLine(
        sku=sku,
        quantity=1,
        list_price_amount=D("120.00"),
        unit_price_amount=D("120.00"),
        line_amount=D("120.00"),
    )
    outcome = campaign_step(lines=[line], now=timezone.now())
    assert outcome.discounts == {0: D("10.00")} and outcome.line_campaigns == {0: campaign}
    # outside its window: nothing
    assert campaign_step(lines=[line], now=campaign.ends_at).discounts == {}


def test_whoever_edited_or_submitted_never_approves_and_only_the_creator_submits(
    marketer, approver
):
    campaign = _create(marketer)
    assert campaign.last_edited_by == marketer
    # a colleague who may edit and approve edits the draft …
    editor = _staff("editor", ("orders.change_campaign", "orders.view_campaign", APPROVE))
    svc.campaign_update(actor=editor, campaign=campaign, name="满199减25")
    campaign.refresh_from_db()
    assert (campaign.last_edited_by, campaign.created_by) == (editor, marketer)

    # … may not send it for approval: only its creator does
    with pytest.raises(PermissionDeniedError) as refused:
        svc.campaign_submit(actor=editor, campaign=campaign)
    assert refused.value.status_code == 403 and "创建人" in str(refused.value.message)
    campaign.refresh_from_db()
    assert campaign.status == "draft"
    svc.campaign_submit(actor=marketer, campaign=campaign)
    campaign.refresh_from_db()
    assert (campaign.status, campaign.submitted_by) == ("pending_approval", marketer)

    # neither the editor nor the creator approves or rejects it
    for someone in (editor, marketer):
        with pytest.raises(PromotionSameApprover) as same:
            svc.campaign_approve(actor=someone, campaign=campaign)
        assert same.value.status_code == 403 and same.value.code == "same_approver"
        with pytest.raises(PromotionSameApprover):
            svc.campaign_reject(actor=someone, campaign=campaign, reason="不行")
    campaign.refresh_from_db()
    assert (campaign.status, campaign.approved_by) == ("pending_approval", None)

    # a third person does
    svc.campaign_approve(actor=approver, campaign=campaign)
    campaign.refresh_from_db()
    assert (campaign.status, campaign.approved_by) == ("approved", approver)


def test_a_submitter_who_may_approve_cannot_reject_their_own(marketer):
    both = _staff("both2", ("orders.add_campaign", "orders.change_campaign", APPROVE))
    campaign = _create(both)
    svc.campaign_submit(actor=both, campaign=campaign)
    campaign.refresh_from_db()
    assert campaign.submitted_by == both
    with pytest.raises(PromotionSameApprover):
        svc.campaign_reject(actor=both, campaign=campaign, reason="自己退回")


def test_a_campaign_pricing_orders_is_stopped_not_cancelled(marketer, approver, make_campaign):
    # approved, window not started: cancelled as before
    upcoming = _create(marketer)
    svc.campaign_submit(actor=marketer, campaign=upcoming)
    svc.campaign_approve(actor=approver, campaign=upcoming)
    with pytest.raises(PromotionStateConflict):  # nothing to stop yet
        svc.campaign_stop(actor=marketer, campaign=upcoming, reason="停")
    svc.campaign_cancel(actor=marketer, campaign=upcoming, reason="不做了")
    upcoming.refresh_from_db()
    assert upcoming.status == "cancelled"

    # approved and inside its window (the job has not opened it): stopped, not cancelled
    in_window = make_campaign(status="approved")
    assert in_window.status == "approved" and in_window.starts_at <= timezone.now()
    with pytest.raises(PromotionStateConflict) as conflict:
        svc.campaign_cancel(actor=marketer, campaign=in_window, reason="不做了")
    assert conflict.value.status_code == 409
    svc.campaign_stop(actor=marketer, campaign=in_window, reason="预算超支")
    in_window.refresh_from_db()
    assert (in_window.status, in_window.cancel_reason) == ("ended", "预算超支")
    assert in_window.ended_at is not None

    # running: a reason is needed, the approver alone may not, the marketer may
    running = make_campaign()
    with pytest.raises(InvalidInput):
        svc.campaign_stop(actor=marketer, campaign=running, reason="  ")
    with pytest.raises(PermissionDeniedError):
        svc.campaign_stop(actor=approver, campaign=running, reason="停")
    svc.campaign_stop(actor=marketer, campaign=running, reason="活动提前结束")
    running.refresh_from_db()
    assert running.status == "ended"
    entry = AuditEntry.objects.get(action="campaign.stop", object_id=str(running.pk))
    assert entry.actor_id == marketer.pk
    assert "活动提前结束" in str(entry.data)
    with pytest.raises(PromotionStateConflict):  # once only
        svc.campaign_stop(actor=marketer, campaign=running, reason="再停")


def test_a_stopped_campaign_prices_no_new_order(make_campaign, marketer, on_shelf_sku):
    from orders.pricing import QuoteLine
    from orders.promotions.campaigns import campaign_step

    campaign = make_campaign(tiers=[tier("100", off="10")])
    sku = on_shelf_sku(5, price="120.00")
    line = QuoteLine(
        sku=sku,
        quantity=1,
        list_price_amount=D("120.00"),
        unit_price_amount=D("120.00"),
        line_amount=D("120.00"),
    )
    assert campaign_step(lines=[line], now=timezone.now()).discounts == {0: D("10.00")}
    svc.campaign_stop(actor=marketer, campaign=campaign, reason="停")
    assert campaign_step(lines=[line], now=timezone.now()).discounts == {}
