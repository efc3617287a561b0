"""Placing an order: validate, price, ask risk control, then write it all in one go.

``order_preview`` prices a cart and plans its dispatch (reserving nothing);
``order_place`` does the same checks, asks the kernel's risk hook before writing
anything, then in ONE transaction creates the order and its lines, locks the stock
through ``dispatch.services.allocate`` (a conditional update: concurrent buyers can
never oversell), locks the coupon, spends the points and starts the unpaid clock.
Any refusal rolls everything back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from mall.core.actors import system_actor
from mall.core.audit import audit
from mall.core.guard import guard_or_raise, review_opened
from mall.core.money import to_money
from members.crypto import address_hash
from ops.parameters import get_parameter
from ops.services.sla import sla_clock_start

from ..exceptions import ChannelUnavailable, InvalidOrderInput, OrdersPermissionDenied
from ..models import Order, OrderLine, SalesChannel
from ..numbers import unique_number
from ..parameters import MAX_LINES, MAX_QUANTITY_PER_LINE
from ..pricing import PriceQuote, price_order
from ..selectors import channel_for_storefront
from .events import order_event_record

UNPAID_MINUTES = "sla.order_unpaid_minutes"
ADDRESS_FIELDS = ("name", "phone", "province", "city", "district", "detail")
ADDRESS_LIMITS = {"name": 50, "city": 50, "district": 50, "detail": 200}


@dataclass
class Cart:
    """A validated placement request."""

    member: Any
    lines: list[tuple[Any, int]]  # (Sku, quantity)
    province: Any
    address: dict[str, str]  # name, phone, city, district, detail (the snapshot)
    coupon: Any
    points: int
    channel: SalesChannel
    flash: Any = None  # orders.promotions.flash.FlashCart of a flash order


def _member_of(actor):
    from members.models import Member

    if not isinstance(actor, Member) or not actor.is_active:
        raise OrdersPermissionDenied()
    return actor


def _required(message_fields: dict, key: str, text: str) -> None:
    message_fields.setdefault(key, []).append(text)


def _check_lines(raw_lines, problems: dict) -> list[tuple[Any, int]]:
    from catalog.models import Product, Sku

    if not isinstance(raw_lines, list | tuple) or not raw_lines:
        _required(problems, "lines", _("Add at least one line."))
        return []
    max_lines = int(get_parameter(MAX_LINES))
    max_quantity = int(get_parameter(MAX_QUANTITY_PER_LINE))
    if len(raw_lines) > max_lines:
        _required(problems, "lines", _("At most %(n)d lines per order.") % {"n": max_lines})
        return []
    wanted: list[tuple[int, str, int]] = []
    seen: set[str] = set()
    for index, raw in enumerate(raw_lines):
        key = f"lines.{index}"
        if not isinstance(raw, dict):
            _required(problems, key, _("Give a SKU code and a quantity."))
            continue
        code = raw.get("sku")
        quantity = raw.get("quantity")
        if not isinstance(code, str) or not code.strip() or len(code.strip()) > 40:
            _required(problems, f"{key}.sku", _("Enter a SKU code."))
            continue
        code = code.strip()
        if isinstance(quantity, bool) or not isinstance(quantity, int):
            _required(problems, f"{key}.quantity", _("Enter a whole number."))
            continue
        if not 1 <= quantity <= max_quantity:
            _required(
                problems,
                f"{key}.quantity",
                _("Order from 1 to %(n)d units of one SKU.") % {"n": max_quantity},
            )
            continue
        if code in seen:
            _required(problems, f"{key}.sku", _("This SKU is already in another line."))
            continue
        seen.add(code)
        wanted.append((index, code, quantity))
    skus = {
        sku.code: sku
        for sku in Sku.objects.select_related("product", "product__category").filter(
            code__in=[code for _i, code, _q in wanted]
        )
    }
    lines = []
    for index, code, quantity in wanted:
        sku = skus.get(code)
        if sku is None:
            _required(problems, f"lines.{index}.sku", _("Unknown SKU."))
            continue
        product = sku.product
        if (
            product.status != Product.Status.ON_SHELF
            or not sku.is_available
            or not product.category.is_active
        ):
            _required(problems, f"lines.{index}.sku", _("This SKU is not on sale."))
            continue
        lines.append((sku, quantity))
    return lines


def _check_address(member, address, address_id, problems: dict):
    """The delivery province and the address snapshot (name, phone, city, …)."""
    from members.exceptions import InvalidPhone
    from members.models import Address
    from members.validators import normalize_phone
    from rbac.models import Province

    if address_id is not None:
        if isinstance(address_id, bool) or not isinstance(address_id, int):
            _required(problems, "address_id", _("Choose one of your addresses."))
            return None, {}
        # The member's own addresses only: another member's id reads like a missing one.
        found = Address.objects.select_related("province").filter(
            pk=address_id, member_id=member.pk
        )
        saved = found.first()
        if saved is None:
            _required(problems, "address_id", _("Choose one of your addresses."))
            return None, {}
        return saved.province, {
            "name": saved.recipient,
            "phone": saved.phone,
            "city": saved.city,
            "district": saved.district,
            "detail": saved.detail,
        }
    if not isinstance(address, dict):
        _required(problems, "address", _("Give a delivery address or choose a saved one."))
        return None, {}
    values = {}
    for name in ADDRESS_FIELDS:
        value = address.get(name, "")
        if value is None:
            value = ""
        if not isinstance(value, str):
            _required(problems, f"address.{name}", _("Enter text."))
            continue
        value = value.strip()
        if not value and name != "district":
            _required(problems, f"address.{name}", _("This field is required."))
        elif name in ADDRESS_LIMITS and len(value) > ADDRESS_LIMITS[name]:
            _required(problems, f"address.{name}", _("Too long."))
        values[name] = value
    province = None
    if values.get("province"):
        province = Province.objects.select_related("region").resolve(values["province"])
        if province is None:
            _required(problems, "address.province", _("Unknown province."))
    if values.get("phone"):
        try:
            values["phone"] = normalize_phone(values["phone"])
        except InvalidPhone:
            _required(problems, "address.phone", _("Enter a mainland mobile number."))
    values.pop("province", None)
    return province, values


def _check_coupon(member, coupon_id, problems: dict):
    from members.models import Coupon

    if coupon_id is None:
        return None
    if isinstance(coupon_id, bool) or not isinstance(coupon_id, int):
        _required(problems, "coupon_id", _("Choose one of your coupons."))
        return None
    coupon = (
        Coupon.objects.select_related("template").filter(pk=coupon_id, member_id=member.pk).first()
    )
    if coupon is None:
        _required(problems, "coupon_id", _("Choose one of your coupons."))
    return coupon


def _checked_cart(
    *, member, address, address_id, lines, coupon_id, points, channel, flash_session=None, now=None
) -> tuple[Cart, Any]:
    from ..promotions.flash_orders import flash_cart_check

    problems: dict[str, list[str]] = {}
    sku_lines = _check_lines(lines, problems)
    province, snapshot = _check_address(member, address, address_id, problems)
    coupon = _check_coupon(member, coupon_id, problems)
    if isinstance(points, bool) or not isinstance(points, int) or points < 0:
        _required(problems, "points", _("Enter a whole number of points, 0 or more."))
    sales_channel = channel_for_storefront(actor=member, code=channel or "own_store")
    if problems:
        raise InvalidOrderInput(fields=problems)
    if sales_channel is None:
        raise ChannelUnavailable(fields={"channel": [str(ChannelUnavailable.default_message)]})
    flash = flash_cart_check(
        member=member, session_id=flash_session, lines=sku_lines, now=now or timezone.now()
    )
    cart = Cart(
        member=member,
        lines=sku_lines,
        province=province,
        address=snapshot,
        coupon=coupon,
        points=points,
        channel=sales_channel,
        flash=flash,
    )
    return cart, province


def _quote(cart: Cart, now) -> PriceQuote:
    return price_order(
        member=cart.member,
        lines=cart.lines,
        province=cart.province,
        coupon=cart.coupon,
        points=cart.points,
        channel=cart.channel,
        now=now,
        flash_items=cart.flash.items if cart.flash is not None else None,
    )


def _physical(quote: PriceQuote) -> list[tuple[str, int]]:
    """The physical lines to allocate (gifts included; one line per SKU)."""
    wanted: dict[str, int] = {}
    for line in quote.lines:
        if not line.sku.product.is_virtual:
            wanted[line.sku.code] = wanted.get(line.sku.code, 0) + line.quantity
    return list(wanted.items())


def order_preview(
    *,
    actor,
    address=None,
    address_id=None,
    lines=(),
    coupon_id=None,
    points: int = 0,
    channel: str = "own_store",
    flash_session=None,
) -> dict:
    """Price a cart and plan its dispatch for ``actor`` (the member); reserves nothing.

    Answers the price breakdown (items, steps, coupon, points, shipping, payable), the
    planned shipments (warehouse name, lines, promised days) and the promised
    delivery date. Raises what ``order_place`` raises for the same input (400
    ``invalid``, 409 ``out_of_stock`` / ``not_deliverable`` / ``coupon_not_usable``),
    except the risk check, which only placement asks.
    """
    from dispatch.services import predispatch

    member = _member_of(actor)
    now = timezone.now()
    cart, province = _checked_cart(
        member=member,
        address=address,
        address_id=address_id,
        lines=lines,
        coupon_id=coupon_id,
        points=points,
        channel=channel,
        flash_session=flash_session,
        now=now,
    )
    quote = _quote(cart, now)
    physical = _physical(quote)
    shipments: list[dict] = []
    promised = None
    if physical:
        # Planned for the buyer as the system actor: the whole network, as allocation
        # will lock it (docs/DISPATCH.md "Pre-dispatch and the data scope").
        plan = predispatch(actor=system_actor(), province=province, lines=physical)
        promised = plan.promised_delivery_date.isoformat()
        shipments = [
            {
                "warehouse_name": planned.warehouse.name,
                "promised_days": planned.promised_days,
                "lines": [{"sku": code, "quantity": q} for code, q in planned.lines],
            }
            for planned in plan.shipments
        ]
    priced = quote.as_dict()
    return {
        "items": priced["lines"],
        "steps": priced["steps"],
        "goods_amount": priced["goods_amount"],
        "promotion_discount_amount": priced["promotion_discount_amount"],
        "level_discount_amount": priced["level_discount_amount"],
        "coupon": (
            {"id": quote.coupon_id, "discount_amount": priced["coupon_discount_amount"]}
            if quote.coupon_id
            else None
        ),
        "points": {
            "used": quote.points_used,
            "max_points": quote.max_points,
            "deduction_amount": priced["points_deduction_amount"],
        },
        "shipping": {
            "fee_amount": priced["shipping_amount"],
            "discount_amount": priced["shipping_discount_amount"],
            "free_reason": quote.free_shipping_reason,
        },
        "payable_amount": priced["total_amount"],
        "warehouses": shipments,
        "promised_delivery_date": promised,
        "channel": cart.channel.code,
    }


def _line_rows(order: Order, quote: PriceQuote) -> list[OrderLine]:
    rows = []
    for line in quote.lines:
        sku = line.sku
        product = sku.product
        rows.append(
            OrderLine(
                order=order,
                sku=sku,
                sku_code=sku.code,
                product_id_snapshot=product.pk,
                product_title=product.title,
                category_id_snapshot=product.category_id,
                spec=sku.spec or {},
                is_virtual=product.is_virtual,
                allows_no_reason_return=bool(
                    product.allows_no_reason_return and product.category.allows_no_reason_return
                ),
                weight_grams=sku.weight_grams or 0,
                list_price_amount=line.list_price_amount,
                unit_price_amount=line.unit_price_amount,
                quantity=line.quantity,
                line_amount=line.line_amount,
                promotion_discount_amount=line.promotion_discount_amount,
                flash_item=line.flash_item,
                campaign=line.campaign,
                is_gift=line.is_gift,
                level_discount_amount=line.level_discount_amount,
                coupon_discount_amount=line.coupon_discount_amount,
                points_deduction_amount=line.points_deduction_amount,
                payable_amount=line.payable_amount,
            )
        )
    return rows


def _hold_channel_open(channel: SalesChannel) -> None:
    """Keep ``channel`` from being switched off until this order commits; refuse a closed one.

    ``SELECT … FOR SHARE`` on PostgreSQL: placements do not wait for each other (share
    locks are compatible), while ``channel_disable`` (``FOR UPDATE``) waits for the
    orders in flight and then sees them as unsettled — without it an order inserted
    while the channel was being switched off could land on a switched-off channel
    (the foreign key's own lock does not conflict with the status update).
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT status FROM orders_saleschannel WHERE id = %s FOR SHARE", [channel.pk]
            )
            row = cursor.fetchone()
    else:  # SQLite: one writer at a time already
        row = SalesChannel.objects.filter(pk=channel.pk).values_list("status").first()
    if row is None or row[0] != SalesChannel.Status.ACTIVE:
        raise ChannelUnavailable(fields={"channel": [str(ChannelUnavailable.default_message)]})


def order_place(
    *,
    actor,
    address=None,
    lines=(),
    coupon_id=None,
    points: int = 0,
    channel: str = "own_store",
    buyer_note: str = "",
    client_ip: str | None = None,
    device_id: str | None = None,
    address_id=None,
    flash_session=None,
) -> Order:
    """Place an order for ``actor`` (the member): validate, price, risk check, write.

    ``address`` is ``{"name","phone","province","city","district","detail"}`` or
    ``address_id`` one of the member's saved addresses; ``lines`` are
    ``[{"sku": code, "quantity": n}]``. Refusals, all before anything is written:
    400 ``invalid`` (with ``fields``), 400 ``channel_unavailable``, 409
    ``coupon_not_usable``, 400 ``points_cap_exceeded``, 403 ``risk_blocked``; then
    inside the transaction 409 ``out_of_stock`` / ``not_deliverable`` roll it back.

    In one transaction: the order (number ``DD…``, region from the delivery
    province, encrypted address snapshot, money from the quote, ``pricing`` = the
    quote, ``expires_at``), its line snapshots, the stock lock of the physical
    lines, the coupon lock, the points spend, the ``order.unpaid`` clock, the
    ``place`` event and the ``order.place`` audit entry. A risk ``review`` verdict is
    handed to risk's case openers after commit.

    A flash order (``flash_session``) passes the Redis gate after pricing and the risk
    check (409 ``sold_out`` / ``limit_exceeded`` before any write or transaction) and
    claims its units in the transaction (the database's conditional updates decide);
    what the gate gave is given back when the order is not committed
    (docs/FLASH_SALE.md).
    """
    member = _member_of(actor)
    note = (buyer_note or "").strip() if isinstance(buyer_note, str) else None
    if note is None or len(note) > 200:
        raise InvalidOrderInput(fields={"buyer_note": [_("At most 200 characters.")]})
    now = timezone.now()
    cart, province = _checked_cart(
        member=member,
        address=address,
        address_id=address_id,
        lines=lines,
        coupon_id=coupon_id,
        points=points,
        channel=channel,
        flash_session=flash_session,
        now=now,
    )
    return _price_check_and_place(
        member=member,
        cart=cart,
        province=province,
        note=note,
        now=now,
        client_ip=client_ip,
        device_id=device_id,
    )


def _price_check_and_place(
    *, member, cart: Cart, province, note: str, now, client_ip, device_id
) -> Order:
    """Price the checked cart, ask risk control, pass the flash gate, then write it all."""
    from ..promotions.flash_orders import flash_gate_enter, flash_gate_undo
    from ..promotions.presale import presale_order_fields, presale_terms

    quote = _quote(cart, now)
    presale = presale_terms(lines=cart.lines, quote=quote)
    where = address_hash(
        province=province.name,
        city=cart.address["city"],
        district=cart.address.get("district", ""),
        detail=cart.address["detail"],
    )
    verdict = guard_or_raise(
        "order.place",
        member=member,
        lines=list(cart.lines),
        address={
            "province": province.name,
            "city": cart.address["city"],
            "district": cart.address.get("district", ""),
            "detail": cart.address["detail"],
        },
        address_hash=where,
        channel=cart.channel,
        flash_session=cart.flash.session if cart.flash is not None else None,
        client_ip=client_ip,
        device_id=device_id,
        payable_amount=quote.total_amount,
    )
    unpaid_minutes = (
        cart.flash.session.unpaid_minutes
        if cart.flash is not None
        else int(get_parameter(UNPAID_MINUTES))
    )
    expires_at = now + timedelta(minutes=unpaid_minutes)
    is_virtual = all(sku.product.is_virtual for sku, _q in cart.lines)

    def create(number: str) -> Order:
        order = Order(
            order_no=number,
            member=member,
            channel=cart.channel,
            region_id=province.region_id,
            province=province,
            status=Order.Status.PENDING_PAYMENT,
            is_virtual=is_virtual,
            city=cart.address["city"],
            district=cart.address.get("district", ""),
            coupon=cart.coupon,
            pricing=quote.as_dict(),
            buyer_note=note,
            expires_at=expires_at,
            flash_session=cart.flash.session if cart.flash is not None else None,
            client_ip=client_ip or None,
            device_id=(device_id or "")[:128],
            address_hash=where,
            **quote.order_fields(),
            **(presale_order_fields(terms=presale) if presale is not None else {}),
        )
        order.recipient = cart.address["name"]
        order.phone = cart.address["phone"]
        order.detail = cart.address["detail"]
        order.save(force_insert=True)
        return order

    # The Redis gate: losers of a flash sale are answered here, before any write and
    # before the placement's transaction; a request risk control blocks never takes
    # units at the gate (docs/FLASH_SALE.md).
    gate_pass = flash_gate_enter(member=member, cart=cart.flash, lines=cart.lines)
    state = {"committed": False}
    try:
        return _place_in_transaction(
            member=member,
            cart=cart,
            quote=quote,
            province=province,
            verdict=verdict,
            now=now,
            create=create,
            client_ip=client_ip,
            device_id=device_id,
            state=state,
        )
    except BaseException:
        # Given back only when the order was not committed: an after-commit callback
        # failing must not return units the order holds.
        if not state["committed"]:
            flash_gate_undo(gate_pass=gate_pass)
        raise


def _place_in_transaction(
    *,
    member,
    cart: Cart,
    quote: PriceQuote,
    province,
    verdict,
    now,
    create,
    client_ip,
    device_id,
    state: dict,
) -> Order:
    """The placement's one transaction (``order_place`` has checked everything it can).

    ``state["committed"]`` turns true when the transaction commits (the first
    after-commit callback), so the caller knows whether to give the gate back.
    """
    from dispatch.services import allocate
    from members.services.coupons import coupon_lock
    from members.services.points import points_spend_for_checkout

    from ..promotions.campaigns import campaign_budget_take
    from ..promotions.flash_orders import flash_claim

    with transaction.atomic():
        transaction.on_commit(lambda: state.__setitem__("committed", True))
        _hold_channel_open(cart.channel)
        order = unique_number("DD", create)
        OrderLine.objects.bulk_create(_line_rows(order, quote))
        if cart.coupon is not None:
            coupon_lock(
                actor=member, member=member, coupon=cart.coupon, order_no=order.order_no, now=now
            )
        if quote.points_used:
            _entry, deduction = points_spend_for_checkout(
                actor=member,
                member=member,
                order_no=order.order_no,
                points=quote.points_used,
                order_amount=to_money(
                    quote.goods_amount
                    - quote.promotion_discount_amount
                    - quote.level_discount_amount
                    - quote.coupon_discount_amount
                ),
            )
            if deduction != quote.points_deduction_amount:  # pragma: no cover - same formula
                raise InvalidOrderInput(fields={"points": [_("The points value changed.")]})
        sla_clock_start(
            actor=member,
            kind="order.unpaid",
            subject=order,
            started_at=now,
            region=province.region_id,
        )
        facts = {
            "total_amount": f"{order.total_amount:.2f}",
            "lines": len(cart.lines),
            "channel": cart.channel.code,
            "coupon_id": quote.coupon_id,
            "points_used": quote.points_used,
            "risk": verdict.decision,
        }
        if cart.flash is not None:
            facts["flash_session"] = cart.flash.session.pk
        if order.is_presale:
            facts["deposit_amount"] = f"{order.deposit_amount:.2f}"
        order_event_record(actor=member, order=order, type="place", data=facts)
        audit(
            actor=member,
            action="order.place",
            target=order,
            after={"status": order.status},
            data=facts,
        )
        # Contended rows last: a campaign's budget, a flash item's quota and the stock
        # row of a popular SKU stay locked only from their UPDATE to the commit.
        if quote.campaign_usages:
            campaign_budget_take(actor=member, order=order, usages=quote.campaign_usages)
        if cart.flash is not None:
            flash_claim(actor=member, member=member, cart=cart.flash, order=order, lines=cart.lines)
        physical = _physical(quote)
        if physical:
            allocation = allocate(
                actor=system_actor(),
                order_no=order.order_no,
                province=province,
                lines=physical,
                # a flash order ships from where its session holds the quota
                warehouse_ids=(
                    {item.warehouse_id for item in cart.flash.items.values()}
                    if cart.flash is not None
                    else None
                ),
            )
            order.promised_delivery_date = allocation.promised_delivery_date
            order.save(update_fields=["promised_delivery_date"])
        if verdict.needs_review:
            context = {"order_no": order.order_no, "client_ip": client_ip, "device_id": device_id}
            transaction.on_commit(
                lambda: review_opened(
                    point="order.place", verdict=verdict, subject=order, context=context
                )
            )
    return order
