import threading

import pytest
from django.db import connection
from django.utils import translation

from ops.exceptions import (
    OpsPermissionDenied,
    ParameterApprovalRefused,
    ParameterChangeConflict,
    ParameterChangeNotPending,
    ParameterUnknown,
    ParameterValueInvalid,
)
from ops.models import AuditEntry, ParameterChangeRequest, SystemParameter
from ops.parameters import get_parameter
from ops.selectors import parameter_change_requests_awaiting, parameter_list
from ops.services.parameters import (
    parameter_change_approve,
    parameter_change_reject,
    parameter_change_request,
    parameter_change_withdraw,
)
from tests.conftest import requires_postgres

KEY = "sla.order_review_minutes"
REQUESTER_PERMS = ("ops.add_parameterchangerequest", "ops.view_parameterchangerequest")


@pytest.fixture
def requester(make_staff):
    return make_staff("requester", perms=REQUESTER_PERMS)


@pytest.fixture
def business(make_staff):
    return make_staff("business_owner", perms=("ops.approve_parameter_change",))


@pytest.fixture
def tech(make_staff):
    return make_staff("tech_lead_user", perms=("ops.approve_parameter_change_tech",))


@pytest.fixture
def both_roles(make_staff):
    return make_staff(
        "both_roles",
        perms=("ops.approve_parameter_change", "ops.approve_parameter_change_tech"),
    )


@pytest.fixture
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def pending(requester):
    return parameter_change_request(actor=requester, key=KEY, new_value="15", reason="peak season")


@pytest.mark.django_db
def test_request_records_old_value_and_typed_new_value(pending):
    assert pending.status == ParameterChangeRequest.Status.PENDING
    assert pending.old_value == 10
    assert pending.new_value == 15
    assert AuditEntry.objects.filter(action="parameter.change_request").count() == 1


@pytest.mark.django_db
def test_invalid_values_are_refused_with_a_clear_error(requester, english):
    with pytest.raises(ParameterValueInvalid) as error:
        parameter_change_request(actor=requester, key=KEY, new_value="soon", reason="x")
    assert error.value.fields == {"new_value": ["expected a whole number"]}
    assert "sla.order_review_minutes" in error.value.message
    with pytest.raises(ParameterValueInvalid) as error:
        parameter_change_request(
            actor=requester, key="ops.audit_retention_days", new_value=90, reason="save disk"
        )
    assert error.value.fields == {"new_value": ["must be at least 180"]}
    with pytest.raises(ParameterValueInvalid):
        parameter_change_request(actor=requester, key=KEY, new_value=None, reason="x")
    with pytest.raises(ParameterValueInvalid):
        parameter_change_request(actor=requester, key=KEY, new_value={"a": 1}, reason="x")
    with pytest.raises(ParameterValueInvalid) as error:
        parameter_change_request(actor=requester, key=KEY, new_value=12, reason="  ")
    assert "reason" in error.value.fields
    with pytest.raises(ParameterValueInvalid):
        parameter_change_request(actor=requester, key=KEY, new_value=10, reason="same value")
    with pytest.raises(ParameterUnknown):
        parameter_change_request(actor=requester, key="no.such.key", new_value=1, reason="x")
    assert not ParameterChangeRequest.objects.exists()


@pytest.mark.django_db
def test_errors_are_given_in_the_staff_language(requester):
    with translation.override("zh-hans"), pytest.raises(ParameterValueInvalid) as error:
        parameter_change_request(
            actor=requester, key="ops.audit_retention_days", new_value=90, reason="x"
        )
    assert error.value.fields == {"new_value": ["不能小于 180"]}


@pytest.mark.django_db
def test_requesting_needs_the_add_permission(make_staff):
    nobody = make_staff("nobody")
    with pytest.raises(OpsPermissionDenied):
        parameter_change_request(actor=nobody, key=KEY, new_value=12, reason="x")


@pytest.mark.django_db
def test_only_one_pending_request_per_parameter(pending, requester):
    with pytest.raises(ParameterChangeConflict):
        parameter_change_request(actor=requester, key=KEY, new_value=20, reason="again")


@pytest.mark.django_db
def test_business_and_tech_approval_apply_the_change_atomically_and_audited(
    pending, business, tech
):
    parameter_change_approve(actor=business, request=pending, as_role="business")
    assert get_parameter(KEY) == 10  # one approval changes nothing
    assert not SystemParameter.objects.filter(key=KEY).exists()

    applied = parameter_change_approve(actor=tech, request=pending, as_role="tech")
    assert applied.status == ParameterChangeRequest.Status.APPLIED
    assert applied.decided_by == tech
    row = SystemParameter.objects.get(key=KEY)
    assert row.value == 15
    assert row.updated_by == tech
    assert get_parameter(KEY) == 15  # the cached default was forgotten
    entry = AuditEntry.objects.get(action="parameter.change")
    assert entry.object_id == KEY
    assert entry.before == {"value": 10}
    assert entry.after == {"value": 15}
    assert entry.data["business_approver"] == business.pk
    assert entry.data["tech_approver"] == tech.pk


@pytest.mark.django_db
def test_approval_order_does_not_matter(pending, business, tech):
    parameter_change_approve(actor=tech, request=pending, as_role="tech")
    applied = parameter_change_approve(actor=business, request=pending, as_role="business")
    assert applied.status == ParameterChangeRequest.Status.APPLIED


@pytest.mark.django_db
def test_the_same_person_cannot_approve_twice_in_both_roles(pending, both_roles):
    parameter_change_approve(actor=both_roles, request=pending, as_role="business")
    with pytest.raises(ParameterApprovalRefused):
        parameter_change_approve(actor=both_roles, request=pending, as_role="tech")
    pending.refresh_from_db()
    assert pending.status == ParameterChangeRequest.Status.PENDING
    assert pending.tech_approver is None


@pytest.mark.django_db
def test_the_same_role_cannot_approve_twice(pending, business, make_staff):
    parameter_change_approve(actor=business, request=pending, as_role="business")
    other = make_staff("other_business", perms=("ops.approve_parameter_change",))
    with pytest.raises(ParameterChangeConflict):
        parameter_change_approve(actor=other, request=pending, as_role="business")


@pytest.mark.django_db
def test_the_requester_cannot_approve_their_own_request(make_staff):
    requester = make_staff(
        "self_approver", perms=(*REQUESTER_PERMS, "ops.approve_parameter_change")
    )
    request = parameter_change_request(actor=requester, key=KEY, new_value=12, reason="x")
    with pytest.raises(ParameterApprovalRefused):
        parameter_change_approve(actor=requester, request=request, as_role="business")


@pytest.mark.django_db
def test_missing_tech_approval_leaves_the_value_unchanged(pending, business):
    parameter_change_approve(actor=business, request=pending, as_role="business")
    with pytest.raises(ParameterApprovalRefused):  # a business owner is no tech lead
        parameter_change_approve(actor=business, request=pending, as_role="tech")
    assert get_parameter(KEY) == 10
    assert not AuditEntry.objects.filter(action="parameter.change").exists()


@pytest.mark.django_db
def test_approving_needs_the_roles_permission_and_a_known_role(pending, requester, make_staff):
    plain = make_staff("plain", perms=REQUESTER_PERMS)
    with pytest.raises(ParameterApprovalRefused):
        parameter_change_approve(actor=plain, request=pending, as_role="business")
    with pytest.raises(ParameterValueInvalid):
        parameter_change_approve(actor=plain, request=pending, as_role="boss")


@pytest.mark.django_db
def test_reject_needs_a_reason_and_closes_the_request(pending, business, tech):
    with pytest.raises(ParameterValueInvalid):
        parameter_change_reject(actor=business, request=pending, reason="")
    rejected = parameter_change_reject(actor=business, request=pending, reason="too short")
    assert rejected.status == ParameterChangeRequest.Status.REJECTED
    assert rejected.rejection_reason == "too short"
    with pytest.raises(ParameterChangeNotPending):
        parameter_change_approve(actor=tech, request=pending, as_role="tech")
    assert get_parameter(KEY) == 10


@pytest.mark.django_db
def test_requester_cannot_reject_but_can_withdraw(make_staff):
    requester = make_staff("req", perms=(*REQUESTER_PERMS, "ops.approve_parameter_change"))
    request = parameter_change_request(actor=requester, key=KEY, new_value=12, reason="x")
    with pytest.raises(ParameterApprovalRefused):
        parameter_change_reject(actor=requester, request=request, reason="oops")
    withdrawn = parameter_change_withdraw(actor=requester, request=request)
    assert withdrawn.status == ParameterChangeRequest.Status.WITHDRAWN
    # a new request for the same parameter is possible again
    parameter_change_request(actor=requester, key=KEY, new_value=12, reason="again")


@pytest.mark.django_db
def test_waiting_for_my_approval_lists_what_each_approver_still_has_to_do(
    pending, business, tech, requester
):
    def awaiting(user):
        return list(
            parameter_change_requests_awaiting(
                actor=user, queryset=ParameterChangeRequest.objects.all()
            )
        )

    assert awaiting(business) == [pending]
    assert awaiting(tech) == [pending]
    assert awaiting(requester) == []
    parameter_change_approve(actor=business, request=pending, as_role="business")
    assert awaiting(business) == []
    assert awaiting(tech) == [pending]


@pytest.mark.django_db
def test_parameter_list_shows_every_registered_parameter_with_defaults(make_staff, superuser):
    viewer = make_staff("viewer", perms=("ops.view_systemparameter",))
    SystemParameter.objects.create(key="sla.order_ship_hours", value=36)
    rows = {row.key: row for row in parameter_list(actor=viewer)}
    assert rows["ops.audit_retention_days"].value == 365
    assert rows["ops.audit_retention_days"].minimum == 180
    assert rows["ops.audit_retention_days"].is_default
    assert rows["sla.order_ship_hours"].value == 36
    assert rows["sla.order_ship_hours"].default == 24
    assert not rows["sla.order_ship_hours"].is_default
    assert parameter_list(actor=make_staff("blind")) == []


@pytest.mark.django_db
def test_audit_purge_task_reads_the_retention_parameter(monkeypatch):
    from ops import tasks

    SystemParameter.objects.create(key="ops.audit_retention_days", value=400)
    seen = {}

    def fake_purge(*, actor, retention_days):
        seen["days"] = retention_days
        return 0

    monkeypatch.setattr(tasks, "audit_entries_purge", fake_purge)
    tasks.audit_entries_purge_task.apply()
    assert seen["days"] == 400


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_racing_approvals_apply_the_change_exactly_once(make_staff):
    requester = make_staff("race_req", perms=REQUESTER_PERMS)
    business = make_staff("race_business", perms=("ops.approve_parameter_change",))
    business2 = make_staff("race_business2", perms=("ops.approve_parameter_change",))
    tech = make_staff("race_tech", perms=("ops.approve_parameter_change_tech",))
    tech2 = make_staff("race_tech2", perms=("ops.approve_parameter_change_tech",))
    request = parameter_change_request(actor=requester, key=KEY, new_value=20, reason="race")
    barrier = threading.Barrier(4)
    outcomes: list[str] = []

    def approve(user, role):
        try:
            barrier.wait()
            fresh = ParameterChangeRequest.objects.get(pk=request.pk)
            parameter_change_approve(actor=user, request=fresh, as_role=role)
            outcomes.append("ok")
        except (ParameterChangeConflict, ParameterChangeNotPending) as exc:
            outcomes.append(exc.code)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=approve, args=args)
        for args in (
            (business, "business"),
            (business2, "business"),
            (tech, "tech"),
            (tech2, "tech"),
        )
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    request.refresh_from_db()
    assert request.status == ParameterChangeRequest.Status.APPLIED
    assert outcomes.count("ok") == 2  # one business owner and one tech lead
    assert AuditEntry.objects.filter(action="parameter.change").count() == 1
    assert SystemParameter.objects.get(key=KEY).value == 20
