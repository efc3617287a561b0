# ruff: noqa: F811 - fixtures imported from after_sales_fixtures are parameters here
"""The workbench tiles of after-sales and reviews: what waits, for whom, in their scope."""

from __future__ import annotations

import pytest

from ops.workbench import workbench
from orders.services.after_sales import after_sale_approve, after_sale_request
from orders.services.reviews import review_create
from tests.orders.after_sales_fixtures import (  # noqa: F401
    buyer,
    clock,
    cs_agent,
    cs_north,
    finance,
    received_order,
    sku,
    staff,
)

pytestmark = pytest.mark.django_db

KEYS = (
    "orders.after_sales_waiting",
    "orders.refunds_waiting",
    "orders.negative_reviews_waiting",
)


def _tiles(actor) -> dict:
    return {tile["key"]: tile for tile in workbench(actor=actor)["tiles"] if tile["key"] in KEYS}


def test_each_role_sees_its_own_waiting_work_counted_in_its_scope(
    buyer, received_order, cs_agent, cs_north, finance
):
    line = received_order.lines.get()
    first = after_sale_request(
        actor=buyer, order=received_order, kind="refund_only", lines=[(line, 1)], reason="quality"
    )
    after_sale_request(
        actor=buyer, order=received_order, kind="refund_only", lines=[(line, 1)], reason="quality"
    )
    review_create(actor=buyer, order=received_order, line=line, rating=1, text="差")
    after_sale_approve(actor=cs_agent, after_sale=first)

    cs = _tiles(cs_agent)
    assert cs["orders.after_sales_waiting"]["count"] == 1
    assert cs["orders.negative_reviews_waiting"]["count"] == 1
    assert "orders.refunds_waiting" not in cs
    assert "status__exact=requested" in cs["orders.after_sales_waiting"]["link"]
    north = _tiles(cs_north)
    assert north["orders.after_sales_waiting"]["count"] == 0
    assert north["orders.negative_reviews_waiting"]["count"] == 0
    money = _tiles(finance)
    assert (
        set(money) == {"orders.refunds_waiting"} and money["orders.refunds_waiting"]["count"] == 1
    )


def test_the_member_360_page_lists_the_members_cases_for_readers_in_scope(
    buyer, received_order, cs_agent, cs_north, staff
):
    from members.member_360 import member_360_sections

    case = after_sale_request(
        actor=buyer,
        order=received_order,
        kind="refund_only",
        lines=[(received_order.lines.get(), 1)],
        reason="quality",
    )
    sections = {s["title"]: s for s in member_360_sections(member=buyer, actor=cs_agent)}
    section = sections["最近售后"]
    ((number, kind, status, amount),) = section["rows"]  # cells come back normalised
    assert [cell["text"] for cell in (number, kind, status, amount)] == [
        case.case_no,
        "仅退款",
        "待审核",
        "99.00",
    ]
    assert number["link"].endswith(f"/admin/orders/aftersale/{case.pk}/change/")
    north = {s["title"]: s for s in member_360_sections(member=buyer, actor=cs_north)}
    assert north["最近售后"]["rows"] == []
    nobody = staff("nobody", ("members.view_member",))
    assert "最近售后" not in {s["title"] for s in member_360_sections(member=buyer, actor=nobody)}
