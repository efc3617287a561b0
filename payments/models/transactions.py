"""Models of the payments app (支付): transactions, refunds, callbacks, anomalies,
settlements and channel health.

Statuses change only through ``payments/services/transitions.py`` (the kernel's
transition helper). Money is ``MoneyField`` (Decimal 14,2) with CHECK constraints:
what was refunded never exceeds what was paid, on the row itself.

A transaction belongs to an order (``purpose = order``) or tops up a member's
balance (``purpose = recharge``, no order). Rows are scoped like their order: by the
order's region (a recharge has none and is read by finance with scope "all").
Raw callback bodies may carry the payer's identity (openid, buyer id) and are kept
encrypted (``CallbackRecord.body``).
"""

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


class Channel(models.TextChoices):
    """Payment channels (支付渠道). ``sandbox`` is for the demo and tests."""

    WECHAT = "wechat", _("WeChat Pay")
    ALIPAY = "alipay", _("Alipay")
    UNIONPAY = "unionpay", _("UnionPay card")
    BALANCE = "balance", _("member balance")
    SANDBOX = "sandbox", _("sandbox")


class Scene(models.TextChoices):
    """How the payer pays (支付场景)."""

    JSAPI = "jsapi", _("in-app browser (JSAPI)")
    APP = "app", _("mobile app")
    H5 = "h5", _("mobile web (H5)")
    NATIVE = "native", _("QR code (Native)")
    MINI_PROGRAM = "mini_program", _("mini-program")


class PaymentTransaction(TimeStampedModel):
    """One attempt to collect money through one channel (支付流水).

    ``transaction_no`` is ours (the channel's out_trade_no / 商户订单号);
    ``channel_trade_no`` is theirs (微信订单号 / 支付宝交易号), known once paid.
    ``refunded_amount`` is what refunds have claimed (pending and succeeded — a
    refund reserves its amount when it is created), never above ``paid_amount``.
    """

    class Purpose(models.TextChoices):
        ORDER = "order", _("order payment")
        RECHARGE = "recharge", _("balance recharge")

    class Status(models.TextChoices):
        UNPAID = "unpaid", pgettext_lazy("payment", "unpaid")
        PAID = "paid", pgettext_lazy("payment", "paid")
        PARTIALLY_REFUNDED = "partially_refunded", pgettext_lazy("payment", "partially refunded")
        REFUNDED = "refunded", pgettext_lazy("payment", "refunded")
        CANCELLED = "cancelled", pgettext_lazy("payment", "closed")

    transaction_no = models.CharField(_("transaction number"), max_length=32, unique=True)
    channel_trade_no = models.CharField(
        _("channel transaction number"), max_length=64, blank=True, default=""
    )
    purpose = models.CharField(
        _("purpose"), max_length=10, choices=Purpose.choices, default=Purpose.ORDER
    )
    order = models.ForeignKey(
        "orders.Order",
        verbose_name=_("order"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="payment_transactions",
    )
    member = models.ForeignKey(
        "members.Member",
        verbose_name=_("member"),
        on_delete=models.PROTECT,
        related_name="payment_transactions",
    )
    region = models.ForeignKey(
        "rbac.SalesRegion",
        verbose_name=_("sales region"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    channel = models.CharField(_("payment channel"), max_length=10, choices=Channel.choices)
    scene = models.CharField(_("scene"), max_length=15, choices=Scene.choices, default=Scene.JSAPI)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.UNPAID
    )
    total_amount = MoneyField(_("amount due"))
    discount_amount = MoneyField(_("channel discount"), default=0)
    paid_amount = MoneyField(_("paid amount"), default=0)
    refunded_amount = MoneyField(_("refunded amount"), default=0)
    fee_amount = MoneyField(_("channel fee"), default=0)
    payer_encrypted = models.TextField(_("payer (encrypted)"), editable=False, blank=True)
    expires_at = models.DateTimeField(_("pay before"), null=True, blank=True)
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    last_queried_at = models.DateTimeField(_("last queried at"), null=True, blank=True)
    pay_params = models.JSONField(_("client pay parameters"), default=dict, blank=True)

    payer = _encrypted_property("payer_encrypted", "payments.payer")
    ENCRYPTED_COLUMNS = {"payer_encrypted": "payments.payer"}

    class Meta:
        verbose_name = _("payment transaction")
        verbose_name_plural = _("payment transactions")
        ordering = ["-id"]
        permissions = [
            ("export_paymenttransaction", _("Can export payment transactions")),
            ("view_payment_pii", _("Can see payers unmasked")),
            ("manage_payment_anomaly", _("Can resolve payment anomalies")),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(total_amount__gte=0)
                & Q(discount_amount__gte=0)
                & Q(paid_amount__gte=0)
                & Q(fee_amount__gte=0),
                name="payments_txn_amounts_non_negative",
            ),
            models.CheckConstraint(
                condition=Q(refunded_amount__gte=0) & Q(refunded_amount__lte=F("paid_amount")),
                name="payments_txn_refund_within_paid",
            ),
            models.CheckConstraint(
                condition=Q(purpose="recharge", order__isnull=True)
                | Q(purpose="order", order__isnull=False),
                name="payments_txn_order_matches_purpose",
            ),
            models.UniqueConstraint(
                fields=["channel", "channel_trade_no"],
                condition=~Q(channel_trade_no=""),
                name="payments_txn_channel_trade_no_unique",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "created_at"], name="payments_txn_status_idx"),
            models.Index(fields=["channel", "paid_at"], name="payments_txn_channel_paid_idx"),
            models.Index(fields=["region", "-id"], name="payments_txn_region_idx"),
            SearchIndex(field="transaction_no", name="payments_txn_no_search"),
            SearchIndex(field="channel_trade_no", name="payments_txn_trade_no_search"),
        ]

    def __str__(self) -> str:
        return self.transaction_no

    @property
    def refundable_amount(self):
        return self.paid_amount - self.refunded_amount


class Refund(TimeStampedModel):
    """Money going back through the channel that collected it (退款单).

    ``refund_no`` is ours (out_refund_no / 退款请求号) and the channel's idempotency
    key: sending the same refund again never refunds twice. ``after_sale_case_no``
    names the orders case it executes (empty for payments' own refunds of a
    duplicate payment).
    """

    class Status(models.TextChoices):
        PENDING = "pending", pgettext_lazy("refund", "waiting to be sent")
        PROCESSING = "processing", pgettext_lazy("refund", "processing at the channel")
        SUCCEEDED = "succeeded", pgettext_lazy("refund", "refunded")
        FAILED = "failed", pgettext_lazy("refund", "failed")

    class Source(models.TextChoices):
        AFTER_SALE = "after_sale", _("after-sales / cancellation refund")
        DUPLICATE = "duplicate", _("duplicate payment")
        RECHARGE = "recharge", _("balance withdrawal")

    refund_no = models.CharField(_("refund number"), max_length=32, unique=True)
    channel_refund_no = models.CharField(
        _("channel refund number"), max_length=64, blank=True, default=""
    )
    transaction = models.ForeignKey(
        PaymentTransaction,
        verbose_name=_("payment transaction"),
        on_delete=models.PROTECT,
        related_name="refunds",
    )
    order = models.ForeignKey(
        "orders.Order",
        verbose_name=_("order"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="payment_refunds",
    )
    region = models.ForeignKey(
        "rbac.SalesRegion",
        verbose_name=_("sales region"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    channel = models.CharField(_("payment channel"), max_length=10, choices=Channel.choices)
    source = models.CharField(_("source"), max_length=12, choices=Source.choices)
    after_sale_case_no = models.CharField(
        _("after-sales case"), max_length=32, blank=True, default="", db_index=True
    )
    amount = MoneyField(_("refund amount"))
    fee_refund_amount = MoneyField(_("fee returned"), default=0)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=300, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    succeeded_at = models.DateTimeField(_("refunded at"), null=True, blank=True)

    class Meta:
        verbose_name = pgettext_lazy("payments", "refund")
        verbose_name_plural = _("refunds")
        ordering = ["-id"]
        permissions = [
            ("retry_refund", _("Can retry failed refunds")),
            ("export_refund", _("Can export refunds")),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gt=0) & Q(fee_refund_amount__gte=0),
                name="payments_refund_amount_positive",
            ),
            models.UniqueConstraint(
                fields=["after_sale_case_no"],
                condition=~Q(after_sale_case_no=""),
                name="payments_refund_one_per_case",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="payments_refund_due_idx"),
            models.Index(fields=["channel", "succeeded_at"], name="payments_refund_ch_done_idx"),
            SearchIndex(field="refund_no", name="payments_refund_no_search"),
        ]

    def __str__(self) -> str:
        return self.refund_no


class CallbackRecord(models.Model):
    """Every notification a channel sent us, kept as received (回调日志).

    Written in its own transaction before anything is applied, so a forged or failing
    callback is on record too. ``body`` is the raw body, encrypted (it may carry the
    payer's identity); ``headers`` keeps only the channel's signature headers.
    """

    class Kind(models.TextChoices):
        PAYMENT = "payment", _("payment notification")
        REFUND = "refund", _("refund notification")

    class Outcome(models.TextChoices):
        RECEIVED = "received", _("received")
        APPLIED = "applied", pgettext_lazy("payments", "applied")
        DUPLICATE = "duplicate", _("already applied")
        IGNORED = "ignored", _("nothing to do")
        REJECTED = "rejected", pgettext_lazy("payments", "rejected")
        ANOMALY = "anomaly", _("anomaly recorded")

    channel = models.CharField(_("payment channel"), max_length=10, choices=Channel.choices)
    kind = models.CharField(_("type"), max_length=10, choices=Kind.choices)
    received_at = models.DateTimeField(
        pgettext_lazy("payments", "received at"), auto_now_add=True, db_index=True
    )
    remote_ip = models.GenericIPAddressField(_("sender IP"), null=True, blank=True)
    headers = models.JSONField(_("signature headers"), default=dict, blank=True)
    body_encrypted = models.TextField(_("body (encrypted)"), editable=False, blank=True)
    verified = models.BooleanField(_("signature valid"), default=False)
    outcome = models.CharField(
        pgettext_lazy("payments", "outcome"),
        max_length=10,
        choices=Outcome.choices,
        default=Outcome.RECEIVED,
    )
    error_code = models.CharField(_("error code"), max_length=40, blank=True)
    reference_no = models.CharField(_("transaction / refund number"), max_length=64, blank=True)
    transaction = models.ForeignKey(
        PaymentTransaction,
        verbose_name=_("payment transaction"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="callbacks",
    )
    region = models.ForeignKey(
        "rbac.SalesRegion",
        verbose_name=_("sales region"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    body = _encrypted_property("body_encrypted", "payments.callback")
    ENCRYPTED_COLUMNS = {"body_encrypted": "payments.callback"}

    class Meta:
        verbose_name = _("payment callback")
        verbose_name_plural = _("payment callbacks")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["outcome", "received_at"], name="payments_cb_outcome_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.kind} {self.received_at:%Y-%m-%d %H:%M:%S}"


class PaymentAnomaly(TimeStampedModel):
    """Something about money that a person must look at (支付异常).

    One per (kind, transaction): a channel repeating the same bad notification does not
    open another.
    """

    class Kind(models.TextChoices):
        AMOUNT_MISMATCH = "amount_mismatch", _("amount differs from the order")
        PAID_AFTER_CANCEL = "paid_after_cancel", _("paid after cancellation")
        DUPLICATE_PAYMENT = "duplicate_payment", _("paid twice")
        UNKNOWN_TRANSACTION = "unknown_transaction", _("unknown transaction")
        REFUND_FAILED = "refund_failed", _("refund failed")

    class Status(models.TextChoices):
        OPEN = "open", pgettext_lazy("anomaly", "open")
        RESOLVED = "resolved", pgettext_lazy("anomaly", "resolved")

    kind = models.CharField(_("type"), max_length=20, choices=Kind.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN
    )
    channel = models.CharField(_("payment channel"), max_length=10, choices=Channel.choices)
    transaction = models.ForeignKey(
        PaymentTransaction,
        verbose_name=_("payment transaction"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="anomalies",
    )
    refund = models.ForeignKey(
        Refund,
        verbose_name=pgettext_lazy("payments", "refund"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="anomalies",
    )
    reference_no = models.CharField(_("transaction / refund number"), max_length=64, blank=True)
    region = models.ForeignKey(
        "rbac.SalesRegion",
        verbose_name=_("sales region"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    expected_amount = MoneyField(_("expected amount"), null=True, blank=True)
    reported_amount = MoneyField(_("reported amount"), null=True, blank=True)
    detail = models.CharField(pgettext_lazy("payments", "detail"), max_length=300, blank=True)
    resolution_note = models.CharField(_("resolution note"), max_length=300, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("resolved by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    resolved_at = models.DateTimeField(
        pgettext_lazy("payments", "resolved at"), null=True, blank=True
    )

    class Meta:
        verbose_name = _("payment anomaly")
        verbose_name_plural = _("payment anomalies")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "reference_no"], name="payments_anomaly_one_per_reference"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.reference_no}"


class Settlement(TimeStampedModel):
    """One channel's money for one day (结算单): gross, fees, refunds, net.

    Recomputed from transactions and refunds until confirmed; ``expected_on`` is the
    day the channel pays out (T+0 / T+1 per channel, a system parameter). Never
    deleted: settlements, transactions, refunds and callback records are the payment
    vouchers finance keeps at least two years (nothing in the system purges them).
    """

    class Status(models.TextChoices):
        DRAFT = "draft", pgettext_lazy("settlement", "computed")
        CONFIRMED = "confirmed", pgettext_lazy("settlement", "confirmed")

    channel = models.CharField(_("payment channel"), max_length=10, choices=Channel.choices)
    business_date = models.DateField(_("business date"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    payment_count = models.PositiveIntegerField(_("payments"), default=0)
    gross_amount = MoneyField(_("gross received"), default=0)
    fee_amount = MoneyField(_("fees"), default=0)
    refund_count = models.PositiveIntegerField(_("refunds"), default=0)
    refund_amount = MoneyField(_("refunded"), default=0)
    fee_refund_amount = MoneyField(_("fees returned"), default=0)
    net_amount = MoneyField(_("net"), default=0)  # may be negative (refunds > receipts)
    expected_on = models.DateField(_("expected settlement date"))
    computed_at = models.DateTimeField(_("computed at"), null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("confirmed by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("settlement")
        verbose_name_plural = _("settlements")
        ordering = ["-business_date", "channel"]
        permissions = [
            ("confirm_settlement", _("Can confirm settlements")),
            ("export_settlement", _("Can export settlements")),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "business_date"], name="payments_settlement_one_per_day"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} {self.business_date}"


class ChannelCall(models.Model):
    """One call to a channel's server or one notification from it: the health samples."""

    class Operation(models.TextChoices):
        CREATE = "create", _("create payment")
        QUERY = "query", _("query")
        CLOSE = "close", _("close")
        REFUND = "refund", pgettext_lazy("payments operation", "refund")
        NOTIFY = "notify", pgettext_lazy("payments", "notification")
        BILL = "bill", _("bill download")

    channel = models.CharField(_("payment channel"), max_length=10, choices=Channel.choices)
    operation = models.CharField(_("operation"), max_length=10, choices=Operation.choices)
    ok = models.BooleanField(_("succeeded"))
    latency_ms = models.PositiveIntegerField(_("latency (ms)"))
    error_code = models.CharField(_("error code"), max_length=40, blank=True)
    at = models.DateTimeField(_("at"), db_index=True)

    class Meta:
        verbose_name = _("channel call")
        verbose_name_plural = _("channel calls")
        ordering = ["-id"]
        indexes = [models.Index(fields=["channel", "at"], name="payments_call_channel_at_idx")]

    def __str__(self) -> str:
        return f"{self.channel} {self.operation} {'ok' if self.ok else 'failed'}"


class ChannelHealth(models.Model):
    """The last computed health of one channel (渠道健康)."""

    class State(models.TextChoices):
        HEALTHY = "healthy", _("healthy")
        DEGRADED = "degraded", _("degraded")
        UNKNOWN = "unknown", _("no traffic")

    channel = models.CharField(
        _("payment channel"), max_length=10, choices=Channel.choices, unique=True
    )
    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.UNKNOWN
    )
    success_rate = models.DecimalField(
        _("success rate"), max_digits=5, decimal_places=4, null=True, blank=True
    )
    latency_p95_ms = models.PositiveIntegerField(_("latency p95 (ms)"), null=True, blank=True)
    calls = models.PositiveIntegerField(_("calls in window"), default=0)
    window_minutes = models.PositiveSmallIntegerField(_("window (minutes)"), default=15)
    changed_at = models.DateTimeField(_("state since"), null=True, blank=True)
    computed_at = models.DateTimeField(_("computed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("channel health")
        verbose_name_plural = _("channel health")
        ordering = ["channel"]

    def __str__(self) -> str:
        return f"{self.get_channel_display()}: {self.get_state_display()}"
