"""The status tables of the orders app (imported in ``OrdersConfig.ready``).

``mall.core.transitions.transition()`` is the only code that sets these statuses;
orders' services call it through ``orders.services.events.order_transition`` /
``after_sale_transition`` so every move also lands on the object's timeline.
"""

from __future__ import annotations

from mall.core.transitions import register_transitions

from ..models import (
    AfterSale,
    ApprovalStatus,
    Campaign,
    FlashSession,
    ModificationRequest,
    Order,
    Review,
    SalesChannel,
    VirtualCode,
)

S = Order.Status

ORDER_TRANSITIONS = register_transitions(
    Order,
    {
        # closed: risk control closes an abusive order (services.cancellation.order_close)
        S.PENDING_PAYMENT: {S.PAID, S.DEPOSIT_PAID, S.CANCELLED, S.CLOSED},
        # presale: the final payment moves it on; a missed window or a cancellation
        # ends it (deposit forfeited or refunded per docs/PROMOTIONS.md "Presale")
        S.DEPOSIT_PAID: {S.PAID, S.CANCELLED, S.CLOSED},
        # paid is passed through at once to pending_review (the review clock starts)
        S.PAID: {S.PENDING_REVIEW, S.CANCELLED, S.CLOSED},
        S.PENDING_REVIEW: {S.APPROVED, S.CANCELLED, S.CLOSED},
        # an address change after review sends the order back to review
        S.APPROVED: {S.ALLOCATED, S.SHIPPED, S.PENDING_REVIEW, S.CANCELLED, S.CLOSED},
        S.ALLOCATED: {S.SHIPPED, S.PENDING_REVIEW, S.CANCELLED, S.CLOSED},
        S.SHIPPED: {S.DELIVERED, S.COMPLETED, S.CLOSED},
        S.DELIVERED: {S.COMPLETED, S.CLOSED},
        S.COMPLETED: set(),
        S.CANCELLED: set(),
        S.CLOSED: set(),
    },
)

A = AfterSale.Status

AFTER_SALE_TRANSITIONS = register_transitions(
    AfterSale,
    {
        A.REQUESTED: {A.APPROVED, A.REJECTED, A.CANCELLED},
        A.REJECTED: {A.DISPUTED},
        A.DISPUTED: {A.APPROVED, A.REJECTED},
        A.APPROVED: {A.RETURNING, A.REFUNDING, A.CANCELLED},
        A.RETURNING: {A.RECEIVED, A.CANCELLED},
        A.RECEIVED: {A.REFUNDING, A.RESHIPPING},
        A.REFUNDING: {A.COMPLETED},
        A.RESHIPPING: {A.COMPLETED},
        A.COMPLETED: set(),
        A.CANCELLED: set(),
    },
    # A paid order's cancellation opens its refund straight in "refunding"
    # (orders.services.refunds.refund_request_open).
    initial=[A.REQUESTED, A.REFUNDING],
)

R = Review.Status

REVIEW_TRANSITIONS = register_transitions(
    Review,
    {R.SHOWN: {R.HIDDEN, R.DELETED}, R.HIDDEN: {R.SHOWN, R.DELETED}, R.DELETED: set()},
)

V = VirtualCode.Status

VIRTUAL_CODE_TRANSITIONS = register_transitions(
    VirtualCode,
    {
        V.ISSUED: {V.REDEEMED, V.VOIDED},
        V.REDEEMED: {V.PENDING_WRITE_OFF, V.WRITTEN_OFF},
        V.PENDING_WRITE_OFF: {V.WRITTEN_OFF},
        V.WRITTEN_OFF: set(),
        V.VOIDED: set(),
    },
)

M = ModificationRequest.Status

MODIFICATION_TRANSITIONS = register_transitions(
    ModificationRequest, {M.PENDING: {M.APPLIED, M.REFUSED}, M.APPLIED: set(), M.REFUSED: set()}
)

C = SalesChannel.Status

CHANNEL_TRANSITIONS = register_transitions(
    SalesChannel, {C.ACTIVE: {C.DISABLED}, C.DISABLED: {C.ACTIVE}}
)

P = ApprovalStatus

# Sessions and campaigns: created → sent for approval → approved by someone else (or
# sent back to draft with a reason) → opened by the job at their start → ended by the
# job at their end (or stopped early). Cancelled: one that never ran.
PROMOTION_TABLE = {
    P.DRAFT: {P.PENDING_APPROVAL, P.CANCELLED},
    P.PENDING_APPROVAL: {P.APPROVED, P.DRAFT, P.CANCELLED},
    P.APPROVED: {P.RUNNING, P.ENDED, P.CANCELLED},  # → ended: a campaign stopped in its window
    P.RUNNING: {P.ENDED},
    P.ENDED: set(),
    P.CANCELLED: set(),
}
FLASH_SESSION_TRANSITIONS = register_transitions(FlashSession, PROMOTION_TABLE)
CAMPAIGN_TRANSITIONS = register_transitions(Campaign, PROMOTION_TABLE)
