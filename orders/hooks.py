"""Hooks orders provides to the apps below it (registered from ``OrdersConfig.ready``).

* ``dispatch.shipment_delivered`` (offered by dispatch's ``tracking_event_record``
  after a shipment moves to delivered, arguments ``actor``, ``shipment``): the order
  becomes ``delivered`` once every shipment of it is
  (``orders.services.shipping.order_shipment_delivered``).
"""

from __future__ import annotations

from mall.core.hooks import provide


def shipment_delivered(*, actor, shipment):
    """Provider of ``dispatch.shipment_delivered``: move the order on (see the service)."""
    from .services.shipping import order_shipment_delivered

    return order_shipment_delivered(actor=actor, shipment=shipment)


provide("dispatch.shipment_delivered", "orders", shipment_delivered)
