"""Part of ``orders.models``: orders, their lines, timeline, modification requests and
virtual goods codes."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from mall.core.indexes import SearchIndex
from mall.core.models import TimeStampedModel
from mall.core.money import MoneyField
from members.models import _encrypted_property

from .channels import (
    SalesChannel,
)

# --- orders ----------------------------------------------------------------------------


class Order(models.Model):
    """One order of one member through one sales channel.

    Life (DESIGN.md §5): ``pending_payment → paid → pending_review → approved →
    allocated (warehouse approved) → shipped → delivered → completed``, and
    ``cancelled`` / ``closed``. ``is_frozen`` (set by risk) blocks shipping and
    refunds until released. ``region`` (from the delivery province) drives data scope.
    """

    class Status(models.TextChoices):
        PENDING_PAYMENT = "pending_payment", _("pending payment")
        # presale: the deposit is paid, the final payment is due in its window
        DEPOSIT_PAID = "deposit_paid", _("deposit paid")
        PAID = "paid", pgettext_lazy("order", "paid")
        PENDING_REVIEW = "pending_review", pgettext_lazy("order", "pending review")
        APPROVED = "approved", pgettext_lazy("order", "approved")
        ALLOCATED = "allocated", _("warehouse approved")
        SHIPPED = "shipped", pgettext_lazy("order", "shipped")
        DELIVERED = "delivered", pgettext_lazy("order", "delivered")
        COMPLETED = "completed", pgettext_lazy("order", "completed")
        CANCELLED = "cancelled", pgettext_lazy("order", "cancelled")
        CLOSED = "closed", pgettext_lazy("order", "closed")

    order_no = models.CharField(_("order number"), max_length=24, unique=True)
    member = models.ForeignKey(
        "members.Member", verbose_name=_("member"), on_delete=models.PROTECT, related_name="orders"
    )
    channel = models.ForeignKey(
        SalesChannel,
        verbose_name=_("sales channel"),
        on_delete=models.PROTECT,
        related_name="orders",
    )
    region = models.ForeignKey(
        "rbac.SalesRegion",
        verbose_name=_("sales region"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    province = models.ForeignKey(
        "rbac.Province", verbose_name=_("province"), on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=Status.choices,
        default=Status.PENDING_PAYMENT,
    )
    is_virtual = models.BooleanField(_("virtual goods"), default=False)
    is_frozen = models.BooleanField(_("frozen"), default=False)
    frozen_reason = models.CharField(_("freeze reason"), max_length=200, blank=True)
    is_review_held = models.BooleanField(_("held at review"), default=False)
    review_hold_reason = models.CharField(_("review problem"), max_length=300, blank=True)
    needs_second_review = models.BooleanField(_("needs a second reviewer"), default=False)

    # Delivery address: a snapshot at placement (encrypted like members' addresses).
    recipient_encrypted = models.TextField(_("recipient (encrypted)"), editable=False)
    phone_encrypted = models.TextField(_("phone (encrypted)"), editable=False)
    city = models.CharField(_("city"), max_length=50)
    district = models.CharField(_("district"), max_length=50, blank=True)
    detail_encrypted = models.TextField(_("detail (encrypted)"), editable=False)

    # Money (DESIGN.md §4): parts add up — payable = goods − level − promotion − coupon
    # − points + shipping − shipping discount; every line carries its split share.
    goods_amount = MoneyField(_("goods amount"), default=0)
    level_discount_amount = MoneyField(_("member level discount"), default=0)
    promotion_discount_amount = MoneyField(_("campaign discount"), default=0)
    coupon_discount_amount = MoneyField(_("coupon discount"), default=0)
    points_deduction_amount = MoneyField(_("points deduction"), default=0)
    shipping_amount = MoneyField(_("shipping fee"), default=0)
    shipping_discount_amount = MoneyField(_("shipping discount"), default=0)
    total_amount = MoneyField(_("payable amount"), default=0)
    paid_amount = MoneyField(_("paid amount"), default=0)
    refunded_amount = MoneyField(_("refunded amount"), default=0)
    points_used = models.PositiveIntegerField(_("points used"), default=0)
    coupon = models.ForeignKey(
        "members.Coupon",
        verbose_name=_("coupon"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    pricing = models.JSONField(_("price breakdown"), default=dict, blank=True)
    # The payment that paid the order (until the payments app owns transactions,
    # issue 13: the sandbox channel's transaction number).
    payment_channel = models.CharField(_("payment channel"), max_length=20, blank=True)
    payment_no = models.CharField(_("payment number"), max_length=40, blank=True, db_index=True)
    promised_delivery_date = models.DateField(_("promised delivery date"), null=True, blank=True)
    buyer_note = models.CharField(_("buyer note"), max_length=200, blank=True)

    created_at = models.DateTimeField(_("placed at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    expires_at = models.DateTimeField(_("pay before"), null=True, blank=True)
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reviewer"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    first_reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("first reviewer"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    allocated_at = models.DateTimeField(_("warehouse approved at"), null=True, blank=True)
    shipped_at = models.DateTimeField(_("shipped at"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    cancel_reason = models.CharField(_("cancellation reason"), max_length=200, blank=True)
    is_brushed = models.BooleanField(_("brushed order"), default=False)
    # Where the order was placed from (risk control's rules and daily scan): the client
    # IP and X-Device-Id of the placement request, and the lookup hash of the normalised
    # delivery address (members.crypto.address_hash) — never the address itself.
    client_ip = models.GenericIPAddressField(_("client IP"), null=True, blank=True)
    device_id = models.CharField(_("device"), max_length=128, blank=True, db_default="")
    address_hash = models.CharField(
        _("address lookup hash"), max_length=64, blank=True, db_default="", editable=False
    )

    # Promotions (docs/PROMOTIONS.md): the flash-sale session the order was placed in.
    flash_session = models.ForeignKey(
        "orders.FlashSession",
        verbose_name=_("flash-sale session"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="orders",
    )
    # Presale (预售): the deposit is paid first (its own transaction), the rest
    # (total − deposit) in the final-payment window; shipping from the ship date.
    # database defaults too: the bulk generator (bench/orders_generate.py) COPYs rows
    is_presale = models.BooleanField(_("presale"), default=False, db_default=False)
    deposit_amount = MoneyField(_("deposit"), default=0, db_default=0)
    deposit_payment_no = models.CharField(
        _("deposit payment number"), max_length=40, blank=True, db_default=""
    )
    deposit_paid_at = models.DateTimeField(_("deposit paid at"), null=True, blank=True)
    final_payment_starts_at = models.DateTimeField(_("final payment from"), null=True, blank=True)
    final_payment_ends_at = models.DateTimeField(_("final payment until"), null=True, blank=True)
    presale_ship_date = models.DateField(_("presale ship date"), null=True, blank=True)

    recipient = _encrypted_property("recipient_encrypted", "order.recipient")
    phone = _encrypted_property("phone_encrypted", "order.phone")
    detail = _encrypted_property("detail_encrypted", "order.detail")

    ENCRYPTED_COLUMNS = {
        "recipient_encrypted": "order.recipient",
        "phone_encrypted": "order.phone",
        "detail_encrypted": "order.detail",
    }

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        ordering = ["-id"]
        indexes = [
            SearchIndex(field="order_no", name="orders_order_no_upper"),
            # The staff list (newest first, scoped by region) filtered by status, channel
            # or placing time: the filters are read from the index itself, so skipping
            # the rows that do not match needs no table access (bench/orders_million.py).
            models.Index(
                fields=["region", "-id", "status", "channel", "created_at"],
                name="orders_order_region_cover",
            ),
            models.Index(
                fields=["-id", "status", "channel", "created_at"], name="orders_order_id_cover"
            ),
            # The 已冻结 / held-at-review tabs: a few rows among millions.
            models.Index(fields=["-id"], condition=Q(is_frozen=True), name="orders_order_frozen"),
            models.Index(
                fields=["-id"], condition=Q(is_review_held=True), name="orders_order_review_held"
            ),
            models.Index(fields=["status", "-id"], name="orders_order_status_id"),
            models.Index(fields=["region", "status", "-id"], name="orders_order_reg_status_id"),
            models.Index(fields=["channel", "-id"], name="orders_order_channel_id"),
            models.Index(fields=["member", "-id"], name="orders_order_member_id"),
            models.Index(fields=["created_at", "id"], name="orders_order_created_id"),
            models.Index(
                fields=["expires_at"],
                condition=Q(status="pending_payment"),
                name="orders_order_unpaid_due",
            ),
            models.Index(
                fields=["shipped_at"],
                condition=Q(status="shipped"),
                name="orders_order_shipped_due",
            ),
            # risk's flash-hoarding rule: unpaid flash orders per device
            models.Index(
                fields=["device_id"],
                condition=Q(status="pending_payment", flash_session__isnull=False),
                name="orders_order_unpaid_flash_dev",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(goods_amount__gte=0)
                & Q(level_discount_amount__gte=0)
                & Q(promotion_discount_amount__gte=0)
                & Q(coupon_discount_amount__gte=0)
                & Q(points_deduction_amount__gte=0)
                & Q(shipping_amount__gte=0)
                & Q(shipping_discount_amount__gte=0)
                & Q(total_amount__gte=0)
                & Q(paid_amount__gte=0)
                & Q(refunded_amount__gte=0),
                name="orders_order_amounts_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(refunded_amount__lte=F("paid_amount")),
                name="orders_order_refund_within_paid",
            ),
            models.CheckConstraint(
                condition=Q(deposit_amount__gte=0) & Q(deposit_amount__lte=F("total_amount")),
                name="orders_order_deposit_within_total",
            ),
        ]
        permissions = [
            ("review_order", _("Can review orders")),
            ("approve_order", _("Can approve orders (second reviewer)")),
            ("warehouse_approve_order", _("Can approve orders for the warehouse")),
            ("ship_order", _("Can ship orders")),
            ("cancel_order", _("Can cancel orders")),
            ("refund_order", _("Can execute refunds")),
            ("modify_order", _("Can decide order modification requests")),
            ("export_order", _("Can export orders")),
            ("view_order_pii", _("Can see recipients of orders unmasked")),
            ("freeze_order", _("Can freeze and release orders")),
            ("close_order", _("Can close abusive orders")),
            ("reveal_virtual_code", _("Can reveal and copy virtual goods codes")),
        ]

    def __str__(self) -> str:
        return self.order_no


class OrderLine(models.Model):
    """One SKU of an order: a snapshot of product, SKU, spec and prices.

    ``line_amount`` = unit price × quantity; the discounts are this line's split
    share of the order's (``mall.core.money.split_amount``), so the order's parts
    are the sums of its lines' parts, to the cent.
    """

    order = models.ForeignKey(
        Order, verbose_name=_("order"), on_delete=models.CASCADE, related_name="lines"
    )
    sku = models.ForeignKey(
        "catalog.Sku", verbose_name=_("SKU"), on_delete=models.PROTECT, related_name="+"
    )
    sku_code = models.CharField(_("SKU code"), max_length=40)
    product_id_snapshot = models.PositiveIntegerField(_("product id"))
    product_title = models.CharField(_("product"), max_length=120)
    category_id_snapshot = models.PositiveIntegerField(_("category id"))
    spec = models.JSONField(_("specification"), default=dict, blank=True)
    is_virtual = models.BooleanField(_("virtual goods"), default=False)
    allows_no_reason_return = models.BooleanField(_("7-day no-reason return"), default=True)
    weight_grams = models.PositiveIntegerField(_("weight (g)"), default=0)
    list_price_amount = MoneyField(_("list price"))
    unit_price_amount = MoneyField(_("unit price"))
    quantity = models.PositiveIntegerField(_("quantity"))
    line_amount = MoneyField(_("line amount"))
    level_discount_amount = MoneyField(_("member level discount"), default=0)
    promotion_discount_amount = MoneyField(_("campaign discount"), default=0)
    coupon_discount_amount = MoneyField(_("coupon discount"), default=0)
    points_deduction_amount = MoneyField(_("points deduction"), default=0)
    payable_amount = MoneyField(_("payable amount"))
    refunded_quantity = models.PositiveIntegerField(_("refunded quantity"), default=0)
    refunded_amount = MoneyField(_("refunded amount"), default=0)
    # Promotions: the flash-sale item that priced it, the campaign that discounted it
    # (or gave it: a gift line is priced 0 and takes stock like any line).
    flash_item = models.ForeignKey(
        "orders.FlashSessionItem",
        verbose_name=_("flash-sale item"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    campaign = models.ForeignKey(
        "orders.Campaign",
        verbose_name=_("campaign"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    is_gift = models.BooleanField(_("gift"), default=False, db_default=False)

    class Meta:
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")
        ordering = ["order_id", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity__gt=0), name="orders_line_quantity_positive"
            ),
            models.CheckConstraint(
                condition=Q(refunded_quantity__lte=F("quantity")),
                name="orders_line_refund_quantity_within",
            ),
            models.CheckConstraint(
                condition=Q(refunded_amount__lte=F("payable_amount")),
                name="orders_line_refund_amount_within",
            ),
            models.CheckConstraint(
                condition=Q(payable_amount__gte=0)
                & Q(line_amount__gte=0)
                & Q(unit_price_amount__gte=0)
                & Q(refunded_amount__gte=0),
                name="orders_line_amounts_not_negative",
            ),
            models.UniqueConstraint(fields=["order", "sku"], name="orders_line_sku_once"),
        ]

    def __str__(self) -> str:
        return f"{self.order_id} {self.sku_code} × {self.quantity}"


class OrderEvent(models.Model):
    """One step of an order's timeline: who did what, from which status to which."""

    class ActorKind(models.TextChoices):
        STAFF = "staff", _("staff")
        MEMBER = "member", _("member")
        SYSTEM = "system", _("system")

    order = models.ForeignKey(
        Order, verbose_name=_("order"), on_delete=models.CASCADE, related_name="events"
    )
    type = models.CharField(_("event"), max_length=40)
    from_status = models.CharField(_("from status"), max_length=20, blank=True)
    to_status = models.CharField(_("to status"), max_length=20, blank=True)
    actor_kind = models.CharField(_("actor kind"), max_length=10, choices=ActorKind.choices)
    actor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("staff"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    actor_label = models.CharField(_("actor"), max_length=80)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    data = models.JSONField(_("details"), default=dict, blank=True)
    at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        verbose_name = _("order event")
        verbose_name_plural = _("order timeline")
        ordering = ["order_id", "id"]

    def __str__(self) -> str:
        return f"{self.order_id} {self.type}"


class ModificationRequest(TimeStampedModel):
    """A buyer's or service agent's request to change an order (address, …)."""

    class Kind(models.TextChoices):
        ADDRESS = "address", _("change address")
        NOTE = "note", _("change note")

    class Status(models.TextChoices):
        PENDING = "pending", pgettext_lazy("request", "pending")
        APPLIED = "applied", _("applied")
        REFUSED = "refused", _("refused")

    order = models.ForeignKey(
        Order,
        verbose_name=_("order"),
        on_delete=models.CASCADE,
        related_name="modification_requests",
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.PENDING
    )
    # New values; personal data encrypted (the same contexts as the order's columns).
    payload_encrypted = models.TextField(
        _("requested change (encrypted)"), editable=False, blank=True
    )
    province = models.ForeignKey(
        "rbac.Province",
        verbose_name=_("province"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    requested_by_label = models.CharField(_("requested by"), max_length=80)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_reason = models.CharField(_("reason"), max_length=200, blank=True)

    ENCRYPTED_COLUMNS = {"payload_encrypted": "order.modification"}

    class Meta:
        verbose_name = _("modification request")
        verbose_name_plural = _("modification requests")
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.order_id} {self.kind}"


class VirtualCode(TimeStampedModel):
    """A card code or redemption link issued for a virtual order line (stored encrypted).

    Statuses of seed 003: 待兑换 (issued) → 已兑换 (redeemed) → 待核销 (pending
    write-off) → 已核销 (written off); ``voided`` when the line is refunded.
    """

    class Status(models.TextChoices):
        ISSUED = "issued", _("to redeem")
        REDEEMED = "redeemed", _("redeemed")
        PENDING_WRITE_OFF = "pending_write_off", _("to write off")
        WRITTEN_OFF = "written_off", _("written off")
        VOIDED = "voided", _("voided")

    line = models.ForeignKey(
        OrderLine,
        verbose_name=_("order line"),
        on_delete=models.PROTECT,
        related_name="virtual_codes",
    )
    order = models.ForeignKey(
        Order, verbose_name=_("order"), on_delete=models.PROTECT, related_name="virtual_codes"
    )
    code_encrypted = models.TextField(_("code (encrypted)"), editable=False)
    code_hash = models.CharField(_("code lookup hash"), max_length=64, unique=True, editable=False)
    redeem_url = models.CharField(_("redemption link"), max_length=200, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.ISSUED
    )
    redeemed_at = models.DateTimeField(_("redeemed at"), null=True, blank=True)
    written_off_at = models.DateTimeField(_("written off at"), null=True, blank=True)

    code = _encrypted_property("code_encrypted", "order.virtual_code")

    ENCRYPTED_COLUMNS = {"code_encrypted": "order.virtual_code"}

    class Meta:
        verbose_name = _("virtual goods code")
        verbose_name_plural = _("virtual goods codes")
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.order_id} code {self.pk}"
