"""Payment anomalies (支付异常): something about money a person must look at.

``anomaly_open`` is the one way to record one (payments' services call it): one per
(kind, reference) — a channel repeating the same bad notification, or a refund failing
again, adds nothing — audited, and the holders of ``payments.manage_payment_anomaly``
in the row's scope are told.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.db import transaction as db_transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from mall.core.actors import is_system_actor
from mall.core.audit import audit
from mall.core.money import to_money
from mall.core.transitions import transition

from .. import permissions as perms
from ..exceptions import AnomalyNotFound, InvalidPaymentInput, PaymentsPermissionDenied
from ..models import PaymentAnomaly, PaymentTransaction, Refund


def anomaly_open(
    *,
    actor,
    kind: str,
    channel: str,
    txn: PaymentTransaction | None,
    reference_no: str,
    reported,
    detail: str,
    refund: Refund | None = None,
) -> PaymentAnomaly | None:
    """Open one anomaly per (kind, reference); answers None when it was open already."""
    from ops.services.notifications import staff_notify_holders

    from .. import permissions as perms

    with transaction.atomic():
        anomaly, created = PaymentAnomaly.objects.get_or_create(
            kind=kind,
            reference_no=reference_no,
            defaults={
                "channel": channel,
                "transaction": txn,
                "refund": refund,
                "region": txn.region if txn is not None else None,
                "expected_amount": (
                    refund.amount
                    if refund is not None
                    else txn.total_amount
                    if txn is not None
                    else None
                ),
                "reported_amount": _storable(reported),
                "detail": str(detail)[:300],
            },
        )
    if not created:
        return None
    audit(
        actor=actor,
        action="payment.anomaly",
        target=anomaly,
        after={
            "kind": kind,
            "reference_no": reference_no,
            "reported_amount": (
                f"{_storable(reported):.2f}" if _storable(reported) is not None else None
            ),
        },
    )
    staff_notify_holders(
        actor=actor,
        permission=perms.MANAGE_ANOMALY,
        kind="payments.anomaly",
        title=_("Payment anomaly: %(kind)s %(no)s")
        % {"kind": anomaly.get_kind_display(), "no": reference_no},
        dedupe_key=f"payments.anomaly:{anomaly.pk}",
        subject=anomaly,
    )
    return anomaly


NOTE_MAX = 300


@db_transaction.atomic
def anomaly_resolve(*, actor, anomaly: PaymentAnomaly, note: str) -> PaymentAnomaly:
    """Mark ``anomaly`` resolved with what was done about it (``note``, required, at most
    300 characters). Permission ``payments.manage_payment_anomaly``; an anomaly outside
    the actor's scope is 404; an anomaly already resolved is 409. The notices about it
    leave every inbox."""
    from ops.services.notifications import notifications_resolve

    from ..selectors import anomaly_list

    if not is_system_actor(actor) and not (
        getattr(actor, "is_active", False)
        and getattr(actor, "is_staff", False)
        and actor.has_perm(perms.MANAGE_ANOMALY)
    ):
        raise PaymentsPermissionDenied()
    note = str(note or "").strip()
    if not note:
        raise InvalidPaymentInput(fields={"note": [_("Say what was done about it.")]})
    if len(note) > NOTE_MAX:
        raise InvalidPaymentInput(
            fields={"note": [_("At most %(max)s characters.") % {"max": NOTE_MAX}]}
        )
    if not anomaly_list(actor=actor).filter(pk=anomaly.pk).exists():
        raise AnomalyNotFound()
    row = PaymentAnomaly.objects.select_for_update().get(pk=anomaly.pk)
    transition(
        row,
        PaymentAnomaly.Status.RESOLVED,
        actor=actor,
        action="payment.anomaly_resolve",
        reason=note,
        resolution_note=note,
        resolved_by=None if is_system_actor(actor) else actor,
        resolved_at=timezone.now(),
    )
    notifications_resolve(actor=actor, subject=row)
    return row


MONEY_LIMIT = Decimal("100000000000")  # 10^11 yuan: beyond any payment, within the column


def _storable(amount) -> Decimal | None:
    """A reported amount as stored: absurd amounts (a forged or broken message) are kept
    as unknown instead of overflowing the money column."""
    if amount is None:
        return None
    try:
        value = Decimal(amount)
        return to_money(value) if value.is_finite() and abs(value) < MONEY_LIMIT else None
    except (ArithmeticError, TypeError, ValueError):
        return None
