import io

import pytest
from django.contrib.auth import get_user_model

from ops import demo
from ops.models import ParameterChangeRequest

pytestmark = pytest.mark.django_db


def test_demo_seed_leaves_pending_requests_once(make_staff, monkeypatch):
    monkeypatch.setattr(demo, "_grant_role_permissions", lambda stdout: None)
    make_staff("ops_lead", perms=("ops.add_parameterchangerequest",))
    make_staff("tech_lead", perms=("ops.add_parameterchangerequest",))
    demo.seed(stdout=io.StringIO())
    demo.seed(stdout=io.StringIO())
    pending = ParameterChangeRequest.objects.filter(status="pending")
    assert sorted(pending.values_list("key", "requested_by__username")) == [
        ("ops.audit_retention_days", "tech_lead"),
        ("sla.order_review_minutes", "ops_lead"),
    ]


def test_demo_roles_can_work_the_approval_flow_after_seeding():
    from mall.core.management.commands.seed_demo import seed_superuser
    from ops.services.parameters import parameter_change_approve
    from rbac import demo as rbac_demo

    seed_superuser()
    rbac_demo.seed(stdout=io.StringIO())
    demo.seed(stdout=io.StringIO())
    ops_lead = get_user_model().objects.get(username="ops_lead")
    tech_lead = get_user_model().objects.get(username="tech_lead")
    retention = ParameterChangeRequest.objects.get(key="ops.audit_retention_days")
    assert retention.requested_by == tech_lead
    parameter_change_approve(actor=ops_lead, request=retention, as_role="business")
    review = ParameterChangeRequest.objects.get(key="sla.order_review_minutes")
    parameter_change_approve(actor=tech_lead, request=review, as_role="tech")
    assert get_user_model().objects.get(username="ops_east").has_perm("ops.view_slaclock")
