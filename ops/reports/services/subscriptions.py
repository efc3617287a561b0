"""Report subscriptions (报表订阅): a staff member asks to be told of new reports."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from mall.core.audit import audit

from .. import selectors
from ..exceptions import InvalidReportInput, ReportNotFound, SubscriptionNotAllowed
from ..models import ReportKind, ReportSubscription


def subscription_create(*, actor, kind: str) -> ReportSubscription:
    """Subscribe ``actor`` to reports of ``kind``; an existing subscription is returned.

    Only readers who may download reports (``reports.view_report`` and scope "all")
    subscribe (``SubscriptionNotAllowed`` otherwise): regional versions of the reports
    do not exist yet. Audited ``report.subscribe`` when created.
    """
    if not selectors.may_read_reports(actor=actor):
        raise SubscriptionNotAllowed()
    if kind not in ReportKind.values:
        raise InvalidReportInput(
            _("Unknown report kind."), fields={"kind": [_("Unknown report kind.")]}
        )
    existing = ReportSubscription.objects.filter(user_id=actor.pk, kind=kind).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            subscription = ReportSubscription(user_id=actor.pk, kind=kind)
            subscription.save(force_insert=True)
            audit(actor=actor, action="report.subscribe", target=subscription, data={"kind": kind})
    except IntegrityError:
        return ReportSubscription.objects.get(user_id=actor.pk, kind=kind)
    return subscription


def subscription_delete(*, actor, subscription: ReportSubscription) -> None:
    """Remove one of ``actor``'s own subscriptions (another's: ``ReportNotFound``)."""
    if not selectors.subscription_list(actor=actor).filter(pk=subscription.pk).exists():
        raise ReportNotFound()
    with transaction.atomic():
        audit(
            actor=actor,
            action="report.unsubscribe",
            target=subscription,
            data={"kind": subscription.kind},
        )
        ReportSubscription.objects.filter(pk=subscription.pk).delete()
