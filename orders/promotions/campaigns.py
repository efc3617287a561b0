"""Campaigns (满减 / 满折 / 满赠): life, the price step and the budget.

Owned by the campaign work. ``orders.pricing.price_order`` calls ``campaign_step``
(after the goods, before the member level discount); ``order_place`` calls
``campaign_budget_take`` inside its transaction; cancellation calls
``campaign_budget_return``.

Life: ``draft → pending_approval → approved → running → ended`` (``pending_approval →
draft`` when rejected; ``draft | pending_approval | approved → cancelled``), moved only
by the kernel ``transition``. Only a draft is edited; its creator never approves it.

Decisions of the price step (docs/PROMOTIONS.md):

* A campaign counts from ``starts_at`` to ``ends_at`` once it is **approved or running**:
  the price never depends on the minute job (``campaigns_open_due``) having run yet.
* A line (not a flash line, not a gift) is covered by at most one campaign: the one
  with the lowest ``priority`` (then lowest id) whose scope covers it (categories
  include their sub-categories). A campaign that does not apply (no tier reached,
  budget short) leaves its lines uncovered; they do not fall to the next campaign.
* A gift is given when its SKU is on sale and has sellable stock for it (besides the
  units of that SKU the cart already takes) in a warehouse delivering to the order's
  province (every active warehouse without one); else the gift is omitted (the tier's
  discount part is nothing for a gift campaign, so the campaign gives nothing).
* The budget: a campaign whose remaining budget (``budget − spent``) cannot pay this
  order's discount plus its gifts at list price does not apply to the order at all
  (never a partial discount). The placement takes the budget with a conditional
  ``UPDATE``; a budget spent in between refuses the order (409 ``price_changed``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from mall.core.audit import audit
from mall.core.exceptions import InvalidInput, PermissionDeniedError
from mall.core.money import ZERO, split_amount, to_money
from mall.core.transitions import transition

from ..exceptions import PriceChanged, PromotionSameApprover, PromotionStateConflict
from ..models.promotions import ApprovalStatus, Campaign, CampaignTier, CampaignUsage
from ..permissions import ADD_CAMPAIGN, APPROVE_CAMPAIGN, CHANGE_CAMPAIGN

S = ApprovalStatus
LIVE = (S.APPROVED, S.RUNNING)
TIER_FIELDS = ("threshold_amount", "discount_amount", "discount_rate", "gift_sku", "gift_quantity")
EDITABLE = (
    "name",
    "kind",
    "scope",
    "starts_at",
    "ends_at",
    "budget_amount",
    "priority",
    "other_cost_amount",
)


@dataclass
class CampaignOutcome:
    """What the running campaigns give a cart: per-line discounts and gift lines."""

    discounts: dict[int, Decimal] = field(default_factory=dict)  # line index → amount
    line_campaigns: dict[int, Any] = field(default_factory=dict)  # line index → Campaign
    gifts: list[tuple[Any, int, Any]] = field(default_factory=list)  # (Sku, qty, Campaign)
    usages: list[dict] = field(default_factory=list)  # {"campaign", "discount", "gift_cost"}


# --- helpers ------------------------------------------------------------------------------


def _require(actor, perm: str) -> None:
    if not actor.has_perm(perm):
        raise PermissionDeniedError()


def _on_sale(sku) -> bool:
    """Whether ``sku`` can be bought now (the placement's own test)."""
    from catalog.models import Product

    product = sku.product
    return bool(
        product.status == Product.Status.ON_SHELF
        and sku.is_available
        and product.category.is_active
    )


def category_subtree(category_ids: Iterable[int]) -> set[int]:
    """``category_ids`` and every sub-category under them."""
    from catalog.models import Category

    covered = {int(pk) for pk in category_ids}
    frontier = set(covered)
    while frontier:
        frontier = (
            set(Category.objects.filter(parent_id__in=frontier).values_list("pk", flat=True))
            - covered
        )
        covered |= frontier
    return covered


def _snapshot(campaign: Campaign) -> dict:
    return {
        "name": campaign.name,
        "kind": campaign.kind,
        "scope": campaign.scope,
        "starts_at": campaign.starts_at,
        "ends_at": campaign.ends_at,
        "budget_amount": campaign.budget_amount,
        "priority": campaign.priority,
        "other_cost_amount": campaign.other_cost_amount,
        "tiers": [_tier_facts(t) for t in campaign.tiers.all().order_by("threshold_amount")],
        "categories": sorted(campaign.categories.values_list("pk", flat=True)),
        "skus": sorted(campaign.skus.values_list("pk", flat=True)),
    }


def _tier_facts(tier) -> dict:
    return {
        "threshold": f"{tier.threshold_amount:.2f}",
        "discount": f"{tier.discount_amount:.2f}" if tier.discount_amount is not None else None,
        "rate": f"{tier.discount_rate:.2f}" if tier.discount_rate is not None else None,
        "gift_sku": tier.gift_sku_id,
        "gift_quantity": tier.gift_quantity,
    }


def _clean_tiers(kind: str, tiers: Sequence, problems: dict) -> list[dict]:
    """Check ``tiers`` against ``kind``; return them as model field dicts."""
    cleaned: list[dict] = []
    if not tiers:
        problems.setdefault("tiers", []).append(_("Give at least one tier."))
        return cleaned
    seen: set[Decimal] = set()
    for index, raw in enumerate(tiers):
        row = dict(raw if isinstance(raw, dict) else {f: getattr(raw, f) for f in TIER_FIELDS})
        key = f"tiers.{index}"
        mistakes: list[str] = []
        threshold = row.get("threshold_amount")
        threshold = to_money(threshold) if threshold not in (None, "") else None
        amount = row.get("discount_amount")
        amount = to_money(amount) if amount not in (None, "") else None
        rate = row.get("discount_rate")
        rate = Decimal(str(rate)) if rate not in (None, "") else None
        gift = row.get("gift_sku")
        quantity = int(row.get("gift_quantity") or 0)
        if threshold is None or threshold <= 0:
            mistakes.append(_("The threshold must be above 0."))
        elif threshold in seen:
            mistakes.append(_("Two tiers have the same threshold."))
        else:
            seen.add(threshold)
        if kind == Campaign.Kind.FULL_REDUCTION:
            if amount is None or amount <= 0:
                mistakes.append(_("A full-reduction tier needs an amount off above 0."))
            elif threshold is not None and amount >= threshold:
                mistakes.append(_("The amount off must be below the threshold."))
            rate, gift, quantity = None, None, 0
        elif kind == Campaign.Kind.DISCOUNT:
            if rate is None or not (Decimal("0") < rate < Decimal("1")):
                mistakes.append(_("A discount tier needs a rate paid between 0 and 1."))
            amount, gift, quantity = None, None, 0
        elif kind == Campaign.Kind.GIFT:
            if gift is None:
                mistakes.append(_("A gift tier needs a gift SKU."))
            elif not _on_sale(gift):
                mistakes.append(_("The gift SKU is not on sale."))
            if quantity < 1:
                mistakes.append(_("A gift tier gives at least 1 unit."))
            amount, rate = None, None
        if mistakes:
            problems[key] = mistakes
        cleaned.append(
            {
                "threshold_amount": threshold,
                "discount_amount": amount,
                "discount_rate": rate,
                "gift_sku": gift,
                "gift_quantity": quantity,
            }
        )
    return cleaned


def _validate(values: dict, tiers: Sequence, categories: Sequence, skus: Sequence) -> list[dict]:
    problems: dict[str, list] = {}
    if not (values.get("name") or "").strip():
        problems["name"] = [_("A name is required.")]
    if values.get("kind") not in Campaign.Kind.values:
        problems["kind"] = [_("Choose a campaign kind.")]
    scope = values.get("scope")
    if scope not in Campaign.Scope.values:
        problems["scope"] = [_("Choose what the campaign applies to.")]
    elif scope == Campaign.Scope.CATEGORIES and not categories:
        problems["categories"] = [_("Choose the categories the campaign applies to.")]
    elif scope == Campaign.Scope.SKUS and not skus:
        problems["skus"] = [_("Choose the SKUs the campaign applies to.")]
    starts, ends = values.get("starts_at"), values.get("ends_at")
    if starts is None or ends is None:
        problems["starts_at"] = [_("Give the start and the end.")]
    elif ends <= starts:
        problems["ends_at"] = [_("The end must be after the start.")]
    budget = values.get("budget_amount")
    if budget is None or to_money(budget) <= 0:
        problems["budget_amount"] = [_("The budget must be above 0.")]
    if to_money(values.get("other_cost_amount") or 0) < 0:
        problems["other_cost_amount"] = [_("Other costs cannot be negative.")]
    cleaned = _clean_tiers(values.get("kind"), tiers, problems)
    if problems:
        raise InvalidInput(fields=problems)
    return cleaned


def _write_children(campaign: Campaign, tiers: list[dict], categories, skus) -> None:
    CampaignTier.objects.filter(campaign=campaign).delete()
    CampaignTier.objects.bulk_create(CampaignTier(campaign=campaign, **row) for row in tiers)
    if campaign.scope == Campaign.Scope.CATEGORIES:
        campaign.categories.set(categories)
        campaign.skus.clear()
    elif campaign.scope == Campaign.Scope.SKUS:
        campaign.skus.set(skus)
        campaign.categories.clear()
    else:
        campaign.categories.clear()
        campaign.skus.clear()


def _locked(campaign: Campaign) -> Campaign:
    return Campaign.objects.select_for_update().get(pk=campaign.pk)


# --- life ---------------------------------------------------------------------------------


def _refuse_own_work(campaign: Campaign, actor) -> None:
    """Four eyes: whoever created, last edited or submitted ``campaign`` never approves
    or rejects it (403 ``same_approver``)."""
    pk = getattr(actor, "pk", None)
    if pk is not None and pk in (
        campaign.created_by_id,
        campaign.last_edited_by_id,
        campaign.submitted_by_id,
    ):
        raise PromotionSameApprover(
            _("Someone who created, edited or submitted a promotion cannot approve or reject it.")
        )


def _prices_orders(campaign: Campaign, now: datetime) -> bool:
    """Running, or approved with its window started: it may already price orders."""
    return campaign.status == S.RUNNING or (
        campaign.status == S.APPROVED and campaign.starts_at <= now
    )


@transaction.atomic
def campaign_create(
    *,
    actor,
    name: str,
    kind: str,
    scope: str,
    starts_at: datetime,
    ends_at: datetime,
    budget_amount: Decimal,
    tiers: Sequence[dict],
    categories: Sequence = (),
    skus: Sequence = (),
    priority: int = 100,
    other_cost_amount: Decimal = ZERO,
) -> Campaign:
    """Create a draft campaign with its tiers and scope (``orders.add_campaign``)."""
    _require(actor, ADD_CAMPAIGN)
    values = {
        "name": (name or "").strip(),
        "kind": kind,
        "scope": scope,
        "starts_at": starts_at,
        "ends_at": ends_at,
        "budget_amount": budget_amount,
        "priority": int(priority),
        "other_cost_amount": other_cost_amount or ZERO,
    }
    cleaned = _validate(values, tiers, list(categories), list(skus))
    campaign = Campaign.objects.create(
        status=S.DRAFT,
        created_by=actor,
        last_edited_by=actor,
        **{**values, "budget_amount": to_money(budget_amount)},
    )
    _write_children(campaign, cleaned, list(categories), list(skus))
    audit(actor=actor, action="campaign.create", target=campaign, after=_snapshot(campaign))
    return campaign


@transaction.atomic
def campaign_update(
    *,
    actor,
    campaign: Campaign,
    tiers: Sequence[dict] | None = None,
    categories: Sequence | None = None,
    skus: Sequence | None = None,
    **changes: Any,
) -> Campaign:
    """Change a draft campaign (fields in ``EDITABLE``, tiers, scope lists)."""
    _require(actor, CHANGE_CAMPAIGN)
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise InvalidInput(fields={name: [_("This field cannot be changed.")] for name in unknown})
    campaign = _locked(campaign)
    if campaign.status != S.DRAFT:
        raise PromotionStateConflict(_("Only a draft campaign can be edited."))
    before = _snapshot(campaign)
    values = {name: getattr(campaign, name) for name in EDITABLE}
    values.update(changes)
    if "name" in changes:
        values["name"] = (values["name"] or "").strip()
    tiers = list(campaign.tiers.all()) if tiers is None else list(tiers)
    categories = list(campaign.categories.all()) if categories is None else list(categories)
    skus = list(campaign.skus.all()) if skus is None else list(skus)
    cleaned = _validate(values, tiers, categories, skus)
    for name in EDITABLE:
        setattr(campaign, name, values[name])
    campaign.budget_amount = to_money(campaign.budget_amount)
    campaign.last_edited_by = actor
    campaign.save(update_fields=[*EDITABLE, "last_edited_by", "updated_at"])
    _write_children(campaign, cleaned, categories, skus)
    audit(
        actor=actor,
        action="campaign.update",
        target=campaign,
        before=before,
        after=_snapshot(campaign),
    )
    return campaign


@transaction.atomic
def campaign_submit(*, actor, campaign: Campaign) -> Campaign:
    """Send a draft for approval (its end must still be ahead); only its creator does."""
    _require(actor, CHANGE_CAMPAIGN)
    campaign = _locked(campaign)
    now = timezone.now()
    if campaign.status == S.DRAFT and campaign.created_by_id != actor.pk:
        raise PermissionDeniedError(_("Only the creator of a campaign can submit it."))
    if campaign.status == S.DRAFT and campaign.ends_at <= now:
        raise InvalidInput(fields={"ends_at": [_("The campaign has already ended.")]})
    transition(
        campaign,
        S.PENDING_APPROVAL,
        actor=actor,
        action="campaign.submit",
        submitted_at=now,
        submitted_by=actor,
    )
    return campaign


@transaction.atomic
def campaign_approve(*, actor, campaign: Campaign) -> Campaign:
    """Approve a campaign sent for approval (never by its creator, last editor or
    submitter: 403 ``same_approver``)."""
    campaign = _locked(campaign)
    _refuse_own_work(campaign, actor)
    _require(actor, APPROVE_CAMPAIGN)
    transition(
        campaign,
        S.APPROVED,
        actor=actor,
        action="campaign.approve",
        approved_by=actor,
        approved_at=timezone.now(),
        rejection_reason="",
    )
    return campaign


@transaction.atomic
def campaign_reject(*, actor, campaign: Campaign, reason: str) -> Campaign:
    """Send a campaign back to draft with a reason (never by its creator, last editor
    or submitter)."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(fields={"reason": [_("A reason is required.")]})
    campaign = _locked(campaign)
    _refuse_own_work(campaign, actor)
    _require(actor, APPROVE_CAMPAIGN)
    transition(
        campaign,
        S.DRAFT,
        actor=actor,
        action="campaign.reject",
        reason=reason,
        rejection_reason=reason[:300],
    )
    return campaign


@transaction.atomic
def campaign_cancel(*, actor, campaign: Campaign, reason: str) -> Campaign:
    """Cancel a campaign that has not priced any order (draft, pending approval, or
    approved before its start). One that may already price orders (approved with its
    window started, or running) is stopped with ``campaign_stop`` instead (409)."""
    if not (actor.has_perm(CHANGE_CAMPAIGN) or actor.has_perm(APPROVE_CAMPAIGN)):
        raise PermissionDeniedError()
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(fields={"reason": [_("A reason is required.")]})
    campaign = _locked(campaign)
    if _prices_orders(campaign, timezone.now()):
        raise PromotionStateConflict(
            _("This campaign may already price orders: stop it instead of cancelling it."),
            extra={"status": campaign.status},
        )
    transition(
        campaign,
        S.CANCELLED,
        actor=actor,
        action="campaign.cancel",
        reason=reason,
        cancel_reason=reason[:300],
    )
    return campaign


@transaction.atomic
def campaign_stop(*, actor, campaign: Campaign, reason: str) -> Campaign:
    """Stop early a campaign that may already price orders (approved with its window
    started, or running): status ``ended`` now, with a reason (``orders.change_campaign``).

    Orders already priced keep their discount and their budget use; no new order gets
    it. Anything else is 409 (a campaign that has not started is cancelled instead).
    """
    _require(actor, CHANGE_CAMPAIGN)
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(fields={"reason": [_("A reason is required.")]})
    campaign = _locked(campaign)
    now = timezone.now()
    if not _prices_orders(campaign, now):
        raise PromotionStateConflict(
            _("Only a campaign whose window has started can be stopped."),
            extra={"status": campaign.status},
        )
    transition(
        campaign,
        S.ENDED,
        actor=actor,
        action="campaign.stop",
        reason=reason,
        ended_at=now,
        cancel_reason=reason[:300],
    )
    return campaign


def campaigns_open_due(*, actor, now: datetime | None = None) -> int:
    """Move approved campaigns whose start has come to running (the minute job)."""
    now = now or timezone.now()
    moved = 0
    ids = list(
        Campaign.objects.filter(status=S.APPROVED, starts_at__lte=now).values_list("pk", flat=True)
    )
    for pk in ids:
        with transaction.atomic():
            campaign = (
                Campaign.objects.select_for_update(skip_locked=True)
                .filter(pk=pk, status=S.APPROVED)
                .first()
            )
            if campaign is None:
                continue
            transition(campaign, S.RUNNING, actor=actor, action="campaign.open", opened_at=now)
            moved += 1
    return moved


def campaigns_close_due(*, actor, now: datetime | None = None) -> int:
    """Move running campaigns whose end has come to ended (the minute job)."""
    now = now or timezone.now()
    moved = 0
    ids = list(
        Campaign.objects.filter(status=S.RUNNING, ends_at__lte=now).values_list("pk", flat=True)
    )
    for pk in ids:
        with transaction.atomic():
            campaign = (
                Campaign.objects.select_for_update(skip_locked=True)
                .filter(pk=pk, status=S.RUNNING)
                .first()
            )
            if campaign is None:
                continue
            transition(campaign, S.ENDED, actor=actor, action="campaign.close", ended_at=now)
            moved += 1
    return moved


# --- the price step -----------------------------------------------------------------------


def _covers(campaign: Campaign, line, covered_categories: set[int] | None, sku_ids: set[int]):
    if campaign.scope == Campaign.Scope.ALL:
        return True
    if campaign.scope == Campaign.Scope.CATEGORIES:
        return line.sku.product.category_id in (covered_categories or set())
    return line.sku.pk in sku_ids


def campaign_step(*, lines, now: datetime, province=None) -> CampaignOutcome:
    """The running campaigns' discounts and gifts for priced ``lines`` (reads only).

    See the module docstring for the decisions (approved counts as running inside
    its window, one campaign per line, gifts only in stock, the budget test).
    ``province`` (an ``rbac.Province`` or its id) is where the order is delivered: a
    gift then needs its sellable stock in a warehouse covering it; ``None`` counts
    every active warehouse.
    """
    outcome = CampaignOutcome()
    eligible = [
        index
        for index, line in enumerate(lines)
        if line.flash_item is None and not line.is_gift and line.line_amount > 0
    ]
    if not eligible:
        return outcome
    campaigns = list(
        Campaign.objects.filter(status__in=LIVE, starts_at__lte=now, ends_at__gt=now)
        .prefetch_related("tiers", "categories", "skus")
        .order_by("priority", "pk")
    )
    if not campaigns:
        return outcome
    scopes = {}
    for campaign in campaigns:
        if campaign.scope == Campaign.Scope.CATEGORIES:
            ids = category_subtree(c.pk for c in campaign.categories.all())
            scopes[campaign.pk] = (ids, set())
        elif campaign.scope == Campaign.Scope.SKUS:
            scopes[campaign.pk] = (None, {s.pk for s in campaign.skus.all()})
        else:
            scopes[campaign.pk] = (None, set())
    covered_by: dict[int, list[int]] = {}
    for index in eligible:
        for campaign in campaigns:
            if _covers(campaign, lines[index], *scopes[campaign.pk]):
                covered_by.setdefault(campaign.pk, []).append(index)
                break
    taken: dict[int, int] = {}  # sku id → units of the cart (and gifts so far)
    for line in lines:
        taken[line.sku.pk] = taken.get(line.sku.pk, 0) + int(line.quantity)
    for campaign in campaigns:
        indexes = covered_by.get(campaign.pk)
        if not indexes:
            continue
        weights = [lines[i].line_amount for i in indexes]
        covered = to_money(sum(weights, ZERO))
        reached = [t for t in campaign.tiers.all() if t.threshold_amount <= covered]
        if not reached:
            continue
        tier = max(reached, key=lambda t: t.threshold_amount)
        discount, gift_cost, gift = ZERO, ZERO, None
        if campaign.kind == Campaign.Kind.FULL_REDUCTION:
            discount = min(to_money(tier.discount_amount), covered)
        elif campaign.kind == Campaign.Kind.DISCOUNT:
            discount = to_money(covered * (Decimal("1") - Decimal(tier.discount_rate)))
        else:
            gift = _gift_if_available(tier, taken, province)
            if gift is None:
                continue
            gift_cost = to_money(gift[0].price_amount * gift[1])
        remaining = to_money(campaign.budget_amount - campaign.spent_amount)
        if discount + gift_cost > remaining or discount + gift_cost <= 0:
            continue
        shares = split_amount(discount, weights) if discount > 0 else [ZERO] * len(indexes)
        for index, share in zip(indexes, shares, strict=True):
            outcome.discounts[index] = to_money(share)
            outcome.line_campaigns[index] = campaign
        if gift is not None:
            sku, quantity = gift
            taken[sku.pk] = taken.get(sku.pk, 0) + quantity
            outcome.gifts.append((sku, quantity, campaign))
        outcome.usages.append({"campaign": campaign, "discount": discount, "gift_cost": gift_cost})
    return outcome


def _gift_if_available(tier, taken: dict[int, int], province=None):
    """``(sku, quantity)`` when the tier's gift is on sale and in stock, else None.

    In stock: sellable in the warehouses that deliver to ``province`` (dispatch's
    coverage), or in every active warehouse when ``province`` is None.
    """
    from catalog.models import Sku
    from dispatch.availability import sellable_units_by_sku, sellable_units_by_sku_in_province

    if tier.gift_sku_id is None or tier.gift_quantity < 1:
        return None
    sku = Sku.objects.select_related("product", "product__category").get(pk=tier.gift_sku_id)
    if not _on_sale(sku):
        return None
    if province is None:
        sellable = sellable_units_by_sku([sku.pk]).get(sku.pk, 0)
    else:
        sellable = sellable_units_by_sku_in_province([sku.pk], province=province).get(sku.pk, 0)
    if sellable < taken.get(sku.pk, 0) + tier.gift_quantity:
        return None
    return sku, int(tier.gift_quantity)


# --- the budget ---------------------------------------------------------------------------


def campaign_budget_take(*, actor, order, usages: list[dict]) -> None:
    """Inside the placement transaction: take each usage from its campaign's budget.

    One conditional ``UPDATE … SET spent = spent + x WHERE spent + x <= budget`` per
    campaign (in id order, so two orders never wait on each other crosswise); a
    budget that cannot pay raises ``PriceChanged`` (409) and the caller's transaction
    writes nothing.
    """
    facts = []
    for usage in sorted(usages, key=lambda u: u["campaign"].pk):
        campaign = usage["campaign"]
        discount = to_money(usage.get("discount") or ZERO)
        gift_cost = to_money(usage.get("gift_cost") or ZERO)
        amount = to_money(discount + gift_cost)
        moved = Campaign.objects.filter(
            pk=campaign.pk,
            status__in=LIVE,
            spent_amount__lte=F("budget_amount") - amount,
        ).update(spent_amount=F("spent_amount") + amount, updated_at=timezone.now())
        if moved == 0:
            raise PriceChanged()
        CampaignUsage.objects.create(
            campaign=campaign,
            order=order,
            discount_amount=discount,
            gift_cost_amount=gift_cost,
        )
        facts.append(
            {
                "campaign": campaign.pk,
                "discount": f"{discount:.2f}",
                "gift_cost": f"{gift_cost:.2f}",
            }
        )
    if facts:
        audit(actor=actor, action="campaign.budget_take", target=order, data={"usages": facts})


def campaign_budget_return(*, actor, order) -> None:
    """Inside a cancellation: give the order's usages back to their budgets (idempotent)."""
    usages = list(
        CampaignUsage.objects.select_for_update()
        .filter(order=order, returned=False)
        .order_by("campaign_id")
    )
    facts = []
    for usage in usages:
        amount = to_money(usage.discount_amount + usage.gift_cost_amount)
        Campaign.objects.filter(pk=usage.campaign_id).update(
            spent_amount=F("spent_amount") - amount, updated_at=timezone.now()
        )
        usage.returned = True
        usage.save(update_fields=["returned"])
        facts.append({"campaign": usage.campaign_id, "amount": f"{amount:.2f}"})
    if facts:
        audit(actor=actor, action="campaign.budget_return", target=order, data={"usages": facts})
