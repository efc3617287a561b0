import io

import pytest

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
