"""Chinese labels of the codes orders writes (collected by ``mall.core.labels``).

Audit actions, staff notification kinds and scheduled tasks. Each part of the app
keeps its labels in its own section below (helpers add to their section only).
"""

from django.utils.translation import gettext_lazy as _

ACTION_LABELS = {
    # --- placement and payment ---
    "order.place": _("Order placed"),
    "order.pay": _("Order paid"),
    "order.submit_review": _("Order waiting for review"),
    "order.cancel": _("Order cancelled"),
    "order.auto_cancel": _("Unpaid order cancelled automatically"),
    "order.pay_start": _("Payment started"),
    "order.payment_failed": _("Payment failed"),
    "order.paid_after_cancel": _("Payment arrived after cancellation"),
    # --- review, warehouse, shipping, receipt ---
    "order.approve": _("Order approved"),
    "order.reject": _("Order held at review"),
    "order.warehouse_approve": _("Order approved by the warehouse"),
    "order.ship": _("Order shipped"),
    "order.deliver": _("Order delivered"),
    "order.confirm_receipt": _("Receipt confirmed"),
    "order.auto_confirm": _("Receipt confirmed automatically"),
    "order.close": _("Order closed"),
    "order.freeze": _("Order frozen"),
    "order.unfreeze": _("Order released"),
    "order.modification_request": _("Order change requested"),
    "order.modification_apply": _("Order change applied"),
    "order.modification_refuse": _("Order change refused"),
    "order.first_review": _("Order passed the first review"),
    "order.lost_parcel": _("Lost or damaged parcel reported"),
    "order.lost_parcel_reship": _("Lost parcel reshipped"),
    "order.lost_parcel_refund": _("Lost parcel refunded"),
    "virtual_code.issue": _("Virtual goods code issued"),
    "virtual_code.redeem": _("Virtual goods code redeemed"),
    "virtual_code.write_off": _("Virtual goods code written off"),
    "virtual_code.void": _("Virtual goods code voided"),
    "virtual_code.reveal": _("Virtual goods code revealed"),
    # --- after-sales ---
    "after_sale.request": _("After-sales requested"),
    "after_sale.refund_request": _("Refund requested"),
    "after_sale.approve": _("After-sales approved"),
    "after_sale.reject": _("After-sales rejected"),
    "after_sale.dispute": _("After-sales disputed"),
    "after_sale.cancel": _("After-sales cancelled"),
    "after_sale.receive": _("Returned goods received"),
    "after_sale.refund": _("After-sales refund executed"),
    "after_sale.refund_submit": _("Refund sent to the payment channel"),
    "after_sale.refund_submitted": _("Refund sent to the payment channel"),
    "after_sale.complete": _("After-sales completed"),
    "after_sale.refund_wait": _("After-sales refund waiting for execution"),
    "after_sale.return_wait": _("Waiting for the returned goods"),
    "after_sale.plan_approve": _("Dispute plan: request approved"),
    "after_sale.plan_reject": _("Dispute plan: rejection confirmed"),
    "after_sale.reship": _("Replacement being shipped"),
    # --- reviews ---
    "review.create": _("Review posted"),
    "review.reply": _("Review answered"),
    "review.hide": _("Review hidden"),
    "review.show": _("Review shown again"),
    "review.delete": _("Review deleted"),
    # --- channels, calendar, freight ---
    "sales_channel.create": _("Sales channel created"),
    "sales_channel.update": _("Sales channel changed"),
    "sales_channel.disable": _("Sales channel switched off"),
    "sales_channel.enable": _("Sales channel switched on"),
    "sales_channel.ledger": _("Sales channel balance moved"),
    "promotion_period.create": _("Promotion period added"),
    "promotion_period.update": _("Promotion period changed"),
    "promotion_period.delete": _("Promotion period removed"),
    "freight_template.create": _("Freight template added"),
    "freight_template.update": _("Freight template changed"),
}

NOTIFICATION_KINDS = {
    "orders.review_failed": _("Order held at review"),
    "orders.second_review": _("Order waiting for a second reviewer"),
    "orders.after_sale_waiting": _("After-sales request waiting"),
    "orders.negative_review": _("Negative review waiting for a reply"),
    "orders.slow_movers": _("Slow-moving products"),
    "orders.lost_parcel": _("Lost or damaged parcel"),
}

TASK_LABELS = {
    # --- placement and payment ---
    "orders: auto-cancel unpaid orders": _("Auto-cancel unpaid orders"),
    "orders.cancel_unpaid_due": _("Auto-cancel unpaid orders"),
    # --- review, shipping, receipt ---
    "orders: auto-confirm receipt": _("Receipt confirmed automatically"),
    "orders.orders_auto_confirm_due": _("Receipt confirmed automatically"),
    # --- after-sales and reviews ---
    "orders: slow movers": _("Slow-moving products to their owners"),
    "orders.slow_movers_report": _("Slow-moving products to their owners"),
}

# --- promotions (orders/promotions/labels.py, one section per part) ---
from .promotions import labels as _promotions  # noqa: E402

ACTION_LABELS.update(_promotions.ACTION_LABELS)
NOTIFICATION_KINDS.update(_promotions.NOTIFICATION_KINDS)
TASK_LABELS.update(_promotions.TASK_LABELS)
