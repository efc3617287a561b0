from datetime import timedelta

import pytest
from django.utils import timezone

from mall.core.actors import system_actor
from ops.models import ParameterChangeRequest, SlaClock, StaffNotification
from ops.services.notifications import staff_notify
from ops.services.parameters import parameter_change_request
from ops.services.sla import sla_clock_start, sla_clock_stop
from rbac.models import SalesRegion

pytestmark = pytest.mark.django_db

CHANGES = "/api/v1/ops/parameters/change-requests/"


@pytest.fixture
def requester(make_staff):
    return make_staff(
        "api_req",
        perms=("ops.add_parameterchangerequest", "ops.view_parameterchangerequest"),
    )


def test_parameter_list_shows_values_and_defaults(make_staff, staff_client):
    client = staff_client(make_staff("viewer", perms=("ops.view_systemparameter",)))
    response = client.get("/api/v1/ops/parameters/")
    assert response.status_code == 200
    rows = {row["key"]: row for row in response.json()["results"]}
    assert rows["ops.audit_retention_days"]["value"] == 365
    assert rows["ops.audit_retention_days"]["minimum"] == 180
    assert rows["sla.order_review_minutes"]["is_default"] is True


def test_parameter_list_needs_the_view_permission(make_staff, staff_client):
    response = staff_client(make_staff("nobody")).get("/api/v1/ops/parameters/")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"


def test_change_request_flow_through_the_api(requester, make_staff, staff_client):
    view = "ops.view_parameterchangerequest"
    business = make_staff("api_business", perms=(view, "ops.approve_parameter_change"))
    tech = make_staff("api_tech", perms=(view, "ops.approve_parameter_change_tech"))

    created = staff_client(requester).post(
        CHANGES,
        {"key": "sla.order_ship_hours", "new_value": 30, "reason": "carrier strike"},
        format="json",
    )
    assert created.status_code == 201, created.json()
    body = created.json()
    assert (body["old_value"], body["new_value"], body["status"]) == (24, 30, "pending")
    url = f"{CHANGES}{body['id']}/approve/"

    own = staff_client(requester).post(url, {"as_role": "business"}, format="json")
    assert own.status_code == 403  # lacks the permission (and is the requester)

    awaiting = staff_client(tech).get(CHANGES, {"awaiting": "true"})
    assert [row["id"] for row in awaiting.json()["results"]] == [body["id"]]

    first = staff_client(business).post(url, {"as_role": "business"}, format="json")
    assert first.status_code == 200
    assert first.json()["business_approver"] == "api_business"
    again = staff_client(business).post(url, {"as_role": "tech"}, format="json")
    assert again.status_code == 403
    second = staff_client(tech).post(url, {"as_role": "tech"}, format="json")
    assert second.status_code == 200
    assert second.json()["status"] == "applied"

    listed = staff_client(make_staff("v", perms=("ops.view_systemparameter",))).get(
        "/api/v1/ops/parameters/"
    )
    rows = {row["key"]: row for row in listed.json()["results"]}
    assert rows["sla.order_ship_hours"]["value"] == 30
    assert rows["sla.order_ship_hours"]["updated_by"] == "api_tech"

    late = staff_client(tech).post(
        f"{CHANGES}{body['id']}/reject/", {"reason": "too late"}, format="json"
    )
    assert late.status_code == 409
    assert late.json()["error"]["code"] == "parameter_change_not_pending"


def test_bad_values_get_the_error_shape(requester, staff_client):
    client = staff_client(requester)
    cases = [
        {"key": "ops.audit_retention_days", "new_value": 30, "reason": "x"},
        {"key": "ops.audit_retention_days", "new_value": "lots", "reason": "x"},
        {"key": "ops.audit_retention_days", "new_value": {"a": 1}, "reason": "x"},
        {"key": "no.such", "new_value": 1, "reason": "x"},
        {"key": "ops.audit_retention_days", "reason": "x"},
    ]
    for payload in cases:
        response = client.post(CHANGES, payload, format="json")
        assert response.status_code == 400, (payload, response.content)
        assert set(response.json()["error"]) == {"code", "message", "fields"}
    assert not ParameterChangeRequest.objects.exists()


def test_unknown_or_malformed_request_ids_are_404(requester, staff_client):
    client = staff_client(requester)
    assert client.get(f"{CHANGES}999999/").status_code == 404
    assert client.post(f"{CHANGES}abc/approve/", {"as_role": "tech"}).status_code == 404


def soon_subject(clock: SlaClock):
    return SalesRegion.objects.get(pk=clock.subject_id)


def _clock(region_code: str, *, overdue: bool = False) -> SlaClock:
    region = SalesRegion.objects.get(code=region_code)
    started = timezone.now() - timedelta(minutes=30 if overdue else 0)
    return sla_clock_start(
        kind="order.review", subject=region, actor=None, started_at=started, region=region
    )


def test_sla_clock_list_is_ordered_by_deadline_and_filterable(superuser, staff_client):
    late = _clock("east", overdue=True)
    soon = _clock("north")
    client = staff_client(superuser)
    response = client.get("/api/v1/ops/sla-clocks/", {"running": "true"})
    assert response.status_code == 200
    results = response.json()["results"]
    assert [row["id"] for row in results] == [late.pk, soon.pk]
    assert results[0]["is_overdue"] is True and results[1]["is_overdue"] is False
    assert results[0]["region"] == "east"
    only_north = client.get("/api/v1/ops/sla-clocks/", {"region": "north"}).json()["results"]
    assert [row["id"] for row in only_north] == [soon.pk]
    assert client.get("/api/v1/ops/sla-clocks/", {"status": "nonsense"}).status_code == 400
    assert client.get("/api/v1/ops/sla-clocks/", {"running": "null"}).status_code == 400
    sla_clock_stop(kind="order.review", subject=soon_subject(soon), actor=None)
    closed = client.get("/api/v1/ops/sla-clocks/", {"running": "false"}).json()["results"]
    assert [row["id"] for row in closed] == [soon.pk]
    assert len(client.get("/api/v1/ops/sla-clocks/").json()["results"]) == 2
    board = client.get("/api/v1/ops/sla-clocks/board/").json()["results"]
    assert board == [
        {
            "kind": "order.review",
            "kind_label": "订单审核",
            "running": 1,
            "overdue": 1,
            "next_due": board[0]["next_due"],
        }
    ]


def test_sla_clock_list_query_count_does_not_grow_with_rows(
    superuser, staff_client, django_assert_max_num_queries
):
    client = staff_client(superuser)
    _clock("east")
    with django_assert_max_num_queries(6) as few:
        client.get("/api/v1/ops/sla-clocks/")
    for code in ("north", "south", "central", "southwest"):
        _clock(code)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get("/api/v1/ops/sla-clocks/")
    assert len(response.json()["results"]) == 5


def test_sla_extend_through_the_api(make_staff, staff_client):
    clock = _clock("east")
    viewer = make_staff("sla_viewer", perms=("ops.view_slaclock",))
    extender = make_staff("sla_extender", perms=("ops.view_slaclock", "ops.extend_slaclock"))
    url = f"/api/v1/ops/sla-clocks/{clock.pk}/extend/"
    assert staff_client(viewer).post(url, {"minutes": 5, "reason": "x"}).status_code == 403
    # No data scope covers the clock for a user without roles: not found, not forbidden.
    response = staff_client(extender).post(url, {"minutes": 5, "reason": "x"}, format="json")
    assert response.status_code == 404


def test_sla_extend_validates_input(superuser, staff_client):
    clock = _clock("east")
    client = staff_client(superuser)
    url = f"/api/v1/ops/sla-clocks/{clock.pk}/extend/"
    assert client.post(url, {"minutes": 0, "reason": "x"}, format="json").status_code == 400
    assert client.post(url, {"minutes": 5}, format="json").status_code == 400
    response = client.post(url, {"minutes": 15, "reason": "customer call"}, format="json")
    assert response.status_code == 200
    assert response.json()["extended_minutes"] == 15


def test_notification_inbox_is_personal(make_staff, staff_client, superuser):
    alice = make_staff("alice")
    bob = make_staff("bob")
    staff_notify(
        actor=system_actor(),
        recipients=[alice, bob, superuser],
        kind="stock.low",
        title="Low stock",
    )
    alice_client = staff_client(alice)
    inbox = alice_client.get("/api/v1/ops/notifications/").json()["results"]
    assert len(inbox) == 1
    bobs = StaffNotification.objects.get(recipient=bob)
    assert alice_client.get(f"/api/v1/ops/notifications/{bobs.pk}/").status_code == 404
    assert alice_client.post(f"/api/v1/ops/notifications/{bobs.pk}/read/").status_code == 404
    # even a superuser's inbox holds only their own rows
    assert len(staff_client(superuser).get("/api/v1/ops/notifications/").json()["results"]) == 1

    assert alice_client.get("/api/v1/ops/notifications/unread-count/").json() == {"unread": 1}
    read = alice_client.post(f"/api/v1/ops/notifications/{inbox[0]['id']}/read/")
    assert read.status_code == 200 and read.json()["read_at"]
    assert alice_client.get("/api/v1/ops/notifications/unread-count/").json() == {"unread": 0}
    assert (
        alice_client.get("/api/v1/ops/notifications/", {"unread": "true"}).json()["results"] == []
    )
    bobs.refresh_from_db()
    assert bobs.read_at is None


def test_change_request_and_inbox_lists_keep_their_query_count(
    make_staff, staff_client, django_assert_max_num_queries
):
    from ops.parameters import registered_parameters

    requester = make_staff(
        "counted",
        perms=("ops.add_parameterchangerequest", "ops.view_parameterchangerequest"),
    )
    client = staff_client(requester)
    specs = [spec for spec in registered_parameters().values() if spec.kind == "int"]

    def add(index):
        spec = specs[index]
        parameter_change_request(
            actor=requester, key=spec.key, new_value=spec.default + 1, reason="r"
        )
        staff_notify(actor=system_actor(), recipients=[requester], kind="k", title=f"n{index}")

    add(0)
    with django_assert_max_num_queries(8) as first:
        client.get(CHANGES)
        client.get("/api/v1/ops/notifications/")
    for index in range(1, 6):
        add(index)
    with django_assert_max_num_queries(len(first.captured_queries)):
        changes = client.get(CHANGES).json()["results"]
        inbox = client.get("/api/v1/ops/notifications/").json()["results"]
    assert (len(changes), len(inbox)) == (6, 6)
