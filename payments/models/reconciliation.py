"""Reconciliation (对账): a channel's bill matched against our records, line by line.

* ``Reconciliation`` — one run: a payment channel's daily bill (``kind = payment_bill``)
  or a sales channel's settlement statement for a period (``kind = channel_statement``).
  Status ``queued → running → done | failed`` through ``RECONCILIATION_TRANSITIONS``;
  ``progress`` 0–100 while it runs. A run re-done for the same bill supersedes the
  earlier one (``superseded_by``); the earlier one's open discrepancies become
  ``superseded``. Runs are figures for the whole mall per channel (like settlements):
  function permission only.
* ``BillLine`` — every detail line of the bill as the channel sent it (kept: it is the
  voucher), with the outcome the matcher gave it and the record it matched.
* ``Discrepancy`` — every difference (对账差异), scoped by the matched record's sales
  region (an item with no record of ours has none: scope "all" only). Worked by
  finance: resolved with a note, re-queried at the channel, or corrected by an
  adjustment that a second finance user approves.
* ``ReconciliationAdjustment`` — a correction (调账). Nothing rewrites past ledger
  rows: an approved adjustment is itself the new entry (and, for a sales channel, a new
  entry in that channel's balance ledger).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from mall.core.indexes import SearchIndex
from mall.core.models import TimeStampedModel, private_storage
from mall.core.money import MoneyField

from .transactions import Channel, PaymentTransaction, Refund


class DiscrepancyKind(models.TextChoices):
    """The classes of API.md's summary (other than ``matched``), plus the fee check."""

    PLATFORM_ONLY = "platform_only", _("paid here, not at the channel (short)")
    CHANNEL_ONLY = "channel_only", _("paid at the channel, not here (long)")
    AMOUNT_MISMATCH = "amount_mismatch", _("payment amounts differ")
    REFUND_PLATFORM_ONLY = "refund_platform_only", _("refunded here, not at the channel")
    REFUND_CHANNEL_ONLY = "refund_channel_only", _("refunded at the channel, not here")
    REFUND_AMOUNT_MISMATCH = "refund_amount_mismatch", _("refund amounts differ")
    DUPLICATE = "duplicate", _("duplicate line")
    CROSS_DAY = "cross_day", _("cross-day item")
    FEE_MISMATCH = "fee_mismatch", _("fee differs from the rate")


# The keys of a run's ``summary`` (API.md), in the order reports show them.
SUMMARY_KEYS = ("matched", *[kind.value for kind in DiscrepancyKind])


class Reconciliation(TimeStampedModel):
    """One reconciliation run (对账批次)."""

    class Kind(models.TextChoices):
        PAYMENT_BILL = "payment_bill", _("payment channel bill")
        CHANNEL_STATEMENT = "channel_statement", _("sales channel statement")

    class Status(models.TextChoices):
        QUEUED = "queued", pgettext_lazy("reconciliation", "queued")
        RUNNING = "running", pgettext_lazy("reconciliation", "running")
        DONE = "done", pgettext_lazy("reconciliation", "done")
        FAILED = "failed", pgettext_lazy("reconciliation", "failed")

    class Source(models.TextChoices):
        DOWNLOAD = "download", _("downloaded from the channel")
        UPLOAD = "upload", _("uploaded by finance")

    kind = models.CharField(
        _("type"), max_length=20, choices=Kind.choices, default=Kind.PAYMENT_BILL
    )
    channel = models.CharField(
        _("payment channel"), max_length=10, choices=Channel.choices, blank=True, default=""
    )
    sales_channel = models.ForeignKey(
        "orders.SalesChannel",
        verbose_name=_("sales channel"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    bill_date = models.DateField(_("bill date"))  # a statement: the period's first day
    period_end = models.DateField(_("period end"))  # a daily bill: = bill_date
    source = models.CharField(_("source"), max_length=10, choices=Source.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    rows_done = models.PositiveIntegerField(_("lines done"), default=0)
    rows_total = models.PositiveIntegerField(_("lines in total"), null=True, blank=True)
    bill_file = models.FileField(
        _("bill file"), storage=private_storage, upload_to="reconciliation/", blank=True
    )
    bill_name = models.CharField(_("file name"), max_length=200, blank=True)
    bill_sha256 = models.CharField(_("file SHA-256"), max_length=64, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("started by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )  # None: the daily schedule
    task_id = models.CharField(_("task id"), max_length=64, blank=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)
    error_code = models.CharField(_("error code"), max_length=40, blank=True)
    # {"matched": n, "platform_only": n, …} — SUMMARY_KEYS, counted when the run ends
    summary = models.JSONField(_("summary"), default=dict, blank=True)
    # the bill's own summary lines, our figures, matched totals, the tie-out (Decimals as
    # strings): see docs/RECONCILIATION.md "Totals"
    totals = models.JSONField(_("totals"), default=dict, blank=True)
    open_count = models.PositiveIntegerField(_("open discrepancies"), default=0)
    open_amount = MoneyField(_("amount at stake"), default=0)
    superseded_by = models.ForeignKey(
        "self",
        verbose_name=_("superseded by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("reconciliation")
        verbose_name_plural = _("reconciliations")
        ordering = ["-bill_date", "-id"]
        permissions = [
            ("run_reconciliation", _("Can run reconciliations and upload bills")),
            ("export_reconciliation", _("Can download reconciliation reports")),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(progress__lte=100), name="payments_recon_progress_max_100"
            ),
            models.CheckConstraint(
                condition=(Q(kind="payment_bill") & ~Q(channel="") & Q(sales_channel__isnull=True))
                | (Q(kind="channel_statement") & Q(channel="") & Q(sales_channel__isnull=False)),
                name="payments_recon_kind_matches_channel",
            ),
            models.CheckConstraint(
                condition=Q(period_end__gte=F("bill_date")), name="payments_recon_period_order"
            ),
            # one run in flight per bill: a second start answers 409
            models.UniqueConstraint(
                fields=["channel", "bill_date"],
                condition=Q(status__in=["queued", "running"], kind="payment_bill"),
                name="payments_recon_bill_in_flight",
            ),
            models.UniqueConstraint(
                fields=["sales_channel", "bill_date"],
                condition=Q(status__in=["queued", "running"], kind="channel_statement"),
                name="payments_recon_stmt_in_flight",
            ),
        ]
        indexes = [
            models.Index(fields=["channel", "bill_date"], name="payments_recon_ch_date_idx"),
            models.Index(fields=["status", "bill_date"], name="payments_recon_status_idx"),
        ]

    def __str__(self) -> str:
        if self.kind == self.Kind.CHANNEL_STATEMENT:
            return f"{self.sales_channel} {self.bill_date}–{self.period_end}"
        return f"{self.get_channel_display()} {self.bill_date}"


class BillLine(models.Model):
    """One detail line of a bill (账单明细), as the channel sent it, and its outcome.

    Amounts are positive: a payment's order amount, a refund's refunded amount;
    ``fee_amount`` is the fee charged (payment) or returned (refund). Loaded in bulk
    (PostgreSQL ``COPY``); never edited by a person.
    """

    class Kind(models.TextChoices):
        PAYMENT = "payment", _("payment")
        REFUND = "refund", pgettext_lazy("payments", "refund")

    class Outcome(models.TextChoices):
        PENDING = "", _("not matched yet")
        MATCHED = "matched", _("matched")
        PLATFORM_ONLY = DiscrepancyKind.PLATFORM_ONLY.value, DiscrepancyKind.PLATFORM_ONLY.label
        CHANNEL_ONLY = DiscrepancyKind.CHANNEL_ONLY.value, DiscrepancyKind.CHANNEL_ONLY.label
        AMOUNT_MISMATCH = (
            DiscrepancyKind.AMOUNT_MISMATCH.value,
            DiscrepancyKind.AMOUNT_MISMATCH.label,
        )
        REFUND_CHANNEL_ONLY = (
            DiscrepancyKind.REFUND_CHANNEL_ONLY.value,
            DiscrepancyKind.REFUND_CHANNEL_ONLY.label,
        )
        REFUND_AMOUNT_MISMATCH = (
            DiscrepancyKind.REFUND_AMOUNT_MISMATCH.value,
            DiscrepancyKind.REFUND_AMOUNT_MISMATCH.label,
        )
        DUPLICATE = DiscrepancyKind.DUPLICATE.value, DiscrepancyKind.DUPLICATE.label
        CROSS_DAY = DiscrepancyKind.CROSS_DAY.value, DiscrepancyKind.CROSS_DAY.label

    reconciliation = models.ForeignKey(
        Reconciliation,
        verbose_name=_("reconciliation"),
        on_delete=models.PROTECT,
        related_name="lines",
    )
    line_no = models.PositiveIntegerField(_("line"))
    kind = models.CharField(_("type"), max_length=10, choices=Kind.choices)
    occurred_at = models.DateTimeField(_("time at the channel"))
    transaction_no = models.CharField(_("our transaction number"), max_length=64, blank=True)
    channel_trade_no = models.CharField(_("channel transaction number"), max_length=64, blank=True)
    refund_no = models.CharField(_("our refund number"), max_length=64, blank=True)
    channel_refund_no = models.CharField(_("channel refund number"), max_length=64, blank=True)
    amount = MoneyField(_("amount"))
    settle_amount = MoneyField(_("settlement amount"), default=0)
    fee_amount = MoneyField(_("fee"), default=0)
    channel_status = models.CharField(_("status at the channel"), max_length=30, blank=True)
    outcome = models.CharField(
        _("outcome"), max_length=24, choices=Outcome.choices, blank=True, default=""
    )
    transaction = models.ForeignKey(
        PaymentTransaction,
        verbose_name=_("payment transaction"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_constraint=False,  # bulk-loaded; the matcher sets it from a join
    )
    refund = models.ForeignKey(
        Refund,
        verbose_name=pgettext_lazy("payments", "refund"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_constraint=False,
    )

    class Meta:
        verbose_name = _("bill line")
        verbose_name_plural = _("bill lines")
        ordering = ["reconciliation", "line_no"]
        constraints = [
            models.UniqueConstraint(
                fields=["reconciliation", "line_no"], name="payments_billline_once"
            ),
            models.CheckConstraint(
                condition=Q(amount__gte=0) & Q(fee_amount__gte=0),
                name="payments_billline_amounts_non_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reconciliation_id}:{self.line_no}"


class Discrepancy(TimeStampedModel):
    """One difference found by a reconciliation (对账差异), worked by finance."""

    Kind = DiscrepancyKind

    class Status(models.TextChoices):
        HELD = "held", _("held for the next day's bill")
        OPEN = "open", pgettext_lazy("discrepancy", "open")
        CLEARED = "cleared", _("cleared automatically")
        RESOLVED = "resolved", pgettext_lazy("discrepancy", "resolved")
        ADJUSTED = "adjusted", _("adjusted")
        SUPERSEDED = "superseded", _("superseded by a new run")

    reconciliation = models.ForeignKey(
        Reconciliation,
        verbose_name=_("reconciliation"),
        on_delete=models.PROTECT,
        related_name="discrepancies",
    )
    kind = models.CharField(_("type"), max_length=24, choices=DiscrepancyKind.choices)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.OPEN
    )
    channel = models.CharField(
        _("payment channel"), max_length=10, choices=Channel.choices, blank=True, default=""
    )
    sales_channel = models.ForeignKey(
        "orders.SalesChannel",
        verbose_name=_("sales channel"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    business_date = models.DateField(_("business date"))
    bill_line = models.ForeignKey(
        BillLine,
        verbose_name=_("bill line"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    transaction = models.ForeignKey(
        PaymentTransaction,
        verbose_name=_("payment transaction"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="discrepancies",
    )
    refund = models.ForeignKey(
        Refund,
        verbose_name=pgettext_lazy("payments", "refund"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="discrepancies",
    )
    ledger_entry = models.ForeignKey(
        "orders.ChannelLedgerEntry",
        verbose_name=_("channel ledger entry"),
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
    transaction_no = models.CharField(_("our transaction number"), max_length=64, blank=True)
    refund_no = models.CharField(_("our refund number"), max_length=64, blank=True)
    channel_trade_no = models.CharField(_("channel transaction number"), max_length=64, blank=True)
    channel_refund_no = models.CharField(_("channel refund number"), max_length=64, blank=True)
    our_amount = MoneyField(_("our amount"), null=True, blank=True)
    channel_amount = MoneyField(_("channel amount"), null=True, blank=True)
    # what is at stake: |ours − theirs|, or the one side's amount when the other is missing
    difference_amount = MoneyField(_("amount at stake"), default=0)
    detail = models.CharField(pgettext_lazy("payments", "detail"), max_length=300, blank=True)
    held_until = models.DateField(_("held until"), null=True, blank=True)
    cleared_by = models.ForeignKey(
        Reconciliation,
        verbose_name=_("cleared by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
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
    last_queried_at = models.DateTimeField(_("last queried at"), null=True, blank=True)
    query_result = models.JSONField(_("channel query result"), default=dict, blank=True)

    class Meta:
        verbose_name = _("reconciliation discrepancy")
        verbose_name_plural = _("reconciliation discrepancies")
        ordering = ["-business_date", "-id"]
        permissions = [
            ("resolve_discrepancy", _("Can resolve reconciliation discrepancies")),
            ("propose_adjustment", _("Can propose reconciliation adjustments")),
            ("approve_adjustment", _("Can approve reconciliation adjustments")),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(difference_amount__gte=0), name="payments_discrepancy_diff_positive"
            ),
        ]
        indexes = [
            models.Index(fields=["status", "business_date"], name="payments_disc_status_idx"),
            models.Index(fields=["reconciliation", "kind"], name="payments_disc_run_kind_idx"),
            models.Index(fields=["region", "-id"], name="payments_disc_region_idx"),
            models.Index(fields=["transaction_no"], name="payments_disc_txn_no_idx"),
            models.Index(fields=["refund_no"], name="payments_disc_rfno_idx"),
            SearchIndex(field="channel_trade_no", name="payments_disc_trade_search"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.transaction_no or self.refund_no or self.pk}"


class ReconciliationAdjustment(TimeStampedModel):
    """A correction of a discrepancy (调账), proposed by one finance user and approved by
    another. Approved rows are never edited: they are the correction entries."""

    class Status(models.TextChoices):
        PROPOSED = "proposed", pgettext_lazy("adjustment", "waiting for approval")
        APPROVED = "approved", pgettext_lazy("adjustment", "approved")
        REJECTED = "rejected", pgettext_lazy("adjustment", "rejected")

    discrepancy = models.ForeignKey(
        Discrepancy,
        verbose_name=_("reconciliation discrepancy"),
        on_delete=models.PROTECT,
        related_name="adjustments",
    )
    region = models.ForeignKey(
        "rbac.SalesRegion",
        verbose_name=_("sales region"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # signed: + money we record as received (or a channel balance credit), − the reverse
    amount = MoneyField(_("adjustment amount"))
    note = models.CharField(_("reason"), max_length=300)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PROPOSED
    )
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("proposed by"),
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
    decision_note = models.CharField(_("decision note"), max_length=300, blank=True)
    ledger_reference = models.CharField(_("ledger entry"), max_length=60, blank=True)

    class Meta:
        verbose_name = _("reconciliation adjustment")
        verbose_name_plural = _("reconciliation adjustments")
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(amount=0), name="payments_adjustment_amount_not_zero"
            ),
            # the two-person rule, on the row itself
            models.CheckConstraint(
                condition=Q(decided_by__isnull=True) | ~Q(decided_by=F("proposed_by")),
                name="payments_adjustment_two_people",
            ),
            models.UniqueConstraint(
                fields=["discrepancy"],
                condition=Q(status="proposed"),
                name="payments_adjustment_one_pending",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.discrepancy_id} {self.amount}"
