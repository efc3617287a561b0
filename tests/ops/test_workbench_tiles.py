"""Ops' and rbac's workbench tiles: what waits for this reader, in their scope."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from mall.core.actors import system_actor
from ops.services.parameters import parameter_change_approve, parameter_change_request
from ops.services.sla import sla_clock_start
from ops.workbench import workbench
from rbac.models import SalesRegion

pytestmark = pytest.mark.django_db

KEY = "sla.order_review_minutes"


def _tiles(actor) -> dict[str, dict]:
    return {tile["key"]: tile for tile in workbench(actor=actor)["tiles"]}


@pytest.fixture
def people(make_staff):
    view = ("ops.view_parameterchangerequest",)
    return {
        "requester": make_staff("asker", perms=(*view, "ops.add_parameterchangerequest")),
        "business": make_staff("owner", perms=(*view, "ops.approve_parameter_change")),
        "tech": make_staff("techie", perms=(*view, "ops.approve_parameter_change_tech")),
        "clerk": make_staff("clerk"),
    }


def test_parameter_changes_to_approve_count_only_what_waits_for_this_reader(people):
    change = parameter_change_request(
        actor=people["requester"], key=KEY, new_value=25, reason="大促"
    )
    assert _tiles(people["business"])["ops.parameter_changes_awaiting"]["count"] == 1
    assert _tiles(people["tech"])["ops.parameter_changes_awaiting"]["count"] == 1
    assert "ops.parameter_changes_awaiting" not in _tiles(people["requester"])  # own request
    assert "ops.parameter_changes_awaiting" not in _tiles(people["clerk"])

    parameter_change_approve(actor=people["tech"], request=change, as_role="tech")

    assert _tiles(people["tech"])["ops.parameter_changes_awaiting"]["count"] == 0
    assert _tiles(people["business"])["ops.parameter_changes_awaiting"]["count"] == 1
    link = _tiles(people["business"])["ops.parameter_changes_awaiting"]["link"]
    assert link.endswith("?awaiting=me")


def test_sla_tiles_count_running_and_overdue_clocks_in_the_readers_scope(make_staff):
    regions = list(SalesRegion.objects.order_by("pk")[:2])
    system = system_actor()
    lead = make_staff("lead", superuser=True)
    started = timezone.now() - timedelta(days=3)
    for region in regions:
        sla_clock_start(
            kind="order.review", subject=region, actor=system, region=region, started_at=started
        )
    sla_clock_start(kind="order.review", subject=lead, actor=system)  # due in the future
    tiles = _tiles(lead)
    assert tiles["ops.sla_running"]["count"] == 3
    assert tiles["ops.sla_overdue"]["count"] == 2
    assert tiles["ops.sla_overdue"]["tone"] == "danger"
    nobody = make_staff("nobody")
    assert "ops.sla_running" not in _tiles(nobody)
