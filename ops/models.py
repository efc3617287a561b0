"""System management: audit log (操作日志), system parameters (系统参数), SLA clocks (时效)
and the staff notification inbox."""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _

from mall.core.indexes import SearchIndex


class AuditEntryQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise PermissionError("audit entries are append-only")

    def delete(self):
        raise PermissionError("audit entries are append-only; use audit_entries_purge")


class AuditEntry(models.Model):
    """One audited event. Append-only; chained by a sealer after its transaction commits.

    A business transaction only inserts its entry (``seq`` empty). The sealer
    (``ops.audit_chain.audit_entries_seal``) takes committed unsealed entries in
    ``id`` order, gives each the next ``seq``, the previous entry's ``hash`` as
    ``prev_hash`` and ``hash`` = HMAC-SHA256 (key ``key_id``) over its content and
    those chain fields, so editing or removing any sealed entry breaks the chain;
    ``manage.py audit_verify`` finds the first broken link.
    """

    seq = models.PositiveBigIntegerField(_("sequence"), unique=True, null=True, blank=True)
    at = models.DateTimeField(_("time"), db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    actor_label = models.CharField(_("actor name"), max_length=150, blank=True)
    action = models.CharField(_("action"), max_length=100, db_index=True)
    object_type = models.CharField(_("object type"), max_length=100, blank=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    before = models.JSONField(_("before"), null=True, blank=True)
    after = models.JSONField(_("after"), null=True, blank=True)
    data = models.JSONField(_("details"), null=True, blank=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    request_id = models.CharField(_("request id"), max_length=64, blank=True)
    prev_hash = models.CharField(_("previous hash"), max_length=64, blank=True)
    hash = models.CharField(_("hash"), max_length=64, blank=True)
    key_id = models.CharField(_("key id"), max_length=32, blank=True)
    sealed_at = models.DateTimeField(_("sealed at"), null=True, blank=True)

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit log")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["object_type", "object_id"], name="ops_audit_object_idx"),
            models.Index(fields=["actor", "at"], name="ops_audit_actor_at_idx"),
            models.Index(
                fields=["id"],
                condition=models.Q(seq__isnull=True),
                name="ops_audit_unsealed_idx",
            ),
            # The admin at a million rows: exact request id / object id searches, and
            # filter choices of a reader who sees only their own entries.
            SearchIndex(field="request_id", name="ops_audit_request_search"),
            SearchIndex(field="object_id", name="ops_audit_object_id_search"),
            models.Index(fields=["actor", "action"], name="ops_audit_actor_action_idx"),
            models.Index(fields=["actor", "object_type"], name="ops_audit_actor_type_idx"),
        ]

    def __str__(self) -> str:
        from mall.core.labels import action_label, object_type_label

        position = f"#{self.seq}" if self.seq is not None else f"({self.pk})"
        target = object_type_label(self.object_type)
        if self.object_id:
            target = f"{target} #{self.object_id}"
        return " ".join(part for part in (position, action_label(self.action), target) if part)

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise PermissionError("audit entries are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("audit entries are append-only")

    @property
    def is_sealed(self) -> bool:
        return self.seq is not None


class AuditChainHead(models.Model):
    """The chain's last sealed link (one row), so removing the newest entries is found.

    Its row lock serialises the sealer (never a business transaction). ``first_seq``
    is the first sequence number kept after the retention purges, so a purge is told
    apart from a deleted prefix (the purge also anchors it outside the database).
    """

    seq = models.PositiveBigIntegerField(default=0)
    hash = models.CharField(max_length=64, blank=True)
    first_seq = models.PositiveBigIntegerField(default=1)
    sealed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("audit chain head")
        verbose_name_plural = _("audit chain head")

    def __str__(self) -> str:
        return f"head #{self.seq}"


class SystemParameter(models.Model):
    """The current value of one business setting (系统参数), when it differs from the default.

    Defaults live in code (``ops.parameters.register_parameter``); a row exists once
    a change request has been approved and applied.
    """

    key = models.CharField(_("key"), max_length=100, unique=True)
    value = models.JSONField(_("value"))
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("updated by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("system parameter")
        verbose_name_plural = _("system parameters")
        ordering = ["key"]
        permissions = [
            ("approve_parameter_change", _("Can approve system parameter changes")),
            (
                "approve_parameter_change_tech",
                _("Can approve system parameter changes as tech lead"),
            ),
        ]

    def __str__(self) -> str:
        return self.key


class ParameterChangeRequest(models.Model):
    """A request to change a system parameter: needs a business owner and a tech lead."""

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        APPLIED = "applied", _("applied")
        REJECTED = "rejected", _("rejected")
        WITHDRAWN = "withdrawn", _("withdrawn")

    key = models.CharField(_("parameter"), max_length=100, db_index=True)
    old_value = models.JSONField(_("old value"), null=True, blank=True)
    new_value = models.JSONField(_("new value"))
    reason = models.TextField(_("reason"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    requested_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    business_approver = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("business owner approval"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    tech_approver = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("tech lead approval"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    business_approved_at = models.DateTimeField(
        _("business owner approved at"), null=True, blank=True
    )
    tech_approved_at = models.DateTimeField(_("tech lead approved at"), null=True, blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    rejection_reason = models.TextField(_("rejection reason"), blank=True)

    class Meta:
        verbose_name = _("parameter change request")
        verbose_name_plural = _("parameter change requests")
        ordering = ["-requested_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["key"],
                condition=models.Q(status="pending"),
                name="ops_parameter_one_pending_request",
            ),
        ]

    def __str__(self) -> str:
        from django.utils.html import strip_tags

        from .parameters import format_parameter_value, parameter_label

        value = strip_tags(str(format_parameter_value(self.key, self.new_value)))
        return f"{parameter_label(self.key)} → {value}"


class SlaClock(models.Model):
    """One deadline (时效) on one subject: started, due, and whether it was kept.

    ``status`` is the verdict: ``open`` while running and not yet due, ``breached``
    once the deadline passed (set by the scan, or when stopped late), ``met`` when
    stopped in time, ``cancelled`` when stopped because the wait no longer applies.
    ``closed_at`` is empty while the clock runs; at most one running clock exists
    per (kind, subject).
    """

    class Status(models.TextChoices):
        OPEN = "open", _("open")
        MET = "met", _("met")
        BREACHED = "breached", _("breached")
        CANCELLED = "cancelled", _("cancelled")

    class Outcome(models.TextChoices):
        MET = "met", _("done")
        CANCELLED = "cancelled", _("cancelled")

    kind = models.CharField(_("kind"), max_length=50)
    subject_type = models.ForeignKey(
        ContentType, verbose_name=_("subject type"), on_delete=models.PROTECT, related_name="+"
    )
    subject_id = models.CharField(_("subject id"), max_length=64)
    subject_label = models.CharField(_("subject"), max_length=200, blank=True)
    region = models.ForeignKey(
        "rbac.SalesRegion",
        verbose_name=_("sales region"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN
    )
    started_at = models.DateTimeField(_("started at"))
    due_at = models.DateTimeField(_("due at"))
    extended_minutes = models.PositiveIntegerField(_("extended by (minutes)"), default=0)
    breached_at = models.DateTimeField(_("breached at"), null=True, blank=True)
    escalated_at = models.DateTimeField(_("escalated at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closed_outcome = models.CharField(
        _("closed as"), max_length=10, choices=Outcome.choices, blank=True
    )

    class Meta:
        verbose_name = _("SLA clock")
        verbose_name_plural = _("SLA clocks")
        ordering = ["due_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "subject_type", "subject_id"],
                condition=models.Q(closed_at__isnull=True),
                name="ops_sla_one_running_clock",
            ),
            models.CheckConstraint(
                condition=models.Q(due_at__gte=models.F("started_at")),
                name="ops_sla_due_after_start",
            ),
        ]
        indexes = [
            models.Index(fields=["subject_type", "subject_id"], name="ops_sla_subject_idx"),
            models.Index(
                fields=["due_at"],
                condition=models.Q(closed_at__isnull=True),
                name="ops_sla_running_due_idx",
            ),
        ]
        permissions = [
            ("extend_slaclock", _("Can extend SLA clocks")),
            ("receive_sla_escalation", _("Receives SLA breach escalations")),
        ]

    def __str__(self) -> str:
        return f"{self.kind} · {self.subject_label or self.subject_id}"

    @property
    def is_running(self) -> bool:
        return self.closed_at is None


class SlaClockExtension(models.Model):
    """One extension of an SLA clock, with its reason (the clock's extension history)."""

    clock = models.ForeignKey(
        SlaClock, verbose_name=_("SLA clock"), on_delete=models.CASCADE, related_name="extensions"
    )
    minutes = models.PositiveIntegerField(_("minutes"))
    reason = models.TextField(_("reason"))
    previous_due_at = models.DateTimeField(_("previous due time"))
    new_due_at = models.DateTimeField(_("new due time"))
    previous_status = models.CharField(_("status before"), max_length=10)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("extended by"), on_delete=models.PROTECT
    )
    created_at = models.DateTimeField(_("time"), auto_now_add=True)

    class Meta:
        verbose_name = _("SLA clock extension")
        verbose_name_plural = _("SLA clock extensions")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"+{self.minutes} min"


class StaffNotification(models.Model):
    """One message in a staff member's in-admin inbox (low stock, review waiting, SLA breach)."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        on_delete=models.CASCADE,
        related_name="staff_notifications",
    )
    kind = models.CharField(_("kind"), max_length=50, db_index=True)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("body"), blank=True)
    link = models.CharField(_("link"), max_length=500, blank=True)
    dedupe_key = models.CharField(_("deduplication key"), max_length=200, blank=True)
    # What the notice is about ("catalog.product:12", mall.core.subjects.subject_key):
    # when that thing is decided, its open notices are resolved (notifications_resolve).
    subject_key = models.CharField(_("subject"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)

    class Meta:
        verbose_name = _("staff notification")
        verbose_name_plural = _("my notifications")
        ordering = ["-created_at", "-id"]
        constraints = [
            # One OPEN notice per (recipient, key): once its subject is decided
            # (resolved), the same key may notify again — a stock alert that clears
            # and comes back the same day is news again.
            models.UniqueConstraint(
                fields=["recipient", "dedupe_key"],
                condition=~models.Q(dedupe_key="") & models.Q(resolved_at__isnull=True),
                name="ops_notification_open_dedupe",
            ),
        ]
        indexes = [
            models.Index(fields=["recipient", "read_at"], name="ops_notification_unread_idx"),
            # The inbox changelist: one recipient's rows newest first (-created_at, -id),
            # and the kinds in their inbox (the "kind" filter's choices).
            models.Index(
                fields=["recipient", "created_at", "id"], name="ops_notification_inbox_idx"
            ),
            models.Index(fields=["recipient", "kind"], name="ops_notification_kind_idx"),
            # Resolving a decided subject's open notices (every recipient's).
            models.Index(
                fields=["subject_key"],
                condition=models.Q(resolved_at__isnull=True) & ~models.Q(subject_key=""),
                name="ops_notification_open_subj_idx",
            ),
        ]

    def __str__(self) -> str:
        return self.title
