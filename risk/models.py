"""Models of the risk app (风控): attempts, events, cases, marks, blacklists, fund freezes.

* :class:`RiskAttempt` — one row per guarded attempt at the velocity points
  (``member.sms_code``, ``member.register``, ``coupon.claim``): who, from which device
  and IP. Rules count these rows; a daily job deletes rows older than the longest
  window (``risk.attempt_retention_days``).
* :class:`RiskEvent` — one row per non-allow verdict (block or review) at any point:
  the queue of "what risk control stopped or flagged" in the admin.
* :class:`RiskCase` — a case a risk officer decides: open → confirmed | dismissed. Opened
  by a ``review`` verdict (after the action committed), by the daily brushing scan, or
  by a person. Scoped by sales region (risk officers see all; regional ops their own).
* :class:`RiskMark` — an account risk mark with an optional expiry: a marked member's
  orders are held at review and their placements open a case.
* :class:`BlacklistEntry` — a member, device, IP, address or phone that is refused at
  the real-time points until the entry expires or is revoked.
* :class:`FundFreeze` — an order's funds frozen by risk: the order cannot be shipped or
  refunded until the freeze is released (``orders.services.review.order_freeze``).

Contracts and decisions: docs/RISK.md.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from mall.core.models import TimeStampedModel
from mall.core.money import MoneyField


class Point(models.TextChoices):
    """The kernel's guard points (``mall.core.guard``) plus the daily scan and people."""

    SMS_CODE = "member.sms_code", _("SMS verification code")
    REGISTER = "member.register", _("registration")
    COUPON_CLAIM = "coupon.claim", _("coupon claim")
    ORDER_PLACE = "order.place", _("order placement")
    ORDER_REVIEW = "order.review", _("order review")
    AFTER_SALE = "after_sale.request", _("after-sales request")
    PAYMENT_CALLBACK = "payment.callback", _("payment callback")
    SCAN = "scan", _("daily scan")
    MANUAL = "manual", _("entered by staff")


class Decision(models.TextChoices):
    ALLOW = "allow", _("allow")
    REVIEW = "review", pgettext_lazy("risk", "review")
    BLOCK = "block", _("block")


class RiskAttempt(models.Model):
    """One guarded attempt at a velocity point (counted by the rules)."""

    point = models.CharField(_("checkpoint"), max_length=30, choices=Point.choices)
    member = models.ForeignKey(
        "members.Member",
        verbose_name=_("member"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        db_constraint=False,
    )
    phone_hash = models.CharField(_("phone lookup hash"), max_length=64, blank=True)
    # The first seven digits (号段 + area): says which block of numbers, not whose.
    phone_prefix = models.CharField(_("phone prefix"), max_length=7, blank=True)
    device_id = models.CharField(_("device"), max_length=128, blank=True)
    client_ip = models.GenericIPAddressField(_("client IP"), null=True, blank=True)
    # what the attempt was about (``coupon_template:<id>``), for "same thing" rules
    ref = models.CharField(_("reference"), max_length=64, blank=True)
    created_at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        verbose_name = _("risk attempt")
        verbose_name_plural = _("risk attempts")
        default_permissions = ()
        indexes = [
            models.Index(fields=["point", "created_at"], name="risk_att_point_at"),
            models.Index(fields=["point", "member", "created_at"], name="risk_att_member"),
            models.Index(fields=["point", "device_id", "created_at"], name="risk_att_device"),
            models.Index(fields=["point", "client_ip", "created_at"], name="risk_att_ip"),
            models.Index(fields=["point", "phone_hash", "created_at"], name="risk_att_phone"),
            models.Index(fields=["point", "phone_prefix", "created_at"], name="risk_att_prefix"),
        ]

    def __str__(self) -> str:
        return f"{self.get_point_display()} {self.created_at:%Y-%m-%d %H:%M}"


class RiskEvent(models.Model):
    """A non-allow verdict at a guard point (blocks and reviews), newest first."""

    point = models.CharField(_("checkpoint"), max_length=30, choices=Point.choices)
    decision = models.CharField(_("decision"), max_length=10, choices=Decision.choices)
    rule = models.CharField(_("rule"), max_length=50)
    score = models.PositiveSmallIntegerField(_("score"), default=0)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    evidence = models.JSONField(_("evidence"), default=dict, blank=True)
    member = models.ForeignKey(
        "members.Member",
        verbose_name=_("member"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    region = models.ForeignKey(
        "rbac.SalesRegion",
        verbose_name=_("sales region"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    device_id = models.CharField(_("device"), max_length=128, blank=True)
    client_ip = models.GenericIPAddressField(_("client IP"), null=True, blank=True)
    created_at = models.DateTimeField(_("at"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("risk event")
        verbose_name_plural = _("risk events")
        ordering = ["-id"]
        default_permissions = ("view",)

    def __str__(self) -> str:
        return f"{self.get_decision_display()} {self.rule}"


class RiskCase(TimeStampedModel):
    """A case for a risk officer (风控案件): open → confirmed | dismissed."""

    class Kind(models.TextChoices):
        REGISTRATION_BURST = "registration_burst", _("registration burst")
        SMS_ABUSE = "sms_abuse", _("SMS code abuse")
        COUPON_FARMING = "coupon_farming", _("coupon farming")
        FLASH_HOARDING = "flash_hoarding", _("flash-sale stock hoarding")
        FREQUENT_PURCHASE = "frequent_purchase", _("frequent purchase")
        BLACKLISTED = "blacklisted", _("blacklisted")
        MARKED_ACCOUNT = "marked_account", _("marked account")
        REFUND_ABUSE = "refund_abuse", _("refund abuse")
        NOT_RECEIVED = "not_received", _("repeated not-received claims")
        PAYMENT_MISMATCH = "payment_mismatch", _("payment amount mismatch")
        BRUSHING_RING = "brushing_ring", _("order brushing ring")
        MANUAL = "manual", _("reported by staff")

    class Status(models.TextChoices):
        OPEN = "open", pgettext_lazy("risk case", "open")
        CONFIRMED = "confirmed", pgettext_lazy("risk case", "confirmed")
        DISMISSED = "dismissed", pgettext_lazy("risk case", "dismissed")

    case_no = models.CharField(_("case number"), max_length=24, unique=True)
    kind = models.CharField(_("type"), max_length=30, choices=Kind.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN
    )
    point = models.CharField(_("checkpoint"), max_length=30, choices=Point.choices)
    rule = models.CharField(_("rule"), max_length=50, blank=True)
    score = models.PositiveSmallIntegerField(_("score"), default=0)
    summary = models.CharField(_("summary"), max_length=300)
    evidence = models.JSONField(_("evidence"), default=dict, blank=True)
    # At most one open case per fingerprint (a ring, a member's rule, an order's rule):
    # the same finding seen again adds to the open case instead of opening another.
    fingerprint = models.CharField(_("fingerprint"), max_length=128)
    member = models.ForeignKey(
        "members.Member",
        verbose_name=_("member"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    order = models.ForeignKey(
        "orders.Order",
        verbose_name=_("order"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    region = models.ForeignKey(
        "rbac.SalesRegion",
        verbose_name=_("sales region"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    handler = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("handler"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    notes = models.TextField(_("notes"), blank=True)
    decision_reason = models.CharField(_("decision reason"), max_length=300, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    seen_count = models.PositiveIntegerField(_("times seen"), default=1)
    last_seen_at = models.DateTimeField(_("last seen at"), null=True, blank=True)

    class Meta:
        verbose_name = _("risk case")
        verbose_name_plural = _("risk cases")
        ordering = ["-id"]
        permissions = [
            ("decide_riskcase", _("Can confirm or dismiss risk cases")),
            ("view_risk_evidence_pii", _("Can read risk evidence unmasked")),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["fingerprint"],
                condition=Q(status="open"),
                name="risk_case_one_open_per_fingerprint",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "-id"], name="risk_case_status_id"),
            models.Index(fields=["region", "status", "-id"], name="risk_case_reg_status"),
            models.Index(fields=["member", "-id"], name="risk_case_member"),
        ]

    def __str__(self) -> str:
        return self.case_no


class RiskMark(TimeStampedModel):
    """An account risk mark (账户风险标记) with an optional expiry."""

    class Level(models.TextChoices):
        WATCH = "watch", _("watch")
        HIGH = "high", _("high risk")

    member = models.ForeignKey(
        "members.Member",
        verbose_name=_("member"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    level = models.CharField(_("level"), max_length=10, choices=Level.choices)
    reason = models.CharField(_("reason"), max_length=300)
    case = models.ForeignKey(
        RiskCase,
        verbose_name=_("risk case"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="marks",
    )
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("revoked by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    revoke_reason = models.CharField(_("revocation reason"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("account risk mark")
        verbose_name_plural = _("account risk marks")
        ordering = ["-id"]
        indexes = [models.Index(fields=["member", "revoked_at"], name="risk_mark_member")]


class BlacklistEntry(TimeStampedModel):
    """A member, device, IP, address or phone refused at the real-time points."""

    class Kind(models.TextChoices):
        MEMBER = "member", _("member account")
        DEVICE = "device", _("device")
        IP = "ip", _("IP address")
        ADDRESS = "address", _("delivery address")
        PHONE = "phone", _("phone number")

    kind = models.CharField(_("type"), max_length=10, choices=Kind.choices)
    # member: the member id; device: the X-Device-Id; ip: the address; address and
    # phone: their lookup hash (never the plaintext).
    value = models.CharField(_("value"), max_length=128)
    label = models.CharField(_("shown as"), max_length=128, blank=True)  # masked
    member = models.ForeignKey(
        "members.Member",
        verbose_name=_("member"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    reason = models.CharField(_("reason"), max_length=300)
    case = models.ForeignKey(
        RiskCase,
        verbose_name=_("risk case"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="blacklist_entries",
    )
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("revoked by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    revoke_reason = models.CharField(_("revocation reason"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("blacklist entry")
        verbose_name_plural = _("blacklist")
        ordering = ["-id"]
        indexes = [models.Index(fields=["kind", "value", "revoked_at"], name="risk_bl_kind_value")]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "value"],
                condition=Q(revoked_at__isnull=True),
                name="risk_blacklist_one_live_per_value",
            ),
        ]


class FundFreeze(TimeStampedModel):
    """An order's funds frozen by risk (资金冻结): no shipping, no refund until released."""

    class Status(models.TextChoices):
        ACTIVE = "active", pgettext_lazy("freeze", "active")
        RELEASED = "released", pgettext_lazy("freeze", "released")

    freeze_no = models.CharField(_("freeze number"), max_length=24, unique=True)
    order = models.ForeignKey(
        "orders.Order",
        verbose_name=_("order"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    region = models.ForeignKey(
        "rbac.SalesRegion",
        verbose_name=_("sales region"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    case = models.ForeignKey(
        RiskCase,
        verbose_name=_("risk case"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="freezes",
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE
    )

    class Origin(models.TextChoices):
        RISK = "risk", _("risk control")
        ORDER_SCREEN = "order_screen", _("order screen")

    # risk control's freezes are lifted only with risk.release_fundfreeze; a freeze set
    # with the order screen's own button may be lifted there (orders.freeze_order)
    origin = models.CharField(
        _("frozen from"), max_length=15, choices=Origin.choices, default=Origin.RISK
    )
    reason = models.CharField(_("reason"), max_length=200)
    amount = MoneyField(_("amount frozen"), default=0)
    frozen_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("frozen by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    released_at = models.DateTimeField(_("released at"), null=True, blank=True)
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("released by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    release_reason = models.CharField(_("release reason"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("fund freeze")
        verbose_name_plural = _("fund freezes")
        ordering = ["-id"]
        permissions = [("release_fundfreeze", _("Can release fund freezes"))]
        constraints = [
            models.UniqueConstraint(
                fields=["order"],
                condition=Q(status="active"),
                name="risk_freeze_one_active_per_order",
            ),
        ]

    def __str__(self) -> str:
        return self.freeze_no
