"""Kernel models: the abstract base model, idempotency keys, job runs and file jobs."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class TimeStampedModel(models.Model):
    """Base for domain rows: creation and last-change times."""

    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        abstract = True


class IdempotencyKey(models.Model):
    """One ``Idempotency-Key`` a caller sent, with the response to replay.

    Unique per caller (``owner``): two callers may use the same key string.
    """

    class State(models.TextChoices):
        IN_FLIGHT = "in_flight", _("in flight")
        DONE = "done", _("done")

    owner = models.CharField(_("caller"), max_length=80)
    key = models.CharField(_("key"), max_length=255)
    method = models.CharField(_("method"), max_length=10)
    path = models.CharField(_("path"), max_length=500)
    request_hash = models.CharField(_("request fingerprint"), max_length=64)
    state = models.CharField(_("state"), max_length=10, choices=State.choices)
    response_status = models.PositiveSmallIntegerField(_("response status"), null=True)
    response_body = models.JSONField(_("response body"), null=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires at"), db_index=True)

    class Meta:
        verbose_name = _("idempotency key")
        verbose_name_plural = _("idempotency keys")
        constraints = [
            models.UniqueConstraint(fields=["owner", "key"], name="core_idempotency_owner_key")
        ]

    def __str__(self) -> str:
        return f"{self.owner} {self.key}"


class JobRun(models.Model):
    """One run of a Celery job: when, how it ended, what it reported."""

    class Status(models.TextChoices):
        RUNNING = "running", _("running")
        SUCCEEDED = "succeeded", _("succeeded")
        FAILED = "failed", _("failed")

    name = models.CharField(_("job"), max_length=150, db_index=True)
    task_id = models.CharField(_("task id"), max_length=64, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices)
    started_at = models.DateTimeField(_("started at"), auto_now_add=True, db_index=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    result = models.JSONField(_("result"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        verbose_name = _("job run")
        verbose_name_plural = _("job runs")
        ordering = ["-started_at"]
        # The admin adds -id to make the order total: serve both from one index.
        indexes = [models.Index(fields=["started_at", "id"], name="core_jobrun_started_id")]

    def __str__(self) -> str:
        return f"{self.name} {self.status}"


def private_storage():
    """Files only the application serves (exports, uploads): never under MEDIA_URL."""
    from django.core.files.storage import storages

    return storages["private"]


class FileJob(models.Model):
    """An export or import run in the background for one staff member.

    Status moves only through ``mall.core.transitions`` (``FILE_JOB_TRANSITIONS`` in
    ``mall.core.filejobs``).
    ``parameters`` holds what is needed to redo the work — export name, format and
    the filters as the caller sent them — never personal data in plain text.
    """

    class Kind(models.TextChoices):
        EXPORT = "export", _("export")
        IMPORT = "import", _("import")

    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        RUNNING = "running", _("running")
        SUCCEEDED = "succeeded", _("succeeded")
        FAILED = "failed", _("failed")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    name = models.CharField(_("job"), max_length=150)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("started by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    rows_done = models.PositiveIntegerField(_("rows done"), default=0)
    rows_total = models.PositiveIntegerField(_("rows in total"), null=True, blank=True)
    parameters = models.JSONField(_("parameters"), default=dict, blank=True)
    input_file = models.FileField(
        _("uploaded file"), storage=private_storage, upload_to="jobs/in/", blank=True
    )
    result_file = models.FileField(
        _("result file"), storage=private_storage, upload_to="jobs/out/", blank=True
    )
    result_name = models.CharField(_("download name"), max_length=200, blank=True)
    result = models.JSONField(_("result"), default=dict, blank=True)
    error = models.TextField(_("error"), blank=True)
    task_id = models.CharField(_("task id"), max_length=64, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True, db_index=True)

    class Meta:
        verbose_name = _("export/import job")
        verbose_name_plural = _("my jobs")
        ordering = ["-id"]
        indexes = [models.Index(fields=["requested_by", "-id"], name="core_filejob_requester")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(progress__lte=100), name="core_filejob_progress_max_100"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk} {self.name}"


class StaffToken(models.Model):
    """A staff API token: one per device, named; only a keyed hash of the key is stored.

    The plaintext key is shown once, by ``token_create``. ``prefix`` (the key's first
    characters) lets its owner tell tokens apart; it does not authenticate.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("staff user"),
        on_delete=models.CASCADE,
        related_name="staff_tokens",
    )
    name = models.CharField(_("device name"), max_length=100, blank=True)
    key_hash = models.CharField(_("token hash"), max_length=64, unique=True)
    prefix = models.CharField(_("prefix"), max_length=8)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires at"), db_index=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("staff API token")
        verbose_name_plural = _("staff API tokens")
        ordering = ["-created_at", "-id"]
        permissions = [("manage_stafftoken", _("Can list and revoke other staff's API tokens"))]

    def __str__(self) -> str:
        return f"{self.prefix}… {self.name}".strip()

    @property
    def is_live(self) -> bool:
        from django.utils import timezone

        return self.revoked_at is None and self.expires_at > timezone.now()


class StaffTwoFactor(models.Model):
    """A staff user's TOTP authenticator: the secret (encrypted), confirmed or pending."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("staff user"),
        on_delete=models.CASCADE,
        related_name="two_factor",
    )
    secret_encrypted = models.TextField(_("secret (encrypted)"))
    confirmed_at = models.DateTimeField(_("enrolled at"), null=True, blank=True)
    last_step = models.BigIntegerField(_("last code step used"), null=True, blank=True)

    class Meta:
        verbose_name = _("two-factor authenticator")
        verbose_name_plural = _("two-factor authenticators")

    def __str__(self) -> str:
        return str(self.user)


class StaffRecoveryCode(models.Model):
    """A one-time recovery code for two-factor login; only its keyed hash is stored."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("staff user"),
        on_delete=models.CASCADE,
        related_name="recovery_codes",
    )
    code_hash = models.CharField(_("code hash"), max_length=64, unique=True)
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)

    class Meta:
        verbose_name = _("recovery code")
        verbose_name_plural = _("recovery codes")

    def __str__(self) -> str:
        return f"{self.user} {self.pk}"
