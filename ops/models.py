"""System management: the audit log (操作日志)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditEntryQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise PermissionError("audit entries are append-only")

    def delete(self):
        raise PermissionError("audit entries are append-only; use audit_entries_purge")


class AuditEntry(models.Model):
    """One audited event. Append-only and hash-chained by ``seq``.

    ``hash`` = SHA-256 over this entry's canonical content and ``prev_hash`` (the
    previous entry's hash), so editing or removing any entry breaks the chain;
    ``manage.py audit_verify`` finds the first broken link.
    """

    seq = models.PositiveBigIntegerField(_("sequence"), unique=True)
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
    hash = models.CharField(_("hash"), max_length=64)

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit log")
        ordering = ["-seq"]
        indexes = [
            models.Index(fields=["object_type", "object_id"], name="ops_audit_object_idx"),
            models.Index(fields=["actor", "at"], name="ops_audit_actor_at_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.object_type}:{self.object_id}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise PermissionError("audit entries are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("audit entries are append-only")


class AuditChainHead(models.Model):
    """The chain's last link (one row), so removing the newest entries is detected too.

    Its row lock also serialises appends: concurrent writers take turns at the head.
    """

    seq = models.PositiveBigIntegerField(default=0)
    hash = models.CharField(max_length=64, blank=True)

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
        permissions = [("approve_parameter_change", _("Can approve system parameter changes"))]

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
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    rejection_reason = models.TextField(_("rejection reason"), blank=True)

    class Meta:
        verbose_name = _("parameter change request")
        verbose_name_plural = _("parameter change requests")
        ordering = ["-requested_at"]

    def __str__(self) -> str:
        return f"{self.key} → {self.new_value}"
