"""Fund freezes (资金冻结): an order's money held by risk control.

One record of truth, two ways in: risk's :func:`freeze_create` / :func:`freeze_release`
(the admin's and API's buttons, with a case), and the orders app's own freeze buttons
(``orders.services.review.order_freeze`` / ``order_unfreeze``). Orders tells risk about
every change of its flag through ``orders.signals.order_freeze_changed`` inside the same
transaction; :func:`freeze_sync_from_order` keeps exactly one active ``FundFreeze`` per
frozen order. While active, the order cannot be approved, shipped, received or refunded
(orders refuses with 409 ``order_frozen``).
"""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from mall.core.actors import is_system_actor, system_actor
from mall.core.audit import audit
from mall.core.transitions import transition

from .. import permissions as perms
from ..exceptions import InvalidRiskInput, RiskPermissionDenied, RiskStateConflict
from ..models import FundFreeze, RiskCase


def _number() -> str:
    from orders.numbers import new_number

    return new_number("FZ")


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise InvalidRiskInput(fields={"reason": [_("Give a reason.")]})
    if len(reason) > 200:
        raise InvalidRiskInput(fields={"reason": [_("At most 200 characters.")]})
    return reason


def _require(actor, permission: str) -> None:
    if not (actor.is_active and actor.is_staff and actor.has_perm(permission)):
        raise RiskPermissionDenied()


def _frozen_amount(order) -> Decimal:
    return max(order.paid_amount - order.refunded_amount, Decimal("0.00"))


def _record(
    actor, order, *, reason: str, case: RiskCase | None, origin: str = FundFreeze.Origin.RISK
) -> FundFreeze:
    freeze = FundFreeze.objects.create(
        origin=origin,
        freeze_no=_number(),
        order=order,
        region_id=order.region_id,
        case=case,
        reason=reason[:200],
        amount=_frozen_amount(order),
        frozen_by=actor,
    )
    audit(
        actor=actor,
        action="risk.freeze",
        target=freeze,
        data={"order": order.order_no, "amount": str(freeze.amount), "reason": reason},
    )
    return freeze


@transaction.atomic
def freeze_create(*, actor, order, reason: str, case: RiskCase | None = None) -> FundFreeze:
    """Freeze ``order``'s funds (``risk.add_fundfreeze`` and ``orders.freeze_order``; the
    order in the actor's scope, else 404). Raises 409 ``invalid_state`` when the order is
    already frozen or finished."""
    from orders.selectors import order_get
    from orders.services.review import order_freeze

    _require(actor, perms.ADD_FREEZE)
    reason = _reason(reason)
    order = order_get(actor=actor, order_no=order.order_no, lock=True)
    if (
        order.is_frozen
        or FundFreeze.objects.filter(order=order, status=FundFreeze.Status.ACTIVE).exists()
    ):
        raise RiskStateConflict(_("The order's funds are already frozen."))
    freeze = _record(actor, order, reason=reason, case=case)
    # orders checks its own permission and state (a finished order cannot be frozen)
    order_freeze(actor=actor, order=order, reason=reason)
    return freeze


@transaction.atomic
def freeze_release(*, actor, freeze: FundFreeze, reason: str) -> FundFreeze:
    """Release an active freeze (``risk.release_fundfreeze``): the order moves again."""
    from orders.services.review import order_unfreeze

    from ..selectors import freeze_get

    _require(actor, perms.RELEASE_FREEZE)
    reason = _reason(reason)
    freeze = freeze_get(actor=actor, freeze_no=freeze.freeze_no, lock=True)
    if freeze.status != FundFreeze.Status.ACTIVE:
        raise RiskStateConflict(_("This freeze was already released."))
    _release(actor, freeze, reason)
    if freeze.order.is_frozen:
        order_unfreeze(actor=actor, order=freeze.order, reason=reason)
    return freeze


def _release(actor, freeze: FundFreeze, reason: str) -> None:
    transition(
        freeze,
        FundFreeze.Status.RELEASED,
        actor=actor,
        action="risk.freeze_release",
        reason=reason,
        data={"order": freeze.order.order_no},
        released_at=timezone.now(),
        released_by=actor,
        release_reason=reason[:300],
    )


def freeze_sync_from_order(*, actor, order, frozen: bool, reason: str) -> None:
    """Receiver of ``orders.signals.order_freeze_changed`` (inside orders' transaction)."""
    from members.models import Member

    if actor is None or isinstance(actor, Member):
        actor = system_actor()
    active = (
        FundFreeze.objects.select_for_update()
        .filter(order=order, status=FundFreeze.Status.ACTIVE)
        .first()
    )
    if frozen and active is None:
        _record(
            actor,
            order,
            reason=reason or _("Frozen in the order screen"),
            case=None,
            origin=FundFreeze.Origin.ORDER_SCREEN,
        )
    elif not frozen and active is not None:
        # A freeze risk control set is released by whoever may release it: the order
        # screen's own button does not get around ``risk.release_fundfreeze`` (raising
        # here rolls orders' unfreeze back). One set from the order screen is the order
        # screen's to lift.
        may = (
            active.origin == FundFreeze.Origin.ORDER_SCREEN
            or is_system_actor(actor)
            or actor.has_perm(perms.RELEASE_FREEZE)
        )
        if not may:
            raise RiskPermissionDenied()
        _release(actor, active, reason or _("Released in the order screen"))
