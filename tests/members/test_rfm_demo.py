"""The demo runs RFM once on its orders (idempotent) and lets marketing export it."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from members.models import MemberRfm, RfmRun


@pytest.mark.django_db
def test_the_demo_scores_its_members_once_and_marketing_may_export_them():
    from members.demo import seed_rfm
    from rbac.models import Role

    call_command("seed_demo", stdout=io.StringIO())
    seed_rfm(stdout=io.StringIO())  # after the orders demo (seed_demo's last step)
    rows = list(MemberRfm.objects.order_by("pk").values())
    assert RfmRun.objects.count() == 1
    assert MemberRfm.objects.exclude(segment="").count() > 10
    assert MemberRfm.objects.values("segment").exclude(segment="").distinct().count() >= 4
    seed_rfm(stdout=io.StringIO())
    assert list(MemberRfm.objects.order_by("pk").values()) == rows
    assert RfmRun.objects.count() == 1

    def codenames(role: str) -> set[str]:
        return set(Role.objects.get(code=role).group.permissions.values_list("codename", flat=True))

    assert {"view_member", "view_memberrfm", "export_rfm"} <= codenames("marketing")
    assert "view_member_pii" not in codenames("marketing")
    assert {"view_memberrfm", "export_rfm", "view_rfmrun"} <= codenames("ops_lead")
