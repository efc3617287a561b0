"""Permission codenames of the orders app (declared once; services and views read these)."""

from __future__ import annotations

VIEW_ORDER = "orders.view_order"
REVIEW_ORDER = "orders.review_order"
APPROVE_ORDER = "orders.approve_order"  # the second reviewer of a large order (双人核对)
WAREHOUSE_APPROVE_ORDER = "orders.warehouse_approve_order"
SHIP_ORDER = "orders.ship_order"
CANCEL_ORDER = "orders.cancel_order"
REFUND_ORDER = "orders.refund_order"
MODIFY_ORDER = "orders.modify_order"
EXPORT_ORDER = "orders.export_order"
VIEW_ORDER_PII = "orders.view_order_pii"
FREEZE_ORDER = "orders.freeze_order"
CLOSE_ORDER = "orders.close_order"
REVEAL_VIRTUAL_CODE = "orders.reveal_virtual_code"

VIEW_CHANNEL = "orders.view_saleschannel"
ADD_CHANNEL = "orders.add_saleschannel"
CHANGE_CHANNEL = "orders.change_saleschannel"
WORK_CHANNEL = "orders.work_channel"
ADJUST_CHANNEL_BALANCE = "orders.adjust_channel_balance"

VIEW_PROMOTION_PERIOD = "orders.view_promotionperiod"
CHANGE_PROMOTION_PERIOD = "orders.change_promotionperiod"
VIEW_FREIGHT = "orders.view_freighttemplate"
CHANGE_FREIGHT = "orders.change_freighttemplate"

VIEW_AFTER_SALE = "orders.view_aftersale"
REVIEW_AFTER_SALE = "orders.review_aftersale"
RECEIVE_AFTER_SALE = "orders.receive_aftersale"
REFUND_AFTER_SALE = "orders.refund_aftersale"

VIEW_REVIEW = "orders.view_review"
REPLY_REVIEW = "orders.reply_review"
HIDE_REVIEW = "orders.hide_review"

# Promotions (docs/PROMOTIONS.md): creating needs add/change, approving the approve
# permission and being another person than the creator.
VIEW_FLASH_SESSION = "orders.view_flashsession"
ADD_FLASH_SESSION = "orders.add_flashsession"
CHANGE_FLASH_SESSION = "orders.change_flashsession"
APPROVE_FLASH_SESSION = "orders.approve_flashsession"
VIEW_CAMPAIGN = "orders.view_campaign"
ADD_CAMPAIGN = "orders.add_campaign"
CHANGE_CAMPAIGN = "orders.change_campaign"
APPROVE_CAMPAIGN = "orders.approve_campaign"
VIEW_PROMOTION_RESULTS = "orders.view_promotion_results"
EXPORT_PROMOTION_RESULTS = "orders.export_promotion_results"
