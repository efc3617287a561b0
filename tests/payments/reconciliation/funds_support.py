"""Helpers of the channel-funds tests: ledger entries at a given time, statement runs."""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.core.files.uploadedfile import SimpleUploadedFile

SHANGHAI = ZoneInfo("Asia/Shanghai")
FIXTURES = __import__("pathlib").Path(__file__).parent / "fixtures" / "statements"

# A past month every test uses: 2026-10-01 … 2026-10-31.
PERIOD_START = date(2026, 10, 1)
PERIOD_END = date(2026, 10, 31)


def at(day: date, hour: int = 12, minute: int = 0) -> datetime:
    """An aware moment of ``day`` in Asia/Shanghai."""
    return datetime.combine(day, time(hour, minute), SHANGHAI)


def post(channel, kind: str, amount, reference_no: str, *, when: datetime):
    """Post a ledger entry through orders' service (system actor), then date it ``when``."""
    from mall.core.actors import system_actor
    from orders.models import ChannelLedgerEntry
    from orders.services.channels import channel_ledger_post

    entry = channel_ledger_post(
        actor=system_actor(),
        channel=channel,
        kind=kind,
        amount=Decimal(str(amount)),
        reference_no=reference_no,
    )
    ChannelLedgerEntry.objects.filter(pk=entry.pk).update(created_at=when)
    entry.refresh_from_db()
    return entry


def make_run(channel, *, start: date = PERIOD_START, end: date = PERIOD_END):
    """A queued statement run as ``statement_start`` records it (no file, no task)."""
    from payments.models import Reconciliation

    return Reconciliation.objects.create(
        kind=Reconciliation.Kind.CHANNEL_STATEMENT,
        channel="",
        sales_channel=channel,
        bill_date=start,
        period_end=end,
        source=Reconciliation.Source.UPLOAD,
    )


def upload(data: bytes, name: str = "statement.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="text/csv")


def finance_user(make_staff, username: str = "fin", *, perms=("payments.run_reconciliation",)):
    return make_staff(username, perms=perms)


def grant_channel(user, channel):
    """Give ``user`` the object grant ``orders.work_channel`` on ``channel`` and a role
    whose data scope is "granted objects only" (a channel operator's)."""
    from mall.core.actors import system_actor
    from rbac import services as rbac_services
    from rbac.models import Role, ScopeKind

    role = Role.objects.filter(code="channel_funds_t").first() or rbac_services.role_create(
        actor=system_actor(),
        code="channel_funds_t",
        name="渠道财务",
        scope_kind=ScopeKind.GRANTED_OBJECTS,
    )
    rbac_services.role_assign(actor=system_actor(), user=user, role=role)
    rbac_services.object_permission_grant(
        actor=system_actor(), user=user, perm="orders.work_channel", obj=channel
    )
    return type(user).objects.get(pk=user.pk)


class Progress:
    """A progress callback that records what it was told."""

    def __init__(self):
        self.calls: list[tuple[int, int | None]] = []

    def __call__(self, rows_done: int, rows_total: int | None = None) -> None:
        self.calls.append((rows_done, rows_total))
