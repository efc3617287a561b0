"""The workbench registry (ops.workbench): one place every app puts what waits for whom.

Items show only to readers they are visible to, are evaluated with the reader as
actor, and a broken item is shown as unavailable without breaking the admin index.
"""

from __future__ import annotations

import json

import pytest

from ops import workbench
from ops.workbench import Chart, ChartData, Panel, PanelRow, Tile

pytestmark = pytest.mark.django_db


@pytest.fixture
def registry(monkeypatch):
    """An empty registry for the test (the apps' own items are restored after)."""
    monkeypatch.setattr(workbench, "_items", {})
    return workbench


def _boom(actor):
    raise RuntimeError("broken tile")


def test_items_are_evaluated_for_the_reader_and_hidden_from_others(registry, make_staff):
    alice, bob = make_staff("alice"), make_staff("bob")
    seen = []

    def count(actor):
        seen.append(actor.username)
        return 3

    registry.register(
        Tile(
            key="t.alice",
            title="Alice's work",
            count=count,
            link="/admin/x/",
            visible=lambda actor: actor.username == "alice",
        )
    )

    assert [tile["count"] for tile in registry.workbench(actor=alice)["tiles"]] == [3]
    assert registry.workbench(actor=bob)["tiles"] == []
    assert seen == ["alice"], "an item hidden from the reader is never evaluated for them"


def test_a_broken_item_is_unavailable_not_a_500(registry, superuser, client):
    registry.register(Tile(key="t.broken", title="Broken", count=_boom, order=1))
    registry.register(Tile(key="t.ok", title="Fine", count=lambda actor: 7, order=2))

    board = registry.workbench(actor=superuser)
    assert [(t["key"], t["error"]) for t in board["tiles"]] == [
        ("t.broken", True),
        ("t.ok", False),
    ]

    client.force_login(superuser)
    page = client.get("/admin/")
    assert page.status_code == 200
    content = page.content.decode()
    assert 'data-tile="t.broken"' in content and 'data-tile="t.ok"' in content


def test_panels_and_charts_render_on_the_index(registry, superuser, client):
    registry.register(
        Panel(
            key="p.waiting",
            title="Waiting",
            rows=lambda actor: [PanelRow(label="Kettle", link="/admin/k/", meta="2 h")],
        )
    )
    registry.register(
        Chart(
            key="c.status",
            title="By status",
            data=lambda actor: ChartData(labels=["草稿", "已上架"], series=[("商品", [2, 5])]),
        )
    )

    board = registry.workbench(actor=superuser)
    chart = json.loads(board["charts"][0]["data"])
    assert chart["labels"] == ["草稿", "已上架"] and chart["datasets"][0]["data"] == [2, 5]

    client.force_login(superuser)
    content = client.get("/admin/").content.decode()
    assert 'data-panel="p.waiting"' in content and "Kettle" in content
    assert 'data-chart="c.status"' in content and 'data-type="bar"' in content


def test_a_chart_kind_other_than_bar_or_line_is_refused(registry):
    with pytest.raises(ValueError):
        registry.register(Chart(key="c.pie", title="Pie", kind="pie", data=lambda a: None))


def test_the_apps_register_their_items_through_the_one_registry():
    keys = {item.key for item in workbench.registered()}
    assert "ops.inbox" in keys
