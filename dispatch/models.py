"""Dispatch centre (调度中心): warehouses, coverage, carriers, stock and its ledger,
allocations and shipments.

Stock figures change only through ``dispatch.services`` with a conditional
``UPDATE`` and one ``StockMovement`` row per change, so the ledger always sums to
the stock row (``manage.py stock_verify``).
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from mall.core.models import TimeStampedModel
from mall.core.money import MoneyField


class Warehouse(TimeStampedModel):
    """A warehouse (仓库) that holds stock and ships orders."""

    class Type(models.TextChoices):
        CENTRAL = "central", _("Self-run central warehouse")
        REGIONAL = "regional", _("Self-run regional warehouse")
        SUPPLIER = "supplier", _("Supplier-collaborative warehouse")

    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=100)
    type = models.CharField(_("type"), max_length=20, choices=Type.choices)
    region = models.ForeignKey(
        "rbac.SalesRegion",
        verbose_name=_("sales region"),
        on_delete=models.PROTECT,
        related_name="warehouses",
    )
    address = models.CharField(_("address"), max_length=255)
    contact_name = models.CharField(_("contact name"), max_length=50)
    contact_phone = models.CharField(_("contact phone"), max_length=30)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("warehouse")
        verbose_name_plural = _("warehouses")
        ordering = ["code"]
        permissions = [("work_warehouse", _("Can work on this warehouse"))]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def is_supplier(self) -> bool:
        return self.type == self.Type.SUPPLIER


class CoverageArea(models.Model):
    """A province a warehouse delivers to, with its priority tier and promised days."""

    class Tier(models.IntegerChoices):
        FIRST = 1, _("Tier 1")
        SECOND = 2, _("Tier 2")
        THIRD = 3, _("Tier 3")

    warehouse = models.ForeignKey(
        Warehouse,
        verbose_name=_("warehouse"),
        on_delete=models.CASCADE,
        related_name="coverage_areas",
    )
    province = models.ForeignKey(
        "rbac.Province",
        verbose_name=_("province"),
        on_delete=models.PROTECT,
        related_name="coverage_areas",
    )
    tier = models.PositiveSmallIntegerField(_("tier"), choices=Tier.choices)
    promised_days = models.PositiveSmallIntegerField(_("promised delivery days"))

    class Meta:
        verbose_name = _("coverage area")
        verbose_name_plural = _("coverage areas")
        ordering = ["warehouse", "tier", "province"]
        constraints = [
            models.UniqueConstraint(
                fields=["warehouse", "province"], name="dispatch_coverage_unique"
            ),
            models.CheckConstraint(
                condition=Q(tier__gte=1, tier__lte=3), name="dispatch_coverage_tier_1_3"
            ),
            models.CheckConstraint(
                condition=Q(promised_days__gte=1), name="dispatch_coverage_days_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.warehouse_id}→{self.province_id} T{self.tier}"


class Carrier(TimeStampedModel):
    """A delivery company (承运商)."""

    code = models.SlugField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=100)
    tracking_url = models.CharField(
        _("tracking URL template"),
        max_length=255,
        blank=True,
        help_text=_("Use {waybill_no} where the waybill number goes."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("carrier")
        verbose_name_plural = _("carriers")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class CarrierRule(models.Model):
    """Where a carrier delivers and what it costs: the cheapest matching rule wins.

    An empty warehouse or province means "any". Cost of a shipment is the first
    item fee plus the additional item fee for every further unit.
    """

    carrier = models.ForeignKey(
        Carrier, verbose_name=_("carrier"), on_delete=models.CASCADE, related_name="rules"
    )
    warehouse = models.ForeignKey(
        Warehouse,
        verbose_name=_("warehouse"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="carrier_rules",
    )
    province = models.ForeignKey(
        "rbac.Province",
        verbose_name=_("province"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="carrier_rules",
    )
    first_item_fee_amount = MoneyField(_("first item fee"))
    additional_item_fee_amount = MoneyField(_("additional item fee"))
    priority = models.PositiveSmallIntegerField(
        _("priority"), default=100, help_text=_("Lower wins between rules of equal cost.")
    )

    class Meta:
        verbose_name = _("carrier rule")
        verbose_name_plural = _("carrier rules")
        ordering = ["carrier", "priority", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(first_item_fee_amount__gte=0, additional_item_fee_amount__gte=0),
                name="dispatch_carrier_rule_fees_non_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.carrier_id}: {self.warehouse_id or '*'}→{self.province_id or '*'}"

    def cost_for(self, units: int):
        return self.first_item_fee_amount + self.additional_item_fee_amount * max(units - 1, 0)
