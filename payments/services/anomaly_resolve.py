"""Resolving a payment anomaly (支付异常 → 已处理).

Kept apart from ``anomalies.py`` (where ``anomaly_open`` lives) while issue 13 is
built in parallel; the lead may merge the two modules.
"""

from __future__ import annotations

from django.db import transaction as db_transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from mall.core.actors import is_system_actor
from mall.core.transitions import transition

from .. import permissions as perms
from ..exceptions import AnomalyNotFound, InvalidPaymentInput, PaymentsPermissionDenied
from ..models import PaymentAnomaly

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
