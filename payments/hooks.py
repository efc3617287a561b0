"""Hooks payments provides to the apps below it (registered from ``PaymentsConfig.ready``).

* ``orders.refund_submit`` (``orders/hooks.py``): an after-sales or cancellation refund
  that finance executes (or the system, for a payment after cancellation) becomes a
  ``Refund`` of the order's paying transaction — see
  ``payments.services.refunds.refund_submit_for_case``.
* ``orders.demo_pay`` (orders' demo only): pay a demo order through the sandbox channel's
  signed callback or the member balance — ``payments.demo.pay_order``.
"""

from __future__ import annotations

from mall.core.hooks import provide


def refund_submit(*, actor, order, after_sale, amount):
    from .services.refunds import refund_submit_for_case

    return refund_submit_for_case(actor=actor, order=order, after_sale=after_sale, amount=amount)


provide("orders.refund_submit", "payments", refund_submit)


def demo_pay(*, order, rng):
    from .demo import pay_order

    return pay_order(order=order, rng=rng)


provide("orders.demo_pay", "payments", demo_pay)
