"""The reconciliation tiles: yesterday's bills (scoped open items, failure in red) and
the adjustments waiting for someone other than their proposer."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from ops.workbench import workbench
from payments.services.discrepancies import adjustment_propose
from rbac.models import SalesRegion
from tests.payments.reconciliation.queue_factories import (
    make_discrepancy,
    make_finance,
    make_run,
)

pytestmark = pytest.mark.django_db


def _items(actor) -> tuple[dict, dict]:
    board = workbench(actor=actor)
    tiles = {t["key"]: t for t in board["tiles"]}
    panels = {p["key"]: p for p in board["panels"]}
    return tiles, panels


def test_yesterdays_bills_show_scoped_open_items_and_a_failure_in_red():
    yesterday = timezone.localdate() - timedelta(days=1)
    east = SalesRegion.objects.get(code="east")
    north = SalesRegion.objects.get(code="north")
    run = make_run(bill_date=yesterday)
    make_discrepancy(run, region=east)
    make_discrepancy(run, region=north)
    make_discrepancy(make_run(bill_date=yesterday - timedelta(days=1)), region=east)
    east_reader = make_finance("wb_rc_east", regions=("east",))
    tiles, panels = _items(east_reader)
    tile = tiles["payments.reconciliation_yesterday"]
    assert not tile["error"] and tile["count"] == 1 and tile["tone"] == "warning"
    # the per-channel panel shows whole-bill runs: only to readers of every region
    panel = panels.get("payments.reconciliation_channels")
    assert panel is None or panel["rows"] == []
    rows = _items(make_finance("wb_rc_all0"))[1]["payments.reconciliation_channels"]["rows"]
    assert len(rows) == 1 and "¥2.00" in rows[0].meta

    make_run(channel="wechat", bill_date=yesterday, status="failed")
    tiles, panels = _items(make_finance("wb_rc_all"))
    assert tiles["payments.reconciliation_yesterday"]["count"] == 2
    assert tiles["payments.reconciliation_yesterday"]["tone"] == "danger"
    assert len(panels["payments.reconciliation_channels"]["rows"]) == 2


def test_adjustments_waiting_do_not_count_the_readers_own():
    proposer = make_finance("wb_prop")
    other = make_finance("wb_other")
    adjustment_propose(actor=proposer, discrepancy=make_discrepancy(), amount="1.00", note="x")
    assert _items(proposer)[0]["payments.adjustments_waiting"]["count"] == 0
    assert _items(other)[0]["payments.adjustments_waiting"]["count"] == 1


def test_the_tiles_need_their_permissions():
    plain = make_finance("wb_plain", perms=("payments.view_paymenttransaction",))
    tiles, panels = _items(plain)
    assert "payments.reconciliation_yesterday" not in tiles
    assert "payments.adjustments_waiting" not in tiles
    assert "payments.reconciliation_channels" not in panels
