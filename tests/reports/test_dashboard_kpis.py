"""Dashboard figures equal the hand-computed ones (seed 001 §二(五)), per reader's scope.

The trade (conftest): this week 8 orders, one brushed (left out everywhere), two never
paid; the week before 4 orders, one brushed. Hand-computed below.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from ops.reports import selectors

pytestmark = pytest.mark.django_db


def _week(monday):
    return selectors.days_window(monday, 7)


def test_every_kpi_of_an_all_scoped_reader_equals_the_hand_computed_figure(all_reader, trade):
    figures = selectors.kpi_figures(actor=all_reader, window=_week(trade))

    assert figures["orders"] == 7  # 8 placed, the brushed one out
    assert figures["paid_orders"] == 5
    assert figures["gmv"] == Decimal("460.00")  # 100 + 50 + 30 + 200 + 80
    assert figures["paid_conversion"] == Decimal("0.7143")  # 5 / 7
    assert figures["average_order_value"] == Decimal("92.00")  # 460 / 5
    assert figures["new_members"] == 2  # m3 and m4 registered this week
    assert figures["buyers"] == 3  # m1, m2, m4
    assert figures["repeat_buyers"] == 2  # m1 (2 orders), m2 (east + north)
    assert figures["repeat_purchase_rate"] == Decimal("0.6667")
    assert figures["previous_buyers"] == 3  # m1, m3, m2 (m4's order was brushed)
    assert figures["retained_buyers"] == 2  # m1 and m2 bought again; m3 never paid
    assert figures["retention_rate"] == Decimal("0.6667")
    assert figures["refunded"] == Decimal("220.00")
    assert figures["refund_rate"] == Decimal("0.4783")  # 220 / 460


def test_a_region_scoped_reader_gets_exactly_their_regions_figures(east_reader, trade):
    figures = selectors.kpi_figures(actor=east_reader, window=_week(trade))

    assert figures["orders"] == 4
    assert figures["paid_orders"] == 3
    assert figures["gmv"] == Decimal("180.00")
    assert figures["paid_conversion"] == Decimal("0.7500")
    assert figures["average_order_value"] == Decimal("60.00")
    assert figures["new_members"] == 1  # m3, of east; m4 belongs to north
    assert figures["buyers"] == 2  # m1, m2 (m2's north order is not theirs to see)
    assert figures["repeat_purchase_rate"] == Decimal("0.5000")
    assert figures["previous_buyers"] == 2  # m1, m3
    assert figures["retention_rate"] == Decimal("0.5000")
    assert figures["refund_rate"] == Decimal("0.1111")  # 20 / 180


def test_a_regional_reader_filtering_by_another_region_sees_nothing(east_reader, trade):
    figures = selectors.kpi_figures(actor=east_reader, window=_week(trade), region="north")

    assert figures["orders"] == 0
    assert figures["gmv"] == Decimal("0.00")
    assert figures["new_members"] == 0
    assert figures["paid_conversion"] is None
    rows = selectors.kpi_breakdown(actor=east_reader, window=_week(trade), by="region")
    assert [row["code"] for row in rows] == ["east"]


def test_the_previous_week_is_computed_the_same_way(all_reader, trade):
    figures = selectors.kpi_figures(actor=all_reader, window=_week(trade).previous())

    assert figures["orders"] == 3
    assert figures["gmv"] == Decimal("170.00")
    assert figures["average_order_value"] == Decimal("56.67")  # 170 / 3, half-up


def test_a_channel_filter_narrows_orders_and_leaves_new_members_unknown(all_reader, trade):
    figures = selectors.kpi_figures(actor=all_reader, window=_week(trade), channel="rep_tmall")

    assert figures["orders"] == 3
    assert figures["paid_orders"] == 2
    assert figures["gmv"] == Decimal("230.00")
    assert figures["new_members"] is None


def test_the_breakdowns_split_the_figures_by_region_and_by_channel(all_reader, trade):
    regions = selectors.kpi_breakdown(actor=all_reader, window=_week(trade), by="region")
    channels = selectors.kpi_breakdown(actor=all_reader, window=_week(trade), by="channel")

    assert [(r["code"], r["orders"], r["paid_orders"], r["gmv"]) for r in regions] == [
        ("east", 4, 3, Decimal("180.00")),
        ("north", 3, 2, Decimal("280.00")),
    ]
    assert regions[1]["refund_rate"] == Decimal("0.7143")  # 200 / 280
    assert [(c["code"], c["orders"], c["gmv"], c["refund_rate"]) for c in channels] == [
        ("own_store", 4, Decimal("230.00"), Decimal("0.0870")),
        ("rep_tmall", 3, Decimal("230.00"), Decimal("0.8696")),
    ]


def test_the_daily_trend_has_one_row_per_day_with_zeros_for_quiet_days(all_reader, trade):
    days = selectors.kpi_daily(actor=all_reader, window=_week(trade))

    assert [row["day"] for row in days] == [trade + timedelta(days=n) for n in range(7)]
    assert [row["gmv"] for row in days] == [
        Decimal("100.00"),
        Decimal("50.00"),
        Decimal("30.00"),
        Decimal("200.00"),
        Decimal("80.00"),
        Decimal("0.00"),
        Decimal("0.00"),
    ]
    assert [row["orders"] for row in days] == [1, 1, 2, 1, 1, 1, 0]


def test_the_dashboard_choices_of_a_regional_reader_name_only_their_region(
    east_reader, all_reader, trade
):
    from orders.models import Order

    # the choices look at the last 60 days: bring the trade forward
    Order.objects.update(created_at=selectors.period_window("7d").start)
    east = selectors.dashboard_choices(actor=east_reader)
    everything = selectors.dashboard_choices(actor=all_reader)

    assert [code for code, _name in east["regions"]] == ["east"]
    assert {code for code, _name in east["channels"]} == {"own_store", "rep_tmall"}
    assert {"east", "north"} <= {code for code, _name in everything["regions"]}


def test_the_dashboard_cards_cover_today_7_and_30_days_with_their_previous_windows(
    all_reader, trade
):
    data = selectors.dashboard_get(actor=all_reader, period="30d")

    assert set(data["cards"]) == {"today", "7d", "30d"}
    assert data["current"] == data["cards"]["30d"]["current"]
    assert len(data["trend"]) == 30
    # the trade's week lies 8 to 14 days back: in the last 30 days, not in the last 7
    assert data["cards"]["30d"]["current"]["gmv"] >= Decimal("460.00")
    assert data["cards"]["7d"]["current"]["gmv"] == Decimal("0.00")
