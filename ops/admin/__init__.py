"""Ops admin: audit log, jobs, system parameters, the SLA board, the inbox, tokens, the schedule.

Every screen reads through ``ops.selectors`` and writes through ``ops.services``.
One module per section; importing them registers the screens.
"""

from . import audit, jobs, notifications, parameters, schedule, sla, tokens  # noqa: F401
from .audit import AuditEntryAdmin  # noqa: F401 - imported by tests and the kernel docs
from .sla import SlaClockExtensionInline  # noqa: F401
