"""Payment anomalies (支付异常): something about money a person must look at.

``anomaly_open`` is the one way to record one (payments' services call it): one per
(kind, reference) — a channel repeating the same bad notification, or a refund failing
again, adds nothing — audited, and the holders of ``payments.manage_payment_anomaly``
in the row's scope are told.
"""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from mall.core.audit import audit
from mall.core.money import to_money

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
                "reported_amount": to_money(reported) if reported is not None else None,
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
            "reported_amount": f"{to_money(reported):.2f}" if reported is not None else None,
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
