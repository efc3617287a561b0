"""Part of ``orders.models``: product reviews and their images."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from mall.core.models import TimeStampedModel

from .orders import Order, OrderLine

# --- reviews ---------------------------------------------------------------------------


class Review(TimeStampedModel):
    """A member's review (评价) of a received order line; shown at once."""

    class Status(models.TextChoices):
        SHOWN = "shown", _("shown")
        HIDDEN = "hidden", _("hidden")
        DELETED = "deleted", pgettext_lazy("review", "deleted")

    order = models.ForeignKey(
        Order, verbose_name=_("order"), on_delete=models.PROTECT, related_name="reviews"
    )
    line = models.OneToOneField(
        OrderLine, verbose_name=_("order line"), on_delete=models.PROTECT, related_name="review"
    )
    member = models.ForeignKey(
        "members.Member", verbose_name=_("member"), on_delete=models.PROTECT, related_name="reviews"
    )
    product = models.ForeignKey(
        "catalog.Product",
        verbose_name=_("product"),
        on_delete=models.PROTECT,
        related_name="reviews",
    )
    region = models.ForeignKey(
        "rbac.SalesRegion",
        verbose_name=_("sales region"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    rating = models.PositiveSmallIntegerField(_("stars"))
    text = models.CharField(_("review text"), max_length=1000, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.SHOWN
    )
    hidden_reason = models.CharField(_("reason for hiding"), max_length=200, blank=True)
    reply_text = models.CharField(_("reply"), max_length=1000, blank=True)
    replied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("replied by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    replied_at = models.DateTimeField(_("replied at"), null=True, blank=True)
    has_photos = models.BooleanField(_("with photos"), default=False)

    class Meta:
        verbose_name = _("review")
        verbose_name_plural = _("reviews")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["product", "status", "-id"], name="orders_review_product"),
            models.Index(fields=["region", "rating", "-id"], name="orders_review_region_rating"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(rating__gte=1) & Q(rating__lte=5), name="orders_review_rating_1_5"
            )
        ]
        permissions = [
            ("reply_review", _("Can reply to reviews")),
            ("hide_review", _("Can hide violating reviews")),
        ]

    def __str__(self) -> str:
        return f"review {self.pk}"


class ReviewImage(models.Model):
    """A picture attached to a review."""

    review = models.ForeignKey(
        Review, verbose_name=_("review"), on_delete=models.CASCADE, related_name="images"
    )
    image = models.FileField(_("image"), upload_to="orders/reviews/%Y/%m/")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("review image")
        verbose_name_plural = _("review images")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.image.name.rsplit("/", 1)[-1]
