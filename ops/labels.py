"""Chinese labels of the codes ops and the kernel write (collected by ``mall.core.labels``).

The kernel (``mall.core``: sign-in, API tokens, exports, jobs) has no labels module of
its own: its codes are labelled here, beside the audit log that shows them.

Audit actions, staff notification kinds and scheduled tasks: every code a screen
shows has a label here, so the audit log, the inbox and the schedule read in Chinese.
"""

from django.utils.translation import gettext_lazy as _

ACTION_LABELS = {
    "auth.login": _("Signed in"),
    "auth.logout": _("Signed out"),
    "auth.login_failed": _("Failed sign-in"),
    "auth.password_change": _("Password changed"),
    "auth.user_update": _("Account changed"),
    "auth.2fa_enrol": _("Two-factor login set up"),
    "auth.2fa_failed": _("Two-factor code wrong"),
    "auth.2fa_recovery_used": _("Recovery code used"),
    "auth.token_create": _("API token created"),
    "auth.token_revoke": _("API token revoked"),
    "data.export": _("Data exported"),
    "file_job.request": _("Export or import job requested"),
    "file_job.start": _("Job started"),
    "file_job.succeed": _("Job finished"),
    "file_job.fail": _("Job failed"),
    "file_job.download": _("Job file downloaded"),
    "file_job.purge": _("Job file deleted"),
    "pii.reveal": _("Personal data shown unmasked"),
    "audit.purge": _("Old audit entries purged"),
    "notification.send": _("Notice sent to staff"),
    "notification.resolve": _("Notices resolved"),
    "parameter.change": _("Parameter changed"),
    "parameter.change_apply": _("Parameter change applied"),
    "parameter.change_approve": _("Parameter change approved"),
    "parameter.change_reject": _("Parameter change rejected"),
    "parameter.change_request": _("Parameter change requested"),
    "parameter.change_withdraw": _("Parameter change withdrawn"),
    "sla.breach": _("SLA breached"),
    "sla.extend": _("SLA deadline extended"),
    "sla.stop": _("SLA clock stopped"),
    "sla.start": _("SLA clock started"),
    "sla.restart": _("SLA clock restarted"),
}

NOTIFICATION_KINDS = {
    "sla.breached": _("SLA breached"),
    "ops.parameter_change_waiting": _("Parameter change waiting for approval"),
    "ops.parameter_change_decided": _("Parameter change decided"),
}

# Scheduled tasks by their schedule entry name, and job runs by their job_run name.
TASK_LABELS = {
    "core: purge expired idempotency keys": _("Purge expired idempotency keys"),
    "core: delete expired export and import files": _("Delete expired export and import files"),
    "ops: audit log retention": _("Audit log retention"),
    "ops: audit chain sealing (safety net)": _("Audit chain sealing (safety net)"),
    "ops: SLA scan and escalation": _("SLA scan and escalation"),
    "celery.backend_cleanup": _("Celery result clean-up"),
    # job runs (mall.core.jobs.job_run names)
    "heartbeat": _("Worker heartbeat"),
    "audit_entries_purge": _("Audit log retention"),
    "audit_entries_seal": _("Audit chain sealing"),
    "sla_scan": _("SLA scan and escalation"),
    "idempotency_keys_purge": _("Purge expired idempotency keys"),
    "file_jobs_purge": _("Delete expired export and import files"),
}
