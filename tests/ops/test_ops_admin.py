from datetime import timedelta

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.test import Client
from django.utils import timezone

from mall.core.actors import system_actor
from ops.models import AuditEntry, ParameterChangeRequest, SlaClock, StaffNotification
from ops.parameters import get_parameter
from ops.services.notifications import staff_notify
from ops.services.parameters import parameter_change_request
from ops.services.sla import sla_clock_start
from rbac.models import SalesRegion

pytestmark = pytest.mark.django_db

VIEW = "ops.view_parameterchangerequest"
REQUESTS_URL = "/admin/ops/parameterchangerequest/"


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def requester(make_staff):
    return make_staff(
        "adm_req",
        perms=("ops.add_parameterchangerequest", VIEW, "ops.view_systemparameter"),
    )


def test_the_parameter_page_lists_unchanged_parameters_too(requester):
    response = login(requester).get("/admin/ops/systemparameter/")
    assert response.status_code == 200
    content = response.content.decode()
    assert "ops.audit_retention_days" in content
    assert "sla.order_ship_promotion_hours" in content
    assert "?key=ops.audit_retention_days" in content  # "request change" link


def test_the_parameter_page_needs_the_view_permission(make_staff):
    assert login(make_staff("nobody")).get("/admin/ops/systemparameter/").status_code == 403


def test_admin_add_form_refuses_invalid_values_and_creates_through_the_service(requester):
    client = login(requester)
    bad = client.post(
        f"{REQUESTS_URL}add/",
        {"key": "ops.audit_retention_days", "new_value": "30", "reason": "save disk"},
    )
    assert bad.status_code == 200
    assert "不能小于 180" in bad.content.decode()  # the admin speaks zh-hans by default
    assert not ParameterChangeRequest.objects.exists()

    good = client.post(
        f"{REQUESTS_URL}add/",
        {"key": "ops.audit_retention_days", "new_value": "400", "reason": "legal asked"},
    )
    assert good.status_code == 302
    change = ParameterChangeRequest.objects.get()
    assert (change.old_value, change.new_value, change.requested_by) == (365, 400, requester)
    assert AuditEntry.objects.filter(action="parameter.change_request").exists()


def test_approval_actions_are_gated_and_apply_the_change(requester, make_staff):
    change = parameter_change_request(
        actor=requester, key="sla.order_review_minutes", new_value=20, reason="busy"
    )
    business = make_staff("adm_business", perms=(VIEW, "ops.approve_parameter_change"))
    tech = make_staff("adm_tech", perms=(VIEW, "ops.approve_parameter_change_tech"))

    page = login(business).get(REQUESTS_URL).content.decode()
    assert 'value="approve_business"' in page
    assert 'value="approve_tech"' not in page
    assert 'value="approve_business"' not in login(requester).get(REQUESTS_URL).content.decode()

    # an action the user may not run is refused (no change)
    login(business).post(
        REQUESTS_URL, {"action": "approve_tech", ACTION_CHECKBOX_NAME: [change.pk]}
    )
    change.refresh_from_db()
    assert change.tech_approver is None

    awaiting = login(tech).get(REQUESTS_URL, {"awaiting": "me"}).context["cl"].result_list
    assert list(awaiting) == [change]

    for user, action in ((business, "approve_business"), (tech, "approve_tech")):
        response = login(user).post(
            REQUESTS_URL, {"action": action, ACTION_CHECKBOX_NAME: [change.pk]}
        )
        assert response.status_code == 302
    change.refresh_from_db()
    assert change.status == ParameterChangeRequest.Status.APPLIED
    assert get_parameter("sla.order_review_minutes") == 20


def test_reject_action_asks_for_a_reason_first(requester, make_staff):
    change = parameter_change_request(
        actor=requester, key="sla.order_review_minutes", new_value=20, reason="busy"
    )
    business = make_staff("adm_business", perms=(VIEW, "ops.approve_parameter_change"))
    client = login(business)
    form = client.post(REQUESTS_URL, {"action": "reject", ACTION_CHECKBOX_NAME: [change.pk]})
    assert form.status_code == 200
    assert 'name="reason"' in form.content.decode()
    change.refresh_from_db()
    assert change.status == ParameterChangeRequest.Status.PENDING

    done = client.post(
        REQUESTS_URL,
        {
            "action": "reject",
            ACTION_CHECKBOX_NAME: [change.pk],
            "apply": "1",
            "reason": "not now",
        },
    )
    assert done.status_code == 302
    change.refresh_from_db()
    assert change.status == ParameterChangeRequest.Status.REJECTED
    assert change.rejection_reason == "not now"


def test_sla_board_lists_running_clocks_overdue_first_and_extends_with_a_reason(superuser):
    east = SalesRegion.objects.get(code="east")
    north = SalesRegion.objects.get(code="north")
    fresh = sla_clock_start(kind="order.review", subject=east, actor=superuser, region=east)
    late = sla_clock_start(
        kind="order.review",
        subject=north,
        actor=superuser,
        region=north,
        started_at=timezone.now() - timedelta(minutes=30),
    )
    client = login(superuser)
    response = client.get("/admin/ops/slaclock/")
    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [late, fresh]
    assert response.context["sla_board"][0]["overdue"] == 1
    page = response.content.decode()
    assert 'id="sla-board"' in page and "订单审核" in page  # the board is on the page
    overdue_only = client.get("/admin/ops/slaclock/", {"state": "overdue"})
    assert list(overdue_only.context["cl"].result_list) == [late]

    form = client.post(
        "/admin/ops/slaclock/", {"action": "extend", ACTION_CHECKBOX_NAME: [fresh.pk]}
    )
    assert form.status_code == 200 and 'name="minutes"' in form.content.decode()
    client.post(
        "/admin/ops/slaclock/",
        {
            "action": "extend",
            ACTION_CHECKBOX_NAME: [fresh.pk],
            "apply": "1",
            "minutes": "20",
            "reason": "customer asked",
        },
    )
    fresh.refresh_from_db()
    assert fresh.extended_minutes == 20
    assert fresh.extensions.get().reason == "customer asked"
    assert client.get(f"/admin/ops/slaclock/{fresh.pk}/change/").status_code == 200


def test_a_clock_page_shows_its_extension_history_to_board_viewers(make_staff, superuser):
    from django.contrib.admin import site
    from django.test import RequestFactory

    from ops.admin import SlaClockExtensionInline
    from ops.services.sla import sla_clock_extend

    east = SalesRegion.objects.get(code="east")
    clock = sla_clock_start(kind="order.review", subject=east, actor=superuser, region=east)
    sla_clock_extend(actor=superuser, clock=clock, minutes=5, reason="carrier delay noted")
    page = login(superuser).get(f"/admin/ops/slaclock/{clock.pk}/change/")
    assert "carrier delay noted" in page.content.decode()

    request = RequestFactory().get("/")
    inline = SlaClockExtensionInline(SlaClock, site)
    request.user = make_staff("sla_viewer", perms=("ops.view_slaclock",))
    assert inline.has_view_permission(request, clock)
    request.user = make_staff("stranger")
    assert not inline.has_view_permission(request, clock)


def test_sla_board_is_scoped(make_staff, superuser):
    east = SalesRegion.objects.get(code="east")
    sla_clock_start(kind="order.review", subject=east, actor=superuser, region=east)
    viewer = make_staff("sla_viewer", perms=("ops.view_slaclock",))  # no data scope
    response = login(viewer).get("/admin/ops/slaclock/")
    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == []
    clock = SlaClock.objects.get()
    assert login(viewer).get(f"/admin/ops/slaclock/{clock.pk}/change/").status_code == 302


def test_my_notifications_shows_own_rows_and_the_header_counts_unread(make_staff):
    alice, bob = make_staff("alice"), make_staff("bob")
    staff_notify(
        actor=system_actor(), recipients=[alice, bob], kind="k", title="Stock low on SKU-1"
    )
    client = login(alice)
    index = client.get("/admin/")
    assert index.status_code == 200
    content = index.content.decode()
    assert 'id="staff-inbox"' in content and 'class="unread-count' in content
    changelist = client.get("/admin/ops/staffnotification/")
    assert [n.recipient_id for n in changelist.context["cl"].result_list] == [alice.pk]
    bobs = StaffNotification.objects.get(recipient=bob)
    assert client.get(f"/admin/ops/staffnotification/{bobs.pk}/change/").status_code == 302
    alices = StaffNotification.objects.get(recipient=alice)
    assert client.get(f"/admin/ops/staffnotification/{alices.pk}/change/").status_code == 200
    alices.refresh_from_db()
    assert alices.read_at is not None
    bobs.refresh_from_db()
    assert bobs.read_at is None
