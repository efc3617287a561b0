"""Dispatch centre (调度中心): warehouses, coverage, carriers, stock and its ledger,
allocations and shipments.

Stock figures change only through ``dispatch.services`` with a conditional
``UPDATE`` and one ``StockMovement`` row per change, so the ledger always sums to
the stock row (``manage.py stock_verify``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from mall.core.indexes import SearchIndex
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
        return f"{self.warehouse.name} → {self.province.name}（{self.get_tier_display()}）"


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
        where = self.warehouse.name if self.warehouse_id else "*"
        to = self.province.name if self.province_id else "*"
        return f"{self.carrier.name}：{where} → {to}"

    def cost_for(self, units: int):
        return self.first_item_fee_amount + self.additional_item_fee_amount * max(units - 1, 0)


class Stock(models.Model):
    """Stock of one SKU in one warehouse (库存). Changed only through ledger movements.

    ``reserved`` is locked for allocated orders and still physically on hand;
    ``in_transit`` is on its way in (purchase or transfer); ``safety_stock`` is
    the low-stock alert level (and, with a parameter, held back from sale).
    """

    warehouse = models.ForeignKey(
        Warehouse, verbose_name=_("warehouse"), on_delete=models.PROTECT, related_name="stocks"
    )
    sku = models.ForeignKey(
        "catalog.Sku", verbose_name=_("SKU"), on_delete=models.PROTECT, related_name="stocks"
    )
    on_hand = models.IntegerField(_("on hand"), default=0)
    reserved = models.IntegerField(_("reserved"), default=0)
    in_transit = models.IntegerField(_("in transit"), default=0)
    safety_stock = models.IntegerField(_("safety stock"), default=0)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("stock")
        verbose_name_plural = _("stock")
        ordering = ["warehouse", "sku"]
        constraints = [
            models.UniqueConstraint(fields=["warehouse", "sku"], name="dispatch_stock_unique"),
            models.CheckConstraint(
                condition=Q(on_hand__gte=0), name="dispatch_stock_on_hand_gte_0"
            ),
            models.CheckConstraint(
                condition=Q(reserved__gte=0), name="dispatch_stock_reserved_gte_0"
            ),
            models.CheckConstraint(
                condition=Q(reserved__lte=F("on_hand")), name="dispatch_stock_reserved_lte_on_hand"
            ),
            models.CheckConstraint(
                condition=Q(in_transit__gte=0), name="dispatch_stock_in_transit_gte_0"
            ),
            models.CheckConstraint(
                condition=Q(safety_stock__gte=0), name="dispatch_stock_safety_gte_0"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.warehouse.name} · {self.sku.code}"

    @property
    def free(self) -> int:
        """Units on hand that no order has reserved."""
        return self.on_hand - self.reserved


class StockMovement(models.Model):
    """One change of one stock row (库存流水), with its reason, document and actor."""

    class Kind(models.TextChoices):
        PURCHASE_IN_TRANSIT = "purchase_in_transit", _("Purchase in transit")
        PURCHASE_ARRIVAL = "purchase_arrival", _("Purchase arrival")
        TRANSFER_OUT = "transfer_out", _("Transfer out")
        TRANSFER_IN = "transfer_in", _("Transfer in")
        ORDER_LOCK = "order_lock", _("Order lock")
        ORDER_RELEASE = "order_release", _("Order release")
        SHIP_OUT = "ship_out", _("Ship out")
        RETURN_IN = "return_in", _("Return in")
        STOCKTAKE_GAIN = "stocktake_gain", _("Stocktake gain")
        STOCKTAKE_LOSS = "stocktake_loss", _("Stocktake loss")
        SYNC_ADJUSTMENT = "sync_adjustment", _("Sync adjustment")
        PROMOTION_HOLD = "promotion_hold", _("Promotion hold")
        PROMOTION_RELEASE = "promotion_release", _("Promotion release")

    class ReferenceType(models.TextChoices):
        """What kind of document caused the movement (``reference_no`` names it)."""

        PURCHASE_INBOUND = "purchase_inbound", _("Purchase inbound")
        TRANSFER = "transfer", _("Transfer")
        STOCKTAKE = "stocktake", _("Stocktake")
        RETURN_RECEIPT = "return_receipt", _("Return receipt")
        STOCK_SNAPSHOT = "stock_snapshot", _("Stock snapshot")
        ORDER = "order", _("Order")
        SHIPMENT = "shipment", _("Shipment")
        FLASH_SESSION = "flash_session", _("Flash-sale session")

    stock = models.ForeignKey(
        Stock, verbose_name=_("stock"), on_delete=models.PROTECT, related_name="movements"
    )
    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices)
    on_hand_delta = models.IntegerField(_("on hand change"), default=0)
    reserved_delta = models.IntegerField(_("reserved change"), default=0)
    in_transit_delta = models.IntegerField(_("in transit change"), default=0)
    reference_type = models.CharField(
        _("document type"), max_length=40, choices=ReferenceType.choices
    )
    reference_no = models.CharField(_("document number"), max_length=64, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("stock movement")
        verbose_name_plural = _("stock movements")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["stock", "id"], name="dispatch_movement_stock_id"),
            # Admin changelist at a million rows: ^reference_no search, filter choices.
            SearchIndex(field="reference_no", name="dispatch_movement_ref_search"),
            models.Index(fields=["reference_type"], name="dispatch_movement_ref_type"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.reference_no}"


class Allocation(TimeStampedModel):
    """The stock locked for one order, split into shipments (one per warehouse)."""

    class Status(models.TextChoices):
        ALLOCATED = "allocated", _("Allocated")
        SHIPPED = "shipped", _("Shipped")
        RELEASED = "released", _("Released")

    order_no = models.CharField(_("order number"), max_length=40, db_index=True)
    province = models.ForeignKey(
        "rbac.Province", verbose_name=_("province"), on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.ALLOCATED
    )
    promised_delivery_date = models.DateField(_("promised delivery date"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    released_reason = models.CharField(_("release reason"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("allocation")
        verbose_name_plural = _("allocations")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["order_no"],
                condition=~Q(status="released"),
                name="dispatch_allocation_one_live_per_order",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.order_no}（{self.get_status_display()}）"


class Shipment(TimeStampedModel):
    """What one warehouse ships for one order (发货单); a supplier order for suppliers."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting to ship")
        SHIPPED = "shipped", _("Shipped")
        DELIVERED = "delivered", _("Delivered")
        CANCELLED = "cancelled", _("Cancelled")

    shipment_no = models.CharField(_("shipment number"), max_length=40, unique=True)
    allocation = models.ForeignKey(
        Allocation, verbose_name=_("allocation"), on_delete=models.PROTECT, related_name="shipments"
    )
    order_no = models.CharField(_("order number"), max_length=40, db_index=True)
    warehouse = models.ForeignKey(
        Warehouse, verbose_name=_("warehouse"), on_delete=models.PROTECT, related_name="shipments"
    )
    carrier = models.ForeignKey(
        Carrier,
        verbose_name=_("carrier"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="shipments",
    )
    is_supplier_order = models.BooleanField(_("supplier order"), default=False)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.PENDING
    )
    promised_days = models.PositiveSmallIntegerField(_("promised delivery days"))
    shipping_fee_amount = MoneyField(_("estimated shipping cost"), default=0)
    waybill_no = models.CharField(_("waybill number"), max_length=64, blank=True)
    shipped_at = models.DateTimeField(_("shipped at"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    last_event_at = models.DateTimeField(_("last tracking event at"), null=True, blank=True)
    is_stale = models.BooleanField(_("logistics silent"), default=False, db_index=True)

    class Meta:
        verbose_name = _("shipment")
        verbose_name_plural = _("shipments")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["status", "last_event_at"], name="dispatch_ship_status_evt")
        ]

    def __str__(self) -> str:
        return self.shipment_no


class ShipmentLine(models.Model):
    shipment = models.ForeignKey(
        Shipment, verbose_name=_("shipment"), on_delete=models.CASCADE, related_name="lines"
    )
    stock = models.ForeignKey(
        Stock, verbose_name=_("stock"), on_delete=models.PROTECT, related_name="shipment_lines"
    )
    sku = models.ForeignKey(
        "catalog.Sku", verbose_name=_("SKU"), on_delete=models.PROTECT, related_name="+"
    )
    quantity = models.PositiveIntegerField(_("quantity"))

    class Meta:
        verbose_name = _("shipment line")
        verbose_name_plural = _("shipment lines")
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gte=1), name="dispatch_shipline_qty_gte_1")
        ]

    def __str__(self) -> str:
        return f"{self.sku.code} × {self.quantity}"


class TrackingEvent(models.Model):
    """A logistics tracking event reported for a shipment."""

    shipment = models.ForeignKey(
        Shipment, verbose_name=_("shipment"), on_delete=models.CASCADE, related_name="events"
    )
    occurred_at = models.DateTimeField(_("occurred at"))
    location = models.CharField(_("location"), max_length=100, blank=True)
    description = models.CharField(_("description"), max_length=255)
    is_delivered = models.BooleanField(_("delivered"), default=False)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("tracking event")
        verbose_name_plural = _("tracking events")
        ordering = ["shipment", "occurred_at", "id"]

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d %H:%M} {self.description}"


class StockDocument(TimeStampedModel):
    """Common fields of the warehouse documents (purchase, transfer, stocktake, …)."""

    document_no = models.CharField(_("document number"), max_length=40, unique=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.document_no


class DocumentLine(models.Model):
    sku = models.ForeignKey(
        "catalog.Sku", verbose_name=_("SKU"), on_delete=models.PROTECT, related_name="+"
    )
    quantity = models.PositiveIntegerField(_("quantity"))

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.sku.code} × {self.quantity}"


class PurchaseInbound(StockDocument):
    """A purchase inbound (采购入库单): in transit on creation, on hand on arrival."""

    class Status(models.TextChoices):
        IN_TRANSIT = "in_transit", _("In transit")
        ARRIVED = "arrived", _("Arrived")

    warehouse = models.ForeignKey(
        Warehouse, verbose_name=_("warehouse"), on_delete=models.PROTECT, related_name="+"
    )
    supplier_name = models.CharField(_("supplier"), max_length=100, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.IN_TRANSIT
    )
    arrived_at = models.DateTimeField(_("arrived at"), null=True, blank=True)

    class Meta:
        verbose_name = _("purchase inbound")
        verbose_name_plural = _("purchase inbounds")
        ordering = ["-id"]


class PurchaseInboundLine(DocumentLine):
    document = models.ForeignKey(
        PurchaseInbound, verbose_name=_("document"), on_delete=models.CASCADE, related_name="lines"
    )

    class Meta:
        verbose_name = _("purchase inbound line")
        verbose_name_plural = _("purchase inbound lines")
        ordering = ["id"]


class Transfer(StockDocument):
    """A transfer between warehouses (调拨): out document, then in document."""

    class Status(models.TextChoices):
        SHIPPED = "shipped", _("Shipped out")
        RECEIVED = "received", _("Received")

    from_warehouse = models.ForeignKey(
        Warehouse, verbose_name=_("from warehouse"), on_delete=models.PROTECT, related_name="+"
    )
    to_warehouse = models.ForeignKey(
        Warehouse, verbose_name=_("to warehouse"), on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.SHIPPED
    )
    received_at = models.DateTimeField(_("received at"), null=True, blank=True)

    class Meta:
        verbose_name = _("transfer")
        verbose_name_plural = _("transfers")
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(from_warehouse=F("to_warehouse")),
                name="dispatch_transfer_distinct_warehouses",
            )
        ]


class TransferLine(DocumentLine):
    document = models.ForeignKey(
        Transfer, verbose_name=_("document"), on_delete=models.CASCADE, related_name="lines"
    )

    class Meta:
        verbose_name = _("transfer line")
        verbose_name_plural = _("transfer lines")
        ordering = ["id"]


class Stocktake(StockDocument):
    """A stocktake (盘点): counted quantities become gain/loss movements."""

    warehouse = models.ForeignKey(
        Warehouse, verbose_name=_("warehouse"), on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("stocktake")
        verbose_name_plural = _("stocktakes")
        ordering = ["-id"]


class StocktakeLine(models.Model):
    document = models.ForeignKey(
        Stocktake, verbose_name=_("document"), on_delete=models.CASCADE, related_name="lines"
    )
    sku = models.ForeignKey(
        "catalog.Sku", verbose_name=_("SKU"), on_delete=models.PROTECT, related_name="+"
    )
    counted = models.PositiveIntegerField(_("counted"))
    book_quantity = models.IntegerField(_("book quantity"))
    difference = models.IntegerField(_("difference"))

    class Meta:
        verbose_name = _("stocktake line")
        verbose_name_plural = _("stocktake lines")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.sku.code}: {self.book_quantity} → {self.counted}"


class ReturnReceipt(StockDocument):
    """Returned goods received back into a warehouse (退货入库)."""

    warehouse = models.ForeignKey(
        Warehouse, verbose_name=_("warehouse"), on_delete=models.PROTECT, related_name="+"
    )
    order_no = models.CharField(_("order number"), max_length=40, db_index=True)

    class Meta:
        verbose_name = _("return receipt")
        verbose_name_plural = _("return receipts")
        ordering = ["-id"]


class ReturnReceiptLine(DocumentLine):
    document = models.ForeignKey(
        ReturnReceipt, verbose_name=_("document"), on_delete=models.CASCADE, related_name="lines"
    )

    class Meta:
        verbose_name = _("return receipt line")
        verbose_name_plural = _("return receipt lines")
        ordering = ["id"]


class StockSnapshot(StockDocument):
    """Stock figures a warehouse reported (API or file), reconciled by the hourly sync."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for reconciliation")
        RECONCILED = "reconciled", _("Reconciled")
        NEEDS_REVIEW = "needs_review", _("Needs review")

    warehouse = models.ForeignKey(
        Warehouse, verbose_name=_("warehouse"), on_delete=models.PROTECT, related_name="+"
    )
    taken_at = models.DateTimeField(_("taken at"))
    source = models.CharField(_("source"), max_length=20, default="api")
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    reconciled_at = models.DateTimeField(_("reconciled at"), null=True, blank=True)

    class Meta:
        verbose_name = _("stock snapshot")
        verbose_name_plural = _("stock snapshots")
        ordering = ["-id"]


class StockSnapshotLine(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        MATCHED = "matched", _("Matched")
        ADJUSTED = "adjusted", _("Adjusted")
        NEEDS_REVIEW = "needs_review", _("Needs review")
        ACCEPTED = "accepted", _("Accepted after review")
        REJECTED = "rejected", _("Rejected after review")

    document = models.ForeignKey(
        StockSnapshot, verbose_name=_("document"), on_delete=models.CASCADE, related_name="lines"
    )
    sku = models.ForeignKey(
        "catalog.Sku", verbose_name=_("SKU"), on_delete=models.PROTECT, related_name="+"
    )
    reported_on_hand = models.PositiveIntegerField(_("reported on hand"))
    book_on_hand = models.IntegerField(_("book on hand"), null=True, blank=True)
    difference = models.IntegerField(_("difference"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.PENDING
    )

    class Meta:
        verbose_name = _("stock snapshot line")
        verbose_name_plural = _("stock snapshot lines")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["document", "sku"], name="dispatch_snapshot_line_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.sku.code}: {self.reported_on_hand}"
