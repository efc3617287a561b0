"""Part of ``orders.models``: sales channels and their ledger, the promotion calendar,
freight templates."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from mall.core.indexes import SearchIndex
from mall.core.models import TimeStampedModel
from mall.core.money import MoneyField

# --- sales channels -------------------------------------------------------------------


class SalesChannel(TimeStampedModel):
    """A shop the mall sells through (电商渠道/店铺): our own store, a Tmall shop, …

    ``balance_amount`` always equals the sum of its ``ChannelLedgerEntry`` rows
    (written together by ``orders.services.channels``).
    """

    class Kind(models.TextChoices):
        OWN_STORE = "own_store", _("own store")
        MINI_PROGRAM = "mini_program", _("WeChat mini-program")
        TMALL = "tmall", _("Tmall")
        JD = "jd", _("JD")
        PINDUODUO = "pinduoduo", _("Pinduoduo")
        DOUYIN = "douyin", _("Douyin")
        KUAISHOU = "kuaishou", _("Kuaishou")
        OTHER = "other", _("other")

    class Status(models.TextChoices):
        ACTIVE = "active", pgettext_lazy("channel", "active")
        DISABLED = "disabled", pgettext_lazy("channel", "switched off")

    code = models.SlugField(_("channel code"), max_length=30, unique=True)
    name = models.CharField(_("channel name"), max_length=80)
    kind = models.CharField(_("channel type"), max_length=20, choices=Kind.choices)
    storefront_user_id = models.CharField(_("storefront user id"), max_length=80, blank=True)
    redeem_domain = models.CharField(_("redeem domain"), max_length=120, blank=True)
    operator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("operator account"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="operated_channels",
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.ACTIVE
    )
    balance_amount = MoneyField(_("balance"), default=0)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("sales channel")
        verbose_name_plural = _("sales channels")
        ordering = ["code"]
        indexes = [
            SearchIndex(field="name", name="orders_channel_name_upper"),
            SearchIndex(field="redeem_domain", name="orders_channel_domain_upper"),
            SearchIndex(field="storefront_user_id", name="orders_channel_uid_upper"),
        ]
        permissions = [
            ("work_channel", _("Can work on a sales channel (object grant)")),
            ("adjust_channel_balance", _("Can adjust a sales channel's balance")),
        ]

    def __str__(self) -> str:
        return self.name


class ChannelLedgerEntry(models.Model):
    """One movement of a sales channel's balance (append-only)."""

    class Kind(models.TextChoices):
        SETTLEMENT = "settlement", _("order settlement")
        REFUND = "refund", _("refund")
        ADJUSTMENT = "adjustment", _("adjustment")
        WITHDRAWAL = "withdrawal", _("withdrawal")

    channel = models.ForeignKey(
        SalesChannel,
        verbose_name=_("sales channel"),
        on_delete=models.PROTECT,
        related_name="ledger_entries",
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    amount = MoneyField(_("amount"))  # signed: + credit, − debit
    balance_after_amount = MoneyField(_("balance after"))
    reference_no = models.CharField(_("reference"), max_length=60)
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("channel ledger entry")
        verbose_name_plural = _("channel ledger")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "kind", "reference_no"], name="orders_channel_ledger_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.channel_id} {self.kind} {self.amount}"


# --- promotion calendar ------------------------------------------------------------------


class PromotionPeriod(TimeStampedModel):
    """A promotion period (618, 双11 …): shipping may take 48 h instead of 24 h."""

    name = models.CharField(_("name"), max_length=80)
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("promotion period")
        verbose_name_plural = _("promotion calendar")
        ordering = ["-starts_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="orders_period_ends_after"
            )
        ]

    def __str__(self) -> str:
        return self.name


# --- freight ---------------------------------------------------------------------------


class FreightTemplate(TimeStampedModel):
    """How shipping is charged: a first weight and each extra weight, per region.

    The template with ``is_default`` applies to every order; a ``FreightRule`` of a
    province's region overrides the template's base fees. Free shipping above a
    threshold is a system parameter (``orders.free_shipping_threshold``).
    """

    name = models.CharField(_("name"), max_length=80, unique=True)
    is_default = models.BooleanField(_("default"), default=False)
    first_weight_grams = models.PositiveIntegerField(_("first weight (g)"), default=1000)
    first_fee_amount = MoneyField(_("first weight fee"))
    extra_weight_grams = models.PositiveIntegerField(_("each extra weight (g)"), default=1000)
    extra_fee_amount = MoneyField(_("fee per extra weight"))

    class Meta:
        verbose_name = _("freight template")
        verbose_name_plural = _("freight templates")
        ordering = ["-is_default", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"],
                condition=Q(is_default=True),
                name="orders_freight_one_default",
            ),
            models.CheckConstraint(
                condition=Q(first_fee_amount__gte=0) & Q(extra_fee_amount__gte=0),
                name="orders_freight_fees_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(extra_weight_grams__gt=0), name="orders_freight_step_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class FreightRule(models.Model):
    """A template's fees for one sales region."""

    template = models.ForeignKey(
        FreightTemplate,
        verbose_name=_("freight template"),
        on_delete=models.CASCADE,
        related_name="rules",
    )
    region = models.ForeignKey(
        "rbac.SalesRegion",
        verbose_name=_("sales region"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    first_fee_amount = MoneyField(_("first weight fee"))
    extra_fee_amount = MoneyField(_("fee per extra weight"))

    class Meta:
        verbose_name = _("freight rule")
        verbose_name_plural = _("freight rules")
        constraints = [
            models.UniqueConstraint(fields=["template", "region"], name="orders_freight_rule_once"),
            models.CheckConstraint(
                condition=Q(first_fee_amount__gte=0) & Q(extra_fee_amount__gte=0),
                name="orders_freight_rule_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.template_id}/{self.region_id}"
