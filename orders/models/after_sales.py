"""Part of ``orders.models``: after-sales cases, their lines, images and timeline."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from mall.core.indexes import SearchIndex
from mall.core.models import TimeStampedModel
from mall.core.money import MoneyField

from .channels import (
    SalesChannel,
)
from .orders import Order, OrderEvent, OrderLine

# --- after-sales -----------------------------------------------------------------------


class AfterSale(TimeStampedModel):
    """An after-sales case (售后) on some lines of one order.

    ``requested → approved → (returning → received) → refunding → completed``;
    ``rejected``; ``disputed`` (the member disagrees: a plan within 48 h);
    ``cancelled`` by the member. Refunds themselves are executed by payments; until
    then ``refunding`` is the refund request record.
    """

    class Kind(models.TextChoices):
        REFUND_ONLY = "refund_only", _("refund only")
        RETURN_REFUND = "return_refund", _("return and refund")
        EXCHANGE = "exchange", _("exchange")

    class Status(models.TextChoices):
        REQUESTED = "requested", _("waiting for review")
        APPROVED = "approved", pgettext_lazy("after-sale", "approved")
        RETURNING = "returning", _("goods on their way back")
        RECEIVED = "received", _("goods received")
        REFUNDING = "refunding", _("refund being executed")
        RESHIPPING = "reshipping", _("replacement being shipped")
        COMPLETED = "completed", pgettext_lazy("after-sale", "completed")
        REJECTED = "rejected", pgettext_lazy("after-sale", "rejected")
        DISPUTED = "disputed", _("disputed")
        CANCELLED = "cancelled", pgettext_lazy("after-sale", "cancelled")

    class Reason(models.TextChoices):
        NO_REASON = "no_reason", _("7-day no-reason return")
        QUALITY = "quality", _("quality problem")
        WRONG_ITEM = "wrong_item", _("wrong or missing item")
        DAMAGED = "damaged", _("damaged in transit")
        NOT_RECEIVED = "not_received", _("not received")
        NOT_AS_DESCRIBED = "not_as_described", _("not as described")
        CANCELLED_ORDER = "cancelled_order", _("order cancelled")
        OTHER = "other", _("other")

    case_no = models.CharField(_("after-sales number"), max_length=24, unique=True)
    order = models.ForeignKey(
        Order, verbose_name=_("order"), on_delete=models.PROTECT, related_name="after_sales"
    )
    member = models.ForeignKey(
        "members.Member",
        verbose_name=_("member"),
        on_delete=models.PROTECT,
        related_name="after_sales",
    )
    region = models.ForeignKey(
        "rbac.SalesRegion",
        verbose_name=_("sales region"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    channel = models.ForeignKey(
        SalesChannel, verbose_name=_("sales channel"), on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("type"), max_length=20, choices=Kind.choices)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.REQUESTED
    )
    reason = models.CharField(_("reason"), max_length=20, choices=Reason.choices)
    description = models.CharField(_("description"), max_length=500, blank=True)
    requested_amount = MoneyField(_("requested amount"), default=0)
    approved_amount = MoneyField(_("approved amount"), default=0)
    refunded_amount = MoneyField(_("refunded amount"), default=0)
    handler = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("handler"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decision_reason = models.CharField(_("decision reason"), max_length=300, blank=True)
    dispute_plan = models.CharField(_("dispute plan"), max_length=500, blank=True)
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    received_at = models.DateTimeField(_("goods received at"), null=True, blank=True)
    refund_submitted_at = models.DateTimeField(
        _("refund sent to the payment channel at"), null=True, blank=True
    )
    refunded_at = models.DateTimeField(_("refunded at"), null=True, blank=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    return_waybill_no = models.CharField(_("return waybill number"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("after-sales case")
        verbose_name_plural = _("after-sales cases")
        ordering = ["-id"]
        indexes = [
            SearchIndex(field="case_no", name="orders_aftersale_no_upper"),
            models.Index(fields=["region", "status", "-id"], name="orders_aftersale_reg_status"),
            models.Index(fields=["status", "-id"], name="orders_aftersale_status_id"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(requested_amount__gte=0)
                & Q(approved_amount__gte=0)
                & Q(refunded_amount__gte=0)
                & Q(refunded_amount__lte=F("approved_amount")),
                name="orders_aftersale_amounts",
            )
        ]
        permissions = [
            ("review_aftersale", _("Can review after-sales requests")),
            ("receive_aftersale", _("Can confirm returned goods")),
            ("refund_aftersale", _("Can execute after-sales refunds")),
        ]

    def __str__(self) -> str:
        return self.case_no


class AfterSaleLine(models.Model):
    """How many units of one order line an after-sales case covers."""

    after_sale = models.ForeignKey(
        AfterSale,
        verbose_name=_("after-sales case"),
        on_delete=models.CASCADE,
        related_name="lines",
    )
    order_line = models.ForeignKey(
        OrderLine,
        verbose_name=_("order line"),
        on_delete=models.PROTECT,
        related_name="after_sale_lines",
    )
    quantity = models.PositiveIntegerField(_("quantity"))
    amount = MoneyField(_("amount"), default=0)

    class Meta:
        verbose_name = _("after-sales line")
        verbose_name_plural = _("after-sales lines")
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="orders_aftersale_line_qty"),
            models.UniqueConstraint(
                fields=["after_sale", "order_line"], name="orders_aftersale_line_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.after_sale_id} {self.order_line_id} × {self.quantity}"


class AfterSaleImage(models.Model):
    """An evidence picture of an after-sales case."""

    after_sale = models.ForeignKey(
        AfterSale,
        verbose_name=_("after-sales case"),
        on_delete=models.CASCADE,
        related_name="images",
    )
    image = models.FileField(_("image"), upload_to="orders/after-sales/%Y/%m/")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("evidence image")
        verbose_name_plural = _("evidence images")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.image.name.rsplit("/", 1)[-1]


class AfterSaleEvent(models.Model):
    """One step of an after-sales case's timeline."""

    after_sale = models.ForeignKey(
        AfterSale,
        verbose_name=_("after-sales case"),
        on_delete=models.CASCADE,
        related_name="events",
    )
    type = models.CharField(_("event"), max_length=40)
    from_status = models.CharField(_("from status"), max_length=20, blank=True)
    to_status = models.CharField(_("to status"), max_length=20, blank=True)
    actor_kind = models.CharField(
        _("actor kind"), max_length=10, choices=OrderEvent.ActorKind.choices
    )
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
        verbose_name = _("after-sales event")
        verbose_name_plural = _("after-sales timeline")
        ordering = ["after_sale_id", "id"]

    def __str__(self) -> str:
        return f"{self.after_sale_id} {self.type}"
