"""Models of the catalog app: categories, products (SPU), SKUs, listing review, prices."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from mall.core.models import TimeStampedModel
from mall.core.money import MoneyField

from .validators import validate_image_file


class Category(TimeStampedModel):
    """One node of the three-level category tree (一级/二级/三级类目).

    Products hang on third-level categories only. The tree changes only through an
    approved :class:`CategoryChangeRequest`.
    """

    MAX_LEVEL = 3

    code = models.CharField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=60)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent category"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
    )
    level = models.PositiveSmallIntegerField(_("level"))
    sort_order = models.IntegerField(_("sort order"), default=0)
    icon = models.FileField(
        _("icon"),
        upload_to="catalog/categories/",
        blank=True,
        validators=[validate_image_file],
    )
    is_active = models.BooleanField(_("active"), default=True)
    allows_no_reason_return = models.BooleanField(
        _("7-day no-reason return"),
        default=True,
        help_text=_("Products of this category may be returned within 7 days without a reason"),
    )

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["level", "sort_order", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(level__gte=1) & Q(level__lte=3), name="catalog_category_level_1_3"
            ),
            models.CheckConstraint(
                condition=(Q(level=1) & Q(parent__isnull=True))
                | (Q(level__gt=1) & Q(parent__isnull=False)),
                name="catalog_category_root_has_no_parent",
            ),
        ]
        permissions = [
            ("request_category_change", _("Can request a change of the category tree")),
            ("approve_category_change", _("Can approve changes of the category tree")),
        ]

    def __str__(self) -> str:
        return self.name


class CategoryChangeRequest(TimeStampedModel):
    """A requested change of the category tree, applied only after approval."""

    class Kind(models.TextChoices):
        CREATE = "create", _("create")
        UPDATE = "update", _("rename / reorder / move")
        DEACTIVATE = "deactivate", _("deactivate")
        ACTIVATE = "activate", _("activate")

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        APPROVED = "approved", _("approved")
        REJECTED = "rejected", _("rejected")

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    category = models.ForeignKey(
        Category,
        verbose_name=_("category"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="change_requests",
    )
    payload = models.JSONField(_("requested values"), default=dict, blank=True)
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.PENDING
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.CharField(_("decision note"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("category change request")
        verbose_name_plural = _("category change requests")
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"


class Product(TimeStampedModel):
    """A product (SPU) with its listing workflow.

    ``status`` changes only through the transition helper in ``services``.
    """

    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        PENDING_REVIEW = "pending_review", _("pending review")
        REJECTED = "rejected", _("rejected")
        APPROVED = "approved", _("approved")
        ON_SHELF = "on_shelf", _("on shelf")
        OFF_SHELF = "off_shelf", _("off shelf")

    code = models.CharField(_("product code"), max_length=40, unique=True)
    title = models.CharField(_("title"), max_length=120)
    subtitle = models.CharField(_("subtitle"), max_length=200, blank=True)
    description = models.TextField(_("description"), blank=True)
    category = models.ForeignKey(
        Category, verbose_name=_("category"), on_delete=models.PROTECT, related_name="products"
    )
    brand = models.CharField(_("brand"), max_length=80, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner (ops specialist)"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="owned_products",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        on_delete=models.PROTECT,
        related_name="authored_products",
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    is_virtual = models.BooleanField(_("virtual goods"), default=False)
    allows_no_reason_return = models.BooleanField(
        _("7-day no-reason return"),
        default=True,
        help_text=_("Off for goods the law exempts (custom-made, fresh, opened digital goods …)"),
    )
    is_presale = models.BooleanField(_("presale"), default=False)
    presale_deposit_amount = MoneyField(_("presale deposit"), null=True, blank=True)
    presale_final_payment_starts_at = models.DateTimeField(
        _("final payment from"), null=True, blank=True
    )
    presale_final_payment_ends_at = models.DateTimeField(
        _("final payment until"), null=True, blank=True
    )
    presale_ship_date = models.DateField(_("presale ship date"), null=True, blank=True)
    scheduled_listing_at = models.DateTimeField(
        _("scheduled listing time"), null=True, blank=True, db_index=True
    )
    review_round = models.PositiveIntegerField(_("review round"), default=0)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("submitted by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    listed_at = models.DateTimeField(_("on shelf since"), null=True, blank=True)

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["-id"]
        indexes = [models.Index(fields=["status", "category"], name="catalog_product_status_cat")]
        constraints = [
            models.CheckConstraint(
                condition=Q(presale_deposit_amount__isnull=True) | Q(presale_deposit_amount__gte=0),
                name="catalog_product_deposit_not_negative",
            ),
        ]
        permissions = [
            ("submit_product", _("Can submit products for listing review")),
            ("review_product", _("Can approve or reject listings")),
            ("publish_product", _("Can put products on and off shelf")),
            ("import_product", _("Can import products from Excel")),
            ("export_product", _("Can export products to Excel")),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"


class ProductImage(models.Model):
    """One picture of a product; the first by ``sort_order`` is the main picture."""

    product = models.ForeignKey(
        Product, verbose_name=_("product"), on_delete=models.CASCADE, related_name="images"
    )
    image = models.FileField(
        _("image"), upload_to="catalog/products/%Y/%m/", validators=[validate_image_file]
    )
    alt_text = models.CharField(_("alternative text"), max_length=120, blank=True)
    sort_order = models.IntegerField(_("sort order"), default=0)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("product image")
        verbose_name_plural = _("product images")
        ordering = ["sort_order", "id"]

    def __str__(self) -> str:
        return self.alt_text or self.image.name.rsplit("/", 1)[-1]


class Sku(TimeStampedModel):
    """A sellable variant of a product. ``code`` is unique across the mall."""

    product = models.ForeignKey(
        Product, verbose_name=_("product"), on_delete=models.PROTECT, related_name="skus"
    )
    code = models.CharField(_("SKU code"), max_length=40, unique=True)
    spec = models.JSONField(_("specification"), default=dict, blank=True)
    cost_amount = MoneyField(_("cost price"), default=0)
    price_amount = MoneyField(_("sale price"))
    weight_grams = models.PositiveIntegerField(_("weight (g)"), default=0)
    is_available = models.BooleanField(_("available"), default=True)
    sort_order = models.IntegerField(_("sort order"), default=0)

    class Meta:
        verbose_name = _("SKU")
        verbose_name_plural = _("SKUs")
        ordering = ["product_id", "sort_order", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(price_amount__gte=0), name="catalog_sku_price_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(cost_amount__gte=0), name="catalog_sku_cost_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def spec_text(self) -> str:
        return "; ".join(f"{key}:{value}" for key, value in (self.spec or {}).items())


class SkuPriceChange(models.Model):
    """Price history: one row per change of a SKU's sale price (the first row sets it)."""

    sku = models.ForeignKey(
        Sku, verbose_name=_("SKU"), on_delete=models.CASCADE, related_name="price_changes"
    )
    old_price_amount = MoneyField(_("old price"), null=True, blank=True)
    new_price_amount = MoneyField(_("new price"))
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("changed by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    changed_at = models.DateTimeField(_("changed at"), db_index=True)
    reason = models.CharField(_("reason"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("price change")
        verbose_name_plural = _("price history")
        ordering = ["-changed_at", "-id"]
        indexes = [models.Index(fields=["sku", "changed_at"], name="catalog_price_sku_at")]

    def __str__(self) -> str:
        return f"{self.sku_id}: {self.old_price_amount} → {self.new_price_amount}"


class PromotionPrice(TimeStampedModel):
    """A time-boxed promotion price for one SKU (must beat the 30-day lowest price)."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("active")
        CANCELLED = "cancelled", _("cancelled")

    sku = models.ForeignKey(
        Sku, verbose_name=_("SKU"), on_delete=models.CASCADE, related_name="promotion_prices"
    )
    price_amount = MoneyField(_("promotion price"))
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    reference_price_amount = MoneyField(_("lowest price of the look-back window"))
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.ACTIVE
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("promotion price")
        verbose_name_plural = _("promotion prices")
        ordering = ["-starts_at", "-id"]
        indexes = [
            models.Index(fields=["sku", "status", "starts_at"], name="catalog_promo_sku_start")
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(price_amount__gt=0), name="catalog_promo_price_positive"
            ),
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="catalog_promo_ends_after"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.sku_id} {self.price_amount}"


class ProductEvent(models.Model):
    """One step in a product's history: submission, review decision, shelf change, edit."""

    class Kind(models.TextChoices):
        CREATED = "created", _("created")
        UPDATED = "updated", _("updated")
        SUBMITTED = "submitted", _("submitted for review")
        APPROVED = "approved", _("approved")
        REJECTED = "rejected", _("rejected")
        SCHEDULED = "scheduled", _("listing scheduled")
        ON_SHELF = "on_shelf", _("put on shelf")
        OFF_SHELF = "off_shelf", _("taken off shelf")
        REOPENED = "reopened", _("back to draft after an edit")

    product = models.ForeignKey(
        Product, verbose_name=_("product"), on_delete=models.CASCADE, related_name="events"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    from_status = models.CharField(_("from status"), max_length=20, blank=True)
    to_status = models.CharField(_("to status"), max_length=20, blank=True)
    review_round = models.PositiveIntegerField(_("review round"), default=0)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    data = models.JSONField(_("details"), default=dict, blank=True)
    created_at = models.DateTimeField(_("at"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("product event")
        verbose_name_plural = _("product history")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.product_id} {self.kind}"

    @staticmethod
    def _status_label(value: str) -> str:
        return str(Product.Status(value).label) if value in Product.Status.values else value

    @property
    def from_status_label(self) -> str:
        """The status before this step, as people read it (待审核, not pending_review)."""
        return self._status_label(self.from_status)

    @property
    def to_status_label(self) -> str:
        return self._status_label(self.to_status)


class ProductImport(TimeStampedModel):
    """One Excel import: all rows applied or none, with a per-row error report."""

    class Status(models.TextChoices):
        APPLIED = "applied", pgettext_lazy("product import", "applied")
        FAILED = "failed", _("failed")

    file_name = models.CharField(_("file name"), max_length=200)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices)
    row_count = models.PositiveIntegerField(_("rows"), default=0)
    error_count = models.PositiveIntegerField(_("rows with errors"), default=0)
    summary = models.JSONField(_("summary"), default=dict, blank=True)
    errors = models.JSONField(_("errors"), default=list, blank=True)
    report = models.FileField(_("error report"), upload_to="catalog/imports/", blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("imported by"),
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("product import")
        verbose_name_plural = _("product imports")
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.get_status_display()})"
