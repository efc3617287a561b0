"""Hooks orders provides to the apps below it (registered from ``OrdersConfig.ready``).

* ``dispatch.shipment_delivered`` (offered by dispatch's ``tracking_event_record``
  after a shipment moves to delivered, arguments ``actor``, ``shipment``): the order
  becomes ``delivered`` once every shipment of it is
  (``orders.services.shipping.order_shipment_delivered``).
* ``catalog.lowest_price_candidates`` (offered by ``catalog.services.pricing``,
  arguments ``sku_id``, ``start``, ``end``): the flash prices of published flash sales
  overlapping the window count in the look-back lowest-price rule
  (``orders.promotions.flash._published_flash_prices``).

* ``dispatch.shipment_may_ship`` (offered by dispatch's ``shipment_ship`` before it
  locks anything, arguments ``actor``, ``order_no``): the order is locked and a frozen
  order refuses the shipment (409 ``order_frozen``) — a risk freeze holds the goods
  whichever screen ships them.

Hooks orders offers to the apps above it:

* ``orders.refund_submit`` (called by ``after_sale_refund_execute`` inside its
  transaction, after the refund is booked on the order and its lines; arguments
  ``actor``, ``order`` (locked), ``after_sale`` (locked), ``amount`` (Decimal > 0)).
  The first provider answers ``"pending"`` (sent to the channel: the provider calls
  ``after_sale_refund_settle`` once the channel confirms), ``"succeeded"`` (the money
  is back already) or ``"offline"`` (the order was not paid through a channel of ours:
  settled as recorded). Raising an ``ApplicationError`` rolls the execution back.
  The payments app provides it.
* ``orders.demo_pay`` (``orders/demo.py`` only, arguments ``order`` (unpaid), ``rng``):
  pay a demo order through a payment channel's real path. Without a provider the demo
  records the payment directly (``order_mark_paid``). The payments demo provides it.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from mall.core.hooks import provide


def shipment_may_ship(*, actor, order_no: str) -> None:
    """Provider of ``dispatch.shipment_may_ship``: no shipping of a frozen order."""
    from .exceptions import OrderFrozen
    from .models import Order

    order = Order.objects.select_for_update().filter(order_no=order_no).first()
    if order is not None and order.is_frozen:
        raise OrderFrozen(extra={"reason": order.frozen_reason})


provide("dispatch.shipment_may_ship", "orders", shipment_may_ship)


def shipment_delivered(*, actor, shipment):
    """Provider of ``dispatch.shipment_delivered``: move the order on (see the service)."""
    from .services.shipping import order_shipment_delivered

    return order_shipment_delivered(actor=actor, shipment=shipment)


provide("dispatch.shipment_delivered", "orders", shipment_delivered)


def lowest_price_candidates(*, sku_id: int, start: datetime, end: datetime) -> list[Decimal]:
    """Provider of ``catalog.lowest_price_candidates``: published flash prices."""
    from .promotions.flash import _published_flash_prices

    return _published_flash_prices(sku_id=sku_id, start=start, end=end)


provide("catalog.lowest_price_candidates", "orders.flash", lowest_price_candidates)
