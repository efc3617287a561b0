"""Promotions (营销): flash-sale sessions, campaigns, storefront view counts, recommendations.

They live with orders because the one price calculation (``orders/pricing.py``) owns
them (DESIGN.md §3). Contracts, design and failure modes: ``docs/PROMOTIONS.md`` and
``docs/FLASH_SALE.md``. Statuses change only through ``orders/services/transitions.py``.

* ``FlashSession`` (秒杀场次) — a time window with SKUs at a flash price. Its quota per
  SKU is held out of dispatch's stock while it runs (``promotion_hold`` movements) and
  returned when it ends. ``FlashSessionItem.sold`` is the database's authority (a
  conditional ``UPDATE … WHERE sold + q <= quota``); Redis only answers losers early.
* ``FlashPurchase`` — units one member holds in one session item (per-member limit,
  a conditional upsert).
* ``Campaign`` (满减 / 满折 / 满赠) with its ``CampaignTier`` rows, a budget and
  ``CampaignUsage`` (what each order took of it; returned on cancellation).
* ``StoreEventCount`` — storefront views per object and day (conversion figures).
* ``ProductAffinity`` / ``MemberRecommendation`` — nightly recommendation tables.
* ``PreheatNotice`` — one pre-heat notification per (promotion, member), never two.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from mall.core.models import TimeStampedModel
from mall.core.money import MoneyField


class ApprovalStatus(models.TextChoices):
    """The life of a session or a campaign: created, sent for approval, approved …

    ``running`` and ``ended`` are set by the opening / closing jobs (a session holds
    stock while it runs); ``cancelled`` ends one that never ran or stops one early.
    """

    DRAFT = "draft", pgettext_lazy("promotion", "draft")
    PENDING_APPROVAL = "pending_approval", pgettext_lazy("promotion", "pending approval")
    APPROVED = "approved", pgettext_lazy("promotion", "approved (upcoming)")
    RUNNING = "running", pgettext_lazy("promotion", "running")
    ENDED = "ended", pgettext_lazy("promotion", "ended")
    CANCELLED = "cancelled", pgettext_lazy("promotion", "cancelled")


class _Approved(TimeStampedModel):
    """Who created, last edited, submitted and approved; the rejection reason.

    Four eyes: the approver (or rejecter) is never the creator, the last editor or
    the submitter (``PromotionSameApprover``).
    """

    status = models.CharField(
        _("status"), max_length=20, choices=ApprovalStatus.choices, default=ApprovalStatus.DRAFT
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    last_edited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("last edited by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("submitted by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approved by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    rejection_reason = models.CharField(_("rejection reason"), max_length=300, blank=True)
    opened_at = models.DateTimeField(_("opened at"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    cancel_reason = models.CharField(_("cancellation reason"), max_length=300, blank=True)

    class Meta:
        abstract = True


class FlashSession(_Approved):
    """A flash-sale session (秒杀场次): a window, its SKUs and a shorter unpaid timeout."""

    name = models.CharField(_("name"), max_length=80)
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    unpaid_minutes = models.PositiveSmallIntegerField(_("pay within (minutes)"), default=5)
    # Bumped each time the Redis gate is (re)loaded from the database: a compensation
    # written for an older load is ignored (docs/FLASH_SALE.md "Reconciliation").
    gate_epoch = models.PositiveIntegerField(_("gate generation"), default=0)

    class Meta:
        verbose_name = _("flash-sale session")
        verbose_name_plural = _("flash-sale sessions")
        ordering = ["-starts_at", "-id"]
        indexes = [models.Index(fields=["status", "starts_at"], name="orders_flash_status_start")]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="orders_flash_ends_after"
            ),
            models.CheckConstraint(
                condition=Q(unpaid_minutes__gte=1) & Q(unpaid_minutes__lte=30),
                name="orders_flash_unpaid_minutes_range",
            ),
        ]
        permissions = [
            ("approve_flashsession", _("Can approve flash-sale sessions")),
        ]

    def __str__(self) -> str:
        return self.name


class FlashSessionItem(models.Model):
    """One SKU of a session: flash price, quota, units sold, per-member limit.

    ``0 ≤ sold ≤ quota`` is a CHECK and the placement's conditional ``UPDATE``;
    ``held`` is what dispatch holds for the item right now (``quota − sold`` while the
    session runs, 0 before and after), at ``warehouse``.
    """

    session = models.ForeignKey(
        FlashSession, verbose_name=_("session"), on_delete=models.CASCADE, related_name="items"
    )
    sku = models.ForeignKey(
        "catalog.Sku", verbose_name=_("SKU"), on_delete=models.PROTECT, related_name="+"
    )
    flash_price_amount = MoneyField(_("flash price"))
    reference_price_amount = MoneyField(_("lowest price of the look-back window"), default=0)
    quota = models.PositiveIntegerField(_("session quota"))
    sold = models.PositiveIntegerField(_("units sold"), default=0)
    held = models.PositiveIntegerField(_("units held in stock"), default=0)
    per_member_limit = models.PositiveSmallIntegerField(_("limit per member"), default=1)
    warehouse = models.ForeignKey(
        "dispatch.Warehouse",
        verbose_name=_("warehouse holding the quota"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("session item")
        verbose_name_plural = _("session items")
        ordering = ["session_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["session", "sku"], name="orders_flash_item_sku_once"),
            models.CheckConstraint(
                condition=Q(sold__lte=F("quota")), name="orders_flash_item_sold_within_quota"
            ),
            models.CheckConstraint(
                condition=Q(held__lte=F("quota")), name="orders_flash_item_held_within_quota"
            ),
            models.CheckConstraint(
                condition=Q(flash_price_amount__gt=0), name="orders_flash_item_price_positive"
            ),
            models.CheckConstraint(
                condition=Q(quota__gt=0) & Q(per_member_limit__gt=0),
                name="orders_flash_item_quota_limit_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.session_id} {self.sku_id}"

    @property
    def remaining(self) -> int:
        return max(0, self.quota - self.sold)


class FlashPurchase(models.Model):
    """Units of one session item held by one member's live orders (the per-member limit)."""

    item = models.ForeignKey(
        FlashSessionItem,
        verbose_name=_("session item"),
        on_delete=models.CASCADE,
        related_name="purchases",
    )
    member = models.ForeignKey(
        "members.Member", verbose_name=_("member"), on_delete=models.PROTECT, related_name="+"
    )
    quantity = models.PositiveIntegerField(_("quantity"), default=0)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("flash purchase")
        verbose_name_plural = _("flash purchases")
        constraints = [
            models.UniqueConstraint(fields=["item", "member"], name="orders_flash_purchase_once")
        ]

    def __str__(self) -> str:
        return f"{self.item_id} {self.member_id} × {self.quantity}"


class Campaign(_Approved):
    """A full-reduction (满减), discount (满折) or gift (满赠) campaign over a window.

    Scope: every SKU (``scope = all``), the SKUs of ``categories`` (and their
    sub-categories) or the listed ``skus``. ``tiers`` give thresholds on the covered
    goods amount; the highest tier reached applies. ``spent_amount`` (discounts given,
    gifts at their list price) never exceeds ``budget_amount`` (CHECK and the
    placement's conditional ``UPDATE``).
    """

    class Kind(models.TextChoices):
        FULL_REDUCTION = "full_reduction", _("full reduction (满减)")
        DISCOUNT = "discount", _("discount over a threshold (满折)")
        GIFT = "gift", _("gift over a threshold (满赠)")

    class Scope(models.TextChoices):
        ALL = "all", _("all goods")
        CATEGORIES = "categories", _("categories")
        SKUS = "skus", _("SKUs")

    name = models.CharField(_("name"), max_length=80)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    scope = models.CharField(_("applies to"), max_length=20, choices=Scope.choices)
    categories = models.ManyToManyField(
        "catalog.Category", verbose_name=_("categories"), blank=True, related_name="+"
    )
    skus = models.ManyToManyField(
        "catalog.Sku", verbose_name=_("SKUs"), blank=True, related_name="+"
    )
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    priority = models.PositiveSmallIntegerField(
        _("priority"), default=100, help_text=_("Lower first when campaigns cover one line.")
    )
    budget_amount = MoneyField(_("budget"))
    spent_amount = MoneyField(_("budget used"), default=0)
    # Expected cost other than discounts (ads, staff), for the ROI of the review report.
    other_cost_amount = MoneyField(_("other costs"), default=0)

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        ordering = ["-starts_at", "-id"]
        indexes = [
            models.Index(fields=["status", "starts_at", "ends_at"], name="orders_campaign_window")
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="orders_campaign_ends_after"
            ),
            models.CheckConstraint(
                condition=Q(budget_amount__gt=0)
                & Q(spent_amount__gte=0)
                & Q(spent_amount__lte=F("budget_amount"))
                & Q(other_cost_amount__gte=0),
                name="orders_campaign_within_budget",
            ),
        ]
        permissions = [
            ("approve_campaign", _("Can approve campaigns")),
            ("view_promotion_results", _("Can see campaign and session results")),
            ("export_promotion_results", _("Can download campaign review reports")),
        ]

    def __str__(self) -> str:
        return self.name


class CampaignTier(models.Model):
    """One threshold of a campaign: 满 ``threshold`` 减 ``discount`` / 打 ``rate`` 折 / 赠 gift."""

    campaign = models.ForeignKey(
        Campaign, verbose_name=_("campaign"), on_delete=models.CASCADE, related_name="tiers"
    )
    threshold_amount = MoneyField(_("threshold"))
    discount_amount = MoneyField(_("amount off"), null=True, blank=True)
    discount_rate = models.DecimalField(
        _("rate paid"),
        max_digits=4,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("0.90 means a 10 percent discount."),
    )
    gift_sku = models.ForeignKey(
        "catalog.Sku",
        verbose_name=_("gift SKU"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    gift_quantity = models.PositiveSmallIntegerField(_("gift quantity"), default=0)

    class Meta:
        verbose_name = _("campaign tier")
        verbose_name_plural = _("campaign tiers")
        ordering = ["campaign_id", "threshold_amount"]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "threshold_amount"], name="orders_campaign_tier_once"
            ),
            models.CheckConstraint(
                condition=Q(threshold_amount__gt=0), name="orders_campaign_tier_threshold"
            ),
            models.CheckConstraint(
                condition=Q(discount_amount__isnull=True)
                | (Q(discount_amount__gt=0) & Q(discount_amount__lt=F("threshold_amount"))),
                name="orders_campaign_tier_amount_below_threshold",
            ),
            models.CheckConstraint(
                condition=Q(discount_rate__isnull=True)
                | (Q(discount_rate__gt=0) & Q(discount_rate__lt=1)),
                name="orders_campaign_tier_rate_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id} ≥ {self.threshold_amount}"


class CampaignUsage(models.Model):
    """What one order took of one campaign's budget (returned when the order is cancelled)."""

    campaign = models.ForeignKey(
        Campaign, verbose_name=_("campaign"), on_delete=models.PROTECT, related_name="usages"
    )
    order = models.ForeignKey(
        "orders.Order",
        verbose_name=_("order"),
        on_delete=models.CASCADE,
        related_name="campaign_usages",
    )
    discount_amount = MoneyField(_("discount"), default=0)
    gift_cost_amount = MoneyField(_("gifts at list price"), default=0)
    returned = models.BooleanField(_("returned to the budget"), default=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("campaign usage")
        verbose_name_plural = _("campaign usages")
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "order"], name="orders_campaign_usage_once"
            ),
            models.CheckConstraint(
                condition=Q(discount_amount__gte=0) & Q(gift_cost_amount__gte=0),
                name="orders_campaign_usage_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id} {self.order_id}"


class StoreEventCount(models.Model):
    """Storefront views of one object on one day (``POST /api/v1/store/events/``)."""

    class Type(models.TextChoices):
        PRODUCT_VIEW = "product_view", _("product view")
        SESSION_VIEW = "session_view", _("session view")

    type = models.CharField(_("type"), max_length=20, choices=Type.choices)
    object_id = models.PositiveBigIntegerField(_("object"))
    day = models.DateField(_("day"))
    views = models.PositiveIntegerField(_("views"), default=0)

    class Meta:
        verbose_name = _("storefront view count")
        verbose_name_plural = _("storefront view counts")
        constraints = [
            models.UniqueConstraint(
                fields=["type", "object_id", "day"], name="orders_store_event_count_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.type} {self.object_id} {self.day}: {self.views}"


class ProductAffinity(models.Model):
    """ "Bought together": ``related`` was in ``support`` paid orders with ``product``."""

    product = models.ForeignKey(
        "catalog.Product", verbose_name=_("product"), on_delete=models.CASCADE, related_name="+"
    )
    related = models.ForeignKey(
        "catalog.Product",
        verbose_name=_("bought with"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    support = models.PositiveIntegerField(_("orders together"))
    computed_at = models.DateTimeField(_("computed at"))

    class Meta:
        verbose_name = _("product affinity")
        verbose_name_plural = _("product affinities")
        indexes = [models.Index(fields=["product", "-support"], name="orders_affinity_rank")]
        constraints = [
            models.UniqueConstraint(fields=["product", "related"], name="orders_affinity_once"),
            models.CheckConstraint(
                condition=~Q(product=F("related")), name="orders_affinity_not_self"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.product_id} ~ {self.related_id} ({self.support})"


class MemberRecommendation(models.Model):
    """ "For you": a product from the categories a member bought, ranked (nightly)."""

    member = models.ForeignKey(
        "members.Member", verbose_name=_("member"), on_delete=models.CASCADE, related_name="+"
    )
    product = models.ForeignKey(
        "catalog.Product", verbose_name=_("product"), on_delete=models.CASCADE, related_name="+"
    )
    score = models.FloatField(_("score"))
    computed_at = models.DateTimeField(_("computed at"))

    class Meta:
        verbose_name = _("member recommendation")
        verbose_name_plural = _("member recommendations")
        indexes = [models.Index(fields=["member", "-score"], name="orders_member_rec_rank")]
        constraints = [
            models.UniqueConstraint(fields=["member", "product"], name="orders_member_rec_once")
        ]

    def __str__(self) -> str:
        return f"{self.member_id} → {self.product_id}"


class PreheatNotice(models.Model):
    """One pre-heat notification of a session or campaign to one member (sent once)."""

    class Subject(models.TextChoices):
        SESSION = "session", _("flash-sale session")
        CAMPAIGN = "campaign", _("campaign")

    subject_type = models.CharField(_("promotion type"), max_length=10, choices=Subject.choices)
    subject_id = models.PositiveBigIntegerField(_("promotion"))
    member = models.ForeignKey(
        "members.Member", verbose_name=_("member"), on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("pre-heat notice")
        verbose_name_plural = _("pre-heat notices")
        constraints = [
            models.UniqueConstraint(
                fields=["subject_type", "subject_id", "member"], name="orders_preheat_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.subject_type} {self.subject_id} → {self.member_id}"


class CampaignResult(Campaign):
    """A campaign seen through its figures (the 活动效果 screens; no data of its own)."""

    class Meta:
        proxy = True
        verbose_name = _("campaign result")
        verbose_name_plural = _("campaign results")


class FlashSessionResult(FlashSession):
    """A flash-sale session seen through its figures (no data of its own)."""

    class Meta:
        proxy = True
        verbose_name = _("flash-sale result")
        verbose_name_plural = _("flash-sale results")
