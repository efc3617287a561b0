"""Members (会员): accounts with encrypted personal data, addresses, levels, growth and
points ledgers, coupons, notifications.

Personal data (phone, name, ID number, address detail, recipient) is stored only as
AES-GCM ciphertext (``*_encrypted`` columns, see ``members/crypto.py``); the model
exposes plaintext properties (``member.phone``) that encrypt on assignment and decrypt
on read. Ledgers are append-only: balances on ``Member`` are kept equal to the sums of
their entries by the services (``members.services.points.points_verify``).
"""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from mall.core.money import MoneyField

from . import crypto


def _encrypted_property(column: str, context: str, *, hash_column: str | None = None):
    """A plaintext property over an encrypted column (and optionally its lookup hash)."""

    def getter(self) -> str:
        cache = self.__dict__.setdefault("_plaintext", {})
        token = getattr(self, column)
        if cache.get(column, (None,))[0] != token:
            cache[column] = (token, crypto.decrypt(token, context=context))
        return cache[column][1]

    def setter(self, value: str) -> None:
        value = (value or "").strip()
        token = crypto.encrypt(value, context=context)
        setattr(self, column, token)
        self.__dict__.setdefault("_plaintext", {})[column] = (token, value)
        if hash_column:
            setattr(self, hash_column, crypto.lookup_hash(value) or None)

    return property(getter, setter)


# --- levels ---------------------------------------------------------------------------


class Level(models.Model):
    """A member level (VIP1–VIP7) and its benefits; the growth thresholds that decide
    who holds it are system parameters (``members.level_threshold_vipN``)."""

    rank = models.PositiveSmallIntegerField(_("rank"), unique=True)
    code = models.CharField(_("code"), max_length=10, unique=True)
    name = models.CharField(_("name"), max_length=50)
    discount_rate = models.DecimalField(
        _("discount rate"),
        max_digits=4,
        decimal_places=3,
        default=1,
        help_text=_("Price factor for members of this level, e.g. 0.950 = 5% off."),
    )
    free_shipping = models.BooleanField(_("free shipping"), default=False)
    birthday_coupon = models.ForeignKey(
        "members.CouponTemplate",
        verbose_name=_("birthday coupon"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    birthday_points = models.PositiveIntegerField(_("birthday points"), default=0)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("member level")
        verbose_name_plural = _("member levels")
        ordering = ["rank"]
        constraints = [
            models.CheckConstraint(
                condition=Q(discount_rate__gt=0) & Q(discount_rate__lte=1),
                name="members_level_discount_rate_range",
            )
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


# --- members --------------------------------------------------------------------------


class Member(models.Model):
    """A storefront customer. Not a staff user: authenticates with member tokens."""

    class Gender(models.TextChoices):
        UNKNOWN = "unknown", _("unknown")
        MALE = "male", _("male")
        FEMALE = "female", _("female")

    class Channel(models.TextChoices):
        PHONE = "phone", _("phone")
        WECHAT = "wechat", _("WeChat")
        QQ = "qq", _("QQ")

    class Status(models.TextChoices):
        ACTIVE = "active", _("active")
        FROZEN = "frozen", _("frozen")
        CLOSED = "closed", _("closed")

    class RiskMark(models.TextChoices):
        NONE = "none", _("none")
        WATCH = "watch", _("watch")
        BLOCKED = "blocked", _("blocked")

    phone_encrypted = models.TextField(_("phone (encrypted)"), editable=False)
    phone_hash = models.CharField(
        _("phone lookup hash"), max_length=64, unique=True, null=True, editable=False
    )
    name_encrypted = models.TextField(_("name (encrypted)"), blank=True, editable=False)
    id_number_encrypted = models.TextField(_("ID number (encrypted)"), blank=True, editable=False)
    password = models.CharField(_("password"), max_length=128)
    gender = models.CharField(
        _("gender"), max_length=10, choices=Gender.choices, default=Gender.UNKNOWN
    )
    birthday = models.DateField(_("birthday"), null=True, blank=True)
    channel = models.CharField(
        _("registration channel"), max_length=10, choices=Channel.choices, default=Channel.PHONE
    )
    external_id_hash = models.CharField(
        _("WeChat/QQ id hash"), max_length=64, null=True, blank=True, editable=False
    )
    is_real_name_verified = models.BooleanField(_("real-name verified"), default=False)
    level = models.ForeignKey(
        Level,
        verbose_name=pgettext_lazy("member", "level"),
        on_delete=models.PROTECT,
        related_name="members",
    )
    growth = models.IntegerField(_("growth"), default=0)
    points_balance = models.IntegerField(_("points balance"), default=0)
    balance_amount = models.DecimalField(
        _("stored balance"), max_digits=14, decimal_places=2, default=0
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE
    )
    risk_mark = models.CharField(
        _("risk mark"), max_length=10, choices=RiskMark.choices, default=RiskMark.NONE
    )
    region = models.ForeignKey(
        "rbac.SalesRegion",
        verbose_name=_("sales region"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    last_login_at = models.DateTimeField(_("last login at"), null=True, blank=True)
    created_at = models.DateTimeField(_("registered at"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    phone = _encrypted_property("phone_encrypted", "member.phone", hash_column="phone_hash")
    name = _encrypted_property("name_encrypted", "member.name")
    id_number = _encrypted_property("id_number_encrypted", "member.id_number")

    ENCRYPTED_COLUMNS = {
        "phone_encrypted": "member.phone",
        "name_encrypted": "member.name",
        "id_number_encrypted": "member.id_number",
    }

    # Storefront views see a member as ``request.user``.
    is_member = True  # mall.core.scoping.is_member_actor
    is_anonymous = False
    is_staff = False
    is_superuser = False

    class Meta:
        verbose_name = _("member")
        verbose_name_plural = _("members")
        permissions = [
            ("view_member_pii", _("Can view members' personal data")),
            ("manage_member_status", _("Can freeze and unfreeze members")),
            ("adjust_member_points", _("Can adjust members' points")),
            ("adjust_member_growth", _("Can adjust members' growth (and so their level)")),
            ("adjust_member_balance", _("Can adjust members' stored balance")),
            (
                "receive_security_alerts",
                _("Receives security alerts about member data (phone-search bursts)"),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(points_balance__gte=0), name="members_member_points_non_negative"
            ),
            models.CheckConstraint(condition=Q(growth__gte=0), name="members_member_growth_gte_0"),
            models.CheckConstraint(
                condition=Q(balance_amount__gte=0), name="members_member_balance_non_negative"
            ),
            models.UniqueConstraint(
                fields=["channel", "external_id_hash"],
                condition=Q(external_id_hash__isnull=False),
                name="members_member_unique_external_id",
            ),
        ]
        indexes = [models.Index(fields=["level", "status"])]

    def __str__(self) -> str:
        # Never the phone: str() ends up in logs and admin breadcrumbs.
        return self.audit_label

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE

    @property
    def audit_label(self) -> str:
        return f"member:{self.pk}"

    def has_perm(self, perm, obj=None) -> bool:  # staff permission checks never pass
        return False

    def has_perms(self, perms, obj=None) -> bool:
        return False


class MemberToken(models.Model):
    """A storefront bearer token; only its SHA-256 is stored."""

    member = models.ForeignKey(
        Member, verbose_name=_("member"), on_delete=models.CASCADE, related_name="tokens"
    )
    key_hash = models.CharField(_("token hash"), max_length=64, unique=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires at"), db_index=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)

    class Meta:
        verbose_name = _("member token")
        verbose_name_plural = _("member tokens")

    def __str__(self) -> str:
        return f"{self.member.audit_label} token {self.pk}"


class Address(models.Model):
    """A member's shipping address; recipient, phone and street detail are encrypted."""

    member = models.ForeignKey(
        Member, verbose_name=_("member"), on_delete=models.CASCADE, related_name="addresses"
    )
    recipient_encrypted = models.TextField(_("recipient (encrypted)"), editable=False)
    phone_encrypted = models.TextField(_("phone (encrypted)"), editable=False)
    province = models.ForeignKey(
        "rbac.Province", verbose_name=_("province"), on_delete=models.PROTECT, related_name="+"
    )
    region = models.ForeignKey(
        "rbac.SalesRegion",
        verbose_name=_("sales region"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    city = models.CharField(_("city"), max_length=50)
    district = models.CharField(_("district"), max_length=50, blank=True)
    detail_encrypted = models.TextField(_("detail (encrypted)"), editable=False)
    is_default = models.BooleanField(_("default"), default=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    recipient = _encrypted_property("recipient_encrypted", "address.recipient")
    phone = _encrypted_property("phone_encrypted", "address.phone")
    detail = _encrypted_property("detail_encrypted", "address.detail")

    ENCRYPTED_COLUMNS = {
        "recipient_encrypted": "address.recipient",
        "phone_encrypted": "address.phone",
        "detail_encrypted": "address.detail",
    }

    class Meta:
        verbose_name = _("address")
        verbose_name_plural = _("addresses")
        ordering = ["-is_default", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["member"],
                condition=Q(is_default=True),
                name="members_address_one_default",
            )
        ]

    def __str__(self) -> str:
        return f"{self.member.audit_label} address {self.pk}"


# --- growth ---------------------------------------------------------------------------


class GrowthReason(models.TextChoices):
    LOGIN = "login", _("daily first login")
    PURCHASE = "purchase", _("purchase")
    REVIEW = "review", _("review")
    PHOTO_REVIEW = "photo_review", _("photo review")
    PURCHASE_ROLLBACK = "purchase_rollback", _("purchase rolled back (return)")
    REVIEW_ROLLBACK = "review_rollback", _("review rolled back (deleted)")
    PHOTO_REVIEW_ROLLBACK = "photo_review_rollback", _("photo review rolled back (deleted)")
    ADJUSTMENT = "adjustment", _("manual adjustment")


class GrowthEntry(models.Model):
    """One change of a member's growth; unique per (reason, reference) so a retried
    job never counts twice."""

    member = models.ForeignKey(
        Member, verbose_name=_("member"), on_delete=models.PROTECT, related_name="growth_entries"
    )
    reason = models.CharField(_("reason"), max_length=30, choices=GrowthReason.choices)
    reference = models.CharField(_("reference"), max_length=100)
    amount = models.IntegerField(_("amount"))
    balance_after = models.IntegerField(_("growth after"))
    basis_amount = MoneyField(
        _("basis amount"),
        null=True,
        blank=True,
        help_text=_("The paid or refunded amount the growth was computed from."),
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("growth entry")
        verbose_name_plural = _("growth ledger")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["reason", "reference"], name="members_growth_reason_reference"
            )
        ]

    def __str__(self) -> str:
        return f"{self.member.audit_label} {self.reason} {self.amount:+d}"


class LevelChange(models.Model):
    """Level history: every time a member's level is recomputed to another level."""

    member = models.ForeignKey(
        Member, verbose_name=_("member"), on_delete=models.PROTECT, related_name="level_changes"
    )
    from_level = models.ForeignKey(
        Level, verbose_name=_("from level"), on_delete=models.PROTECT, related_name="+"
    )
    to_level = models.ForeignKey(
        Level, verbose_name=_("to level"), on_delete=models.PROTECT, related_name="+"
    )
    growth = models.IntegerField(_("growth"))
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("level change")
        verbose_name_plural = _("level history")
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.member.audit_label} {self.from_level.code}→{self.to_level.code}"


# --- points ---------------------------------------------------------------------------


class PointsReason(models.TextChoices):
    SIGN_IN = "sign_in", _("sign-in")
    PURCHASE = "purchase", _("purchase")
    REVIEW = "review", _("review")
    SHARE = "share", _("share")
    RECHARGE = "recharge", _("recharge")
    BIRTHDAY = "birthday", _("birthday")
    CHECKOUT = "checkout", _("checkout deduction")
    POINTS_MALL = "points_mall", _("points mall")
    EXCHANGE = "exchange", _("exchange")
    REFUND = "refund", _("refund")
    EXPIRY = "expiry", _("expiry")
    ADJUSTMENT = "adjustment", _("manual adjustment")


EARN_REASONS = {
    PointsReason.SIGN_IN,
    PointsReason.PURCHASE,
    PointsReason.REVIEW,
    PointsReason.SHARE,
    PointsReason.RECHARGE,
    PointsReason.BIRTHDAY,
    PointsReason.ADJUSTMENT,
}
SPEND_REASONS = {PointsReason.CHECKOUT, PointsReason.POINTS_MALL, PointsReason.EXCHANGE}


class PointsLot(models.Model):
    """Points earned together, expiring together; spending consumes the lots that
    expire first."""

    member = models.ForeignKey(
        Member, verbose_name=_("member"), on_delete=models.PROTECT, related_name="points_lots"
    )
    reason = models.CharField(_("reason"), max_length=20, choices=PointsReason.choices)
    reference = models.CharField(_("reference"), max_length=100)
    points = models.PositiveIntegerField(_("points"))
    remaining = models.PositiveIntegerField(_("remaining"))
    earned_at = models.DateTimeField(_("earned at"))
    expires_at = models.DateTimeField(_("expires at"), db_index=True)

    class Meta:
        verbose_name = _("points lot")
        verbose_name_plural = _("points lots")
        ordering = ["expires_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(remaining__lte=F("points")), name="members_lot_remaining_lte_points"
            )
        ]
        indexes = [models.Index(fields=["member", "expires_at"])]

    def __str__(self) -> str:
        return f"{self.member.audit_label} lot {self.pk} {self.remaining}/{self.points}"


class PointsEntry(models.Model):
    """One change of a member's points balance; unique per (reason, reference)."""

    member = models.ForeignKey(
        Member, verbose_name=_("member"), on_delete=models.PROTECT, related_name="points_entries"
    )
    reason = models.CharField(_("reason"), max_length=20, choices=PointsReason.choices)
    reference = models.CharField(_("reference"), max_length=100)
    points = models.IntegerField(_("points"))
    balance_after = models.IntegerField(_("balance after"))
    lot = models.ForeignKey(
        PointsLot,
        verbose_name=_("lot"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("points entry")
        verbose_name_plural = _("points ledger")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["reason", "reference"], name="members_points_reason_reference"
            )
        ]

    def __str__(self) -> str:
        return f"{self.member.audit_label} {self.reason} {self.points:+d}"


class PointsLotUse(models.Model):
    """How much of which lot a spend consumed, so a refund can put it back."""

    entry = models.ForeignKey(
        PointsEntry, verbose_name=_("spend"), on_delete=models.PROTECT, related_name="lot_uses"
    )
    lot = models.ForeignKey(
        PointsLot, verbose_name=_("lot"), on_delete=models.PROTECT, related_name="uses"
    )
    points = models.PositiveIntegerField(_("points"))
    refunded_points = models.PositiveIntegerField(_("refunded points"), default=0)

    class Meta:
        verbose_name = _("points lot use")
        verbose_name_plural = _("points lot uses")
        constraints = [
            models.CheckConstraint(
                condition=Q(refunded_points__lte=F("points")),
                name="members_lotuse_refunded_lte_points",
            )
        ]

    def __str__(self) -> str:
        return f"lot {self.lot_id} −{self.points}"


# --- coupons --------------------------------------------------------------------------


class CouponTemplate(models.Model):
    """A kind of coupon ops issue: what it takes off, when it is valid, how many exist."""

    class Kind(models.TextChoices):
        AMOUNT_OFF = "amount_off", _("amount off over a threshold")
        PERCENT_OFF = "percent_off", _("percentage off")
        FREE_SHIPPING = "free_shipping", _("free shipping")

    class Validity(models.TextChoices):
        WINDOW = "window", _("fixed window")
        DAYS = "days", _("days after claim")

    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    discount_amount = MoneyField(_("amount off"), null=True, blank=True)
    threshold_amount = MoneyField(_("minimum order amount"), default=0)
    discount_rate = models.DecimalField(
        _("discount rate"),
        max_digits=4,
        decimal_places=3,
        null=True,
        blank=True,
        help_text=_("Share of the price paid, e.g. 0.850 = 15% off."),
    )
    max_discount_amount = MoneyField(_("maximum discount"), null=True, blank=True)
    validity = models.CharField(
        _("validity"), max_length=10, choices=Validity.choices, default=Validity.WINDOW
    )
    valid_from = models.DateTimeField(_("valid from"), null=True, blank=True)
    valid_until = models.DateTimeField(_("valid until"), null=True, blank=True)
    valid_days = models.PositiveIntegerField(_("valid days after claim"), null=True, blank=True)
    total_stock = models.PositiveIntegerField(_("total stock"))
    issued_count = models.PositiveIntegerField(_("issued"), default=0, editable=False)
    per_member_limit = models.PositiveIntegerField(_("per-member limit"), default=1)
    is_claimable = models.BooleanField(
        _("claimable in the storefront"),
        default=True,
        help_text=_("Off for coupons only granted by the system (birthday, compensation)."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    categories = models.ManyToManyField(
        "catalog.Category",
        verbose_name=_("applicable categories"),
        blank=True,
        related_name="+",
        help_text=_("Empty: the whole store. A category covers its sub-categories."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("coupon template")
        verbose_name_plural = _("coupon templates")
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(issued_count__lte=F("total_stock")),
                name="members_coupon_template_not_over_issued",
            ),
            models.CheckConstraint(
                condition=Q(per_member_limit__gte=1), name="members_coupon_template_limit_gte_1"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Coupon(models.Model):
    """One coupon in a member's wallet."""

    class Status(models.TextChoices):
        AVAILABLE = "available", pgettext_lazy("coupon status", "available")
        LOCKED = "locked", _("locked by an order")
        USED = "used", _("used")
        EXPIRED = "expired", _("expired")

    class Source(models.TextChoices):
        CLAIM = "claim", _("claimed")
        GRANT = "grant", _("granted")
        BIRTHDAY = "birthday", _("birthday benefit")

    template = models.ForeignKey(
        CouponTemplate, verbose_name=_("template"), on_delete=models.PROTECT, related_name="coupons"
    )
    member = models.ForeignKey(
        Member, verbose_name=_("member"), on_delete=models.PROTECT, related_name="coupons"
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.AVAILABLE
    )
    source = models.CharField(_("source"), max_length=10, choices=Source.choices)
    valid_from = models.DateTimeField(_("valid from"))
    valid_until = models.DateTimeField(_("valid until"), db_index=True)
    order_no = models.CharField(_("order number"), max_length=40, blank=True)
    claimed_at = models.DateTimeField(_("claimed at"), auto_now_add=True)
    locked_at = models.DateTimeField(_("locked at"), null=True, blank=True)
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)

    class Meta:
        verbose_name = _("coupon")
        verbose_name_plural = _("coupons")
        ordering = ["-id"]
        indexes = [models.Index(fields=["member", "status"])]

    def __str__(self) -> str:
        return f"{self.template} #{self.pk}"


# --- notifications and benefits -------------------------------------------------------


class NotificationKind(models.TextChoices):
    ORDER = "order", _("order updates")
    AFTER_SALE = "after_sale", _("after-sales updates")
    BENEFIT = "benefit", _("benefits and coupons")
    MARKETING = "marketing", _("promotions")


class NotificationChannel(models.TextChoices):
    SMS = "sms", _("SMS")
    IN_APP = "in_app", _("in-app")
    EMAIL = "email", _("email")


class Notification(models.Model):
    """One message in the outbox, delivered by the delivery job through an adapter."""

    class Status(models.TextChoices):
        PENDING = "pending", pgettext_lazy("notification status", "pending")
        SENT = "sent", _("sent")
        FAILED = "failed", pgettext_lazy("notification status", "failed")
        SKIPPED = "skipped", _("skipped (opted out)")

    member = models.ForeignKey(
        Member, verbose_name=_("member"), on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=NotificationKind.choices)
    channel = models.CharField(_("channel"), max_length=10, choices=NotificationChannel.choices)
    payload = models.JSONField(_("payload"), default=dict)
    dedupe_key = models.CharField(
        _("deduplication key"), max_length=150, null=True, blank=True, unique=True
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    provider_message_id = models.CharField(_("provider message id"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-id"]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.member.audit_label} {self.kind}/{self.channel} {self.status}"


class NotificationOptOut(models.Model):
    """A member does not want messages of this kind (on any channel)."""

    member = models.ForeignKey(
        Member, verbose_name=_("member"), on_delete=models.CASCADE, related_name="opt_outs"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=NotificationKind.choices)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("notification opt-out")
        verbose_name_plural = _("notification opt-outs")
        constraints = [
            models.UniqueConstraint(fields=["member", "kind"], name="members_optout_member_kind")
        ]

    def __str__(self) -> str:
        return f"{self.member.audit_label} ✕ {self.kind}"


class BirthdayBenefit(models.Model):
    """Proof that a member's birthday benefits of one year were granted (once a year)."""

    member = models.ForeignKey(
        Member, verbose_name=_("member"), on_delete=models.CASCADE, related_name="+"
    )
    year = models.PositiveSmallIntegerField(_("year"))
    level = models.ForeignKey(Level, verbose_name=_("level"), on_delete=models.PROTECT)
    coupon = models.ForeignKey(
        Coupon, verbose_name=_("coupon"), on_delete=models.SET_NULL, null=True, blank=True
    )
    points = models.PositiveIntegerField(_("points"), default=0)
    granted_at = models.DateTimeField(_("granted at"), auto_now_add=True)

    class Meta:
        verbose_name = _("birthday benefit")
        verbose_name_plural = _("birthday benefits")
        constraints = [
            models.UniqueConstraint(fields=["member", "year"], name="members_birthday_once_a_year")
        ]

    def __str__(self) -> str:
        return f"{self.member.audit_label} {self.year}"


class BalanceEntry(models.Model):
    """One change of a member's stored balance (储值); unique per (kind, reference).

    ``Member.balance_amount`` always equals the sum of a member's entries (written
    together by ``members.services.balance``; ``balance_verify`` checks it).
    """

    class Kind(models.TextChoices):
        RECHARGE = "recharge", _("recharge")
        PAY = "pay", _("payment")
        REFUND = "refund", _("refund")
        ADJUSTMENT = "adjustment", _("adjustment")

    member = models.ForeignKey(
        Member, verbose_name=_("member"), on_delete=models.PROTECT, related_name="balance_entries"
    )
    kind = models.CharField(_("type"), max_length=12, choices=Kind.choices)
    reference = models.CharField(_("reference"), max_length=64)
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    balance_after = models.DecimalField(_("balance after"), max_digits=14, decimal_places=2)
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("balance entry")
        verbose_name_plural = _("balance ledger")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "reference"], name="members_balance_kind_ref"),
            models.CheckConstraint(condition=~Q(amount=0), name="members_balance_entry_not_zero"),
            models.CheckConstraint(
                condition=Q(balance_after__gte=0), name="members_balance_after_non_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member.audit_label} {self.kind} {self.amount}"


class SmsCode(models.Model):
    """A verification code sent by SMS (注册验证码), stored only as a keyed hash.

    One code per send; the newest unexpired, unused code of a (phone, purpose) is the
    one checked. A code is used once and dies after ``members.sms_code_max_attempts``
    wrong guesses. Sending is rate limited by risk control (``member.sms_code``) per
    phone, IP and device. Rows older than a day are deleted by the daily cleanup job.
    """

    class Purpose(models.TextChoices):
        REGISTER = "register", _("registration")

    phone_hash = models.CharField(_("phone lookup hash"), max_length=64)
    purpose = models.CharField(_("purpose"), max_length=20, choices=Purpose.choices)
    code_hash = models.CharField(_("code hash"), max_length=64, editable=False)
    expires_at = models.DateTimeField(_("expires at"))
    attempts = models.PositiveSmallIntegerField(_("wrong attempts"), default=0)
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)
    client_ip = models.GenericIPAddressField(_("client IP"), null=True, blank=True)
    device_id = models.CharField(_("device"), max_length=128, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("SMS verification code")
        verbose_name_plural = _("SMS verification codes")
        ordering = ["-id"]
        default_permissions = ()
        indexes = [
            models.Index(fields=["phone_hash", "purpose", "-id"], name="members_sms_phone_purpose")
        ]

    def __str__(self) -> str:
        return f"{self.get_purpose_display()} {self.created_at:%Y-%m-%d %H:%M}"


# --- RFM (issue 17; members/rfm.py, members/services/rfm.py) ----------------------------


class RfmSegment(models.TextChoices):
    """The eight classic RFM segments (GLOSSARY: "RFM segment"), by above/below mean."""

    IMPORTANT_VALUE = "important_value", _("RFM: important value customer")
    IMPORTANT_DEVELOP = "important_develop", _("RFM: important development customer")
    IMPORTANT_KEEP = "important_keep", _("RFM: important retention customer")
    IMPORTANT_RETAIN = "important_retain", _("RFM: important win-back customer")
    GENERAL_VALUE = "general_value", _("RFM: general value customer")
    GENERAL_DEVELOP = "general_develop", _("RFM: general development customer")
    GENERAL_KEEP = "general_keep", _("RFM: general retention customer")
    GENERAL_RETAIN = "general_retain", _("RFM: general win-back customer")


class RfmRun(models.Model):
    """One nightly RFM computation (one per run date; see ``members.services.rfm``).

    The window is ``[window_start, window_end)`` with ``window_end`` the local midnight
    starting ``run_date``; the previous window (for the win-back flag) is the equal
    span before it. Counts are of the whole data set (no scope): the run is a system
    record, shown only to who may see every member (``members.view_rfmrun``).
    """

    run_date = models.DateField(_("RFM run date"), unique=True)
    window_days = models.PositiveIntegerField(_("RFM window (days)"))
    window_start = models.DateTimeField(_("window start"))
    window_end = models.DateTimeField(_("window end"))
    members_scored = models.PositiveIntegerField(_("members scored"), default=0)
    members_win_back = models.PositiveIntegerField(_("members flagged for win-back"), default=0)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), default=0)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("RFM run")
        verbose_name_plural = _("RFM runs")
        ordering = ["-run_date"]
        default_permissions = ("view",)

    def __str__(self) -> str:
        return f"RFM {self.run_date.isoformat()}"


class MemberRfm(models.Model):
    """The latest RFM result of one member (replaced as a whole by each run).

    A member has a row when they paid at least one counted order in the current or the
    previous window. Scores and segment are set only for members with an order in the
    current window (``frequency`` > 0); a member whose orders all lie in the previous
    window has ``frequency`` 0, no scores, and may be flagged for win-back.
    """

    # No database foreign keys: the nightly INSERT writes a row per buying member (a
    # million at scale) and a deferred check per row and key doubled its time
    # (bench/rfm_million.py). The member ids come from orders, whose own foreign key
    # guarantees them; deleting a member or a run still cascades (Django's collector).
    member = models.OneToOneField(
        Member,
        verbose_name=_("member"),
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="rfm",
        db_constraint=False,
    )
    run = models.ForeignKey(
        RfmRun,
        verbose_name=_("RFM run"),
        on_delete=models.CASCADE,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    last_paid_at = models.DateTimeField(_("last paid at"), null=True, blank=True)
    recency_days = models.PositiveIntegerField(_("recency (days)"), null=True, blank=True)
    frequency = models.PositiveIntegerField(_("frequency (orders)"), default=0)
    monetary_amount = MoneyField(_("monetary (paid)"), default=0)
    r_score = models.PositiveSmallIntegerField(_("R score"), null=True, blank=True)
    f_score = models.PositiveSmallIntegerField(_("F score"), null=True, blank=True)
    m_score = models.PositiveSmallIntegerField(_("M score"), null=True, blank=True)
    segment = models.CharField(
        _("RFM segment"), max_length=20, choices=RfmSegment.choices, blank=True
    )
    previous_frequency = models.PositiveIntegerField(_("frequency in the previous window"))
    is_win_back = models.BooleanField(_("win-back"), default=False)

    class Meta:
        verbose_name = _("member RFM")
        verbose_name_plural = _("member RFM")
        default_permissions = ("view",)
        permissions = [("export_rfm", _("Can export members' RFM segments"))]
        indexes = [
            # the member list's filters (a plain index: no LIKE on a code)
            models.Index(fields=["segment"], name="members_rfm_segment"),
            models.Index(
                fields=["member"], condition=Q(is_win_back=True), name="members_rfm_win_back"
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(r_score__isnull=True) | Q(r_score__gte=1, r_score__lte=5),
                name="members_rfm_r_score_1_5",
            ),
            models.CheckConstraint(
                condition=Q(f_score__isnull=True) | Q(f_score__gte=1, f_score__lte=5),
                name="members_rfm_f_score_1_5",
            ),
            models.CheckConstraint(
                condition=Q(m_score__isnull=True) | Q(m_score__gte=1, m_score__lte=5),
                name="members_rfm_m_score_1_5",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member_id} RFM"
