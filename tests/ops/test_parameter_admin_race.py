"""A change request refused by the service after the form passed (a racing request)."""

import pytest
from django.test import Client

from ops.models import ParameterChangeRequest
from ops.services.parameters import parameter_change_request

pytestmark = pytest.mark.django_db


def test_a_request_refused_between_the_form_check_and_the_save_is_an_error_message(
    make_staff, monkeypatch
):
    requester = make_staff(
        "race_req",
        perms=("ops.add_parameterchangerequest", "ops.view_parameterchangerequest"),
    )
    rival = make_staff("race_rival", perms=("ops.add_parameterchangerequest",))
    client = Client()
    client.force_login(requester)
    # The form's check ran before the rival's request was committed: simulate that
    # window by letting the form pass and the rival win before the save.
    import ops.admin.parameters

    def check_then_rival_wins(**kwargs):
        parameter_change_request(
            actor=rival, key="ops.audit_retention_days", new_value=500, reason="rival"
        )
        return None, None

    monkeypatch.setattr(ops.admin.parameters, "parameter_change_check", check_then_rival_wins)
    response = client.post(
        "/admin/ops/parameterchangerequest/add/",
        {"key": "ops.audit_retention_days", "new_value": "400", "reason": "legal asked"},
        follow=True,
    )
    assert response.status_code == 200
    # (the rival's row shares the admin view's transaction in this simulation and
    # rolls back with it; what matters: no request of ours, no 500, an error shown)
    assert not ParameterChangeRequest.objects.filter(requested_by=requester).exists()
    levels = [message.level_tag for message in response.context["messages"]]
    assert "error" in levels
    assert "success" not in levels
