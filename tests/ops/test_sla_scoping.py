"""SLA clocks follow the sales region: the demo's regional order ops see and hear of theirs."""

import io
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from mall.core.actors import system_actor
from ops import demo as ops_demo
from ops.models import StaffNotification
from ops.selectors import sla_clock_list
from ops.services.sla import sla_clock_start, sla_scan
from rbac.models import SalesRegion

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff():
    from mall.core.management.commands.seed_demo import seed_superuser
    from rbac import demo as rbac_demo

    seed_superuser()
    rbac_demo.seed(stdout=io.StringIO())
    ops_demo.seed(stdout=io.StringIO())
    return {u.username: u for u in get_user_model().objects.all()}


@pytest.fixture
def clocks(staff):
    started = timezone.now() - timedelta(hours=1)
    made = {}
    for code in ("east", "north"):
        region = SalesRegion.objects.get(code=code)
        made[code] = sla_clock_start(
            kind="order.review",
            subject=region,
            actor=staff["admin"],
            region=region,
            started_at=started,
        )
    made["none"] = sla_clock_start(
        kind="order.review", subject=staff["admin"], actor=staff["admin"], started_at=started
    )
    return made


def test_regional_staff_see_their_regions_clocks_only(staff, clocks):
    def visible(username):
        return set(sla_clock_list(actor=staff[username]).values_list("pk", flat=True))

    assert visible("ops_east") == {clocks["east"].pk}
    assert visible("ops_north") == {clocks["north"].pk}
    # all-scope roles see clocks without a region as well
    assert visible("ops_lead") == {clock.pk for clock in clocks.values()}
    assert visible("finance") == set()  # no ops.view_slaclock


def test_breach_escalations_reach_the_regions_staff_and_the_leads(staff, clocks):
    sla_scan(actor=system_actor())

    def inbox(username):
        return set(
            StaffNotification.objects.filter(
                recipient=staff[username], kind="sla.breached"
            ).values_list("link", flat=True)
        )

    def link(clock):
        return f"/admin/ops/slaclock/{clock.pk}/change/"

    assert inbox("ops_east") == {link(clocks["east"])}
    assert inbox("ops_north") == {link(clocks["north"])}
    assert inbox("ops_lead") == {link(clock) for clock in clocks.values()}
    assert inbox("cs_agent") == set()  # can view the board, not on the escalation list
