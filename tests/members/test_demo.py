"""The members demo data: 100 members across levels and regions, idempotent."""

from __future__ import annotations

import io

from django.urls import reverse
from rest_framework.test import APIClient

from members.models import Coupon, Member
from members.selectors import points_verify


def test_demo_members_exist_across_levels_and_regions_and_can_log_in(db):
    from mall.core.management.commands.seed_demo import seed_superuser
    from members import demo
    from rbac import demo as rbac_demo

    seed_superuser()
    rbac_demo.seed(stdout=io.StringIO())
    demo.seed(stdout=io.StringIO())
    demo.seed(stdout=io.StringIO())  # idempotent
    members = Member.objects.all()
    assert members.count() == 100
    assert set(members.values_list("level__code", flat=True)) == {f"VIP{i}" for i in range(1, 8)}
    assert members.values("region").distinct().count() == 7
    assert Coupon.objects.exists()
    assert all(points_verify(actor=member, member=member).ok for member in members[:20])
    response = APIClient().post(
        reverse("store-login"),
        {"phone": "13900000099", "password": "mall-demo-2026"},
        format="json",
    )
    assert response.status_code == 200
    from rbac.models import Role

    def codenames(role: str) -> set[str]:
        group = Role.objects.get(code=role).group
        return set(group.permissions.values_list("codename", flat=True))

    assert "view_member" in codenames("customer_service")
    assert "view_member_pii" not in codenames("customer_service")
    assert "view_member_pii" in codenames("ops_lead")
