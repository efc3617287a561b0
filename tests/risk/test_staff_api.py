# ruff: noqa: F403, F811 - fixtures re-used from the orders tests
"""The risk staff API under ``/api/v1/risk/``: every endpoint's happy path, the function
permission (403), the data scope (404, the same body as a missing row), validation
(400), conflicts (409), audit rows, masking, strict filters, and that a decision through
the API has exactly the service's effect. A freeze made here stops orders' ship
endpoint (409 ``order_frozen``)."""

from __future__ import annotations

import pytest

from ops.models import AuditEntry
from risk import permissions as perms
from risk.demo import ROLE_PERMISSIONS
from risk.models import BlacklistEntry, FundFreeze, RiskCase, RiskMark
from risk.services.decisions import case_confirm, case_dismiss
from tests.orders.conftest import *
from tests.orders.fulfilment_support import buyer, make_ops  # noqa: F401
from tests.risk.scope_cases import make_case, make_event, make_freeze

pytestmark = pytest.mark.django_db
BASE = "/api/v1/risk/"
OFFICER = tuple(ROLE_PERMISSIONS["risk_officer"])


@pytest.fixture
def officer(make_ops):
    return make_ops("risk_api_officer", perms=OFFICER, regions=None)


@pytest.fixture
def orders_(make_order, stocked_sku, buyer):
    sku = stocked_sku()
    east = make_order(buyer, [(sku, 1)], status="pending_review")
    north = make_order(
        buyer, [(sku, 1)], status="pending_review", province_name="北京", allocate_stock=False
    )
    return {"east": east, "north": north, "sku": sku}


@pytest.fixture
def cases(orders_):
    return {
        "east": make_case(order=orders_["east"], evidence={"orders": [], "devices": ["dev-e1"]}),
        "north": make_case(order=orders_["north"], kind="refund_abuse"),
        "none": make_case(
            member=orders_["east"].member, kind="coupon_farming", point="coupon.claim"
        ),
    }


def _error(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.content
    body = response.json()["error"]
    if code:
        assert body["code"] == code
    return body


def _nos(response, key: str = "case_no") -> set:
    assert response.status_code == 200, response.content
    return {item[key] for item in response.json()["results"]}


# --- cases: reads ------------------------------------------------------------------------


def test_the_officer_lists_every_case_with_filters_and_a_masked_phone(officer, cases, staff_client):
    client = staff_client(officer)
    everything = _nos(client.get(f"{BASE}cases/"))
    assert {c.case_no for c in cases.values()} <= everything

    assert _nos(client.get(f"{BASE}cases/?kind=refund_abuse")) == {cases["north"].case_no}
    assert _nos(client.get(f"{BASE}cases/?region=north")) == {cases["north"].case_no}
    assert _nos(client.get(f"{BASE}cases/?point=coupon.claim")) == {cases["none"].case_no}
    assert _nos(client.get(f"{BASE}cases/?status=dismissed")) == set()
    assert _nos(client.get(f"{BASE}cases/", {"order_no": cases["east"].order.order_no})) == {
        cases["east"].case_no
    }
    assert cases["east"].case_no in _nos(
        client.get(f"{BASE}cases/", {"member": cases["east"].member_id, "status": "open"})
    )

    row = next(
        item
        for item in client.get(f"{BASE}cases/").json()["results"]
        if item["case_no"] == cases["east"].case_no
    )
    assert row["member_phone"] == "138****0001"
    assert row["region"] == "east" and row["order_no"] == cases["east"].order.order_no
    assert row["kind"] == "frequent_purchase" and row["status"] == "open"
    assert "evidence" not in row  # the list stays small; the detail has it

    detail = client.get(f"{BASE}cases/{cases['east'].case_no}/").json()
    assert detail["evidence"]["devices"] == ["dev-e1"]
    assert detail["member_phone"] == "138****0001" and detail["freezes"] == []
    assert not AuditEntry.objects.filter(action="pii.reveal").exists()


def test_evidence_pii_holders_see_the_phone_and_the_reveal_is_audited(
    make_ops, cases, staff_client
):
    reader = make_ops("risk_pii", perms=(perms.VIEW_CASE, perms.VIEW_EVIDENCE_PII), regions=None)
    detail = staff_client(reader).get(f"{BASE}cases/{cases['east'].case_no}/").json()
    assert detail["member_phone"] == "13800000001"
    entry = AuditEntry.objects.filter(action="pii.reveal", object_type="risk.riskcase").get()
    assert entry.data["fields"] == ["member.phone"]


@pytest.mark.parametrize(
    "query",
    [
        "status=lost",
        "kind=shoplifting",
        "point=order.teleport",
        "region=atlantis",
        "member=1.5",
        "member=abc",
        "member=0",
        "created_after=yesterday",
        "created_before=2026-13-45",
        "order_no=" + "9" * 40,
        "page_size=0",
        "page_size=100000",
    ],
)
def test_bad_case_filters_are_400_in_the_error_shape(officer, query, staff_client):
    response = staff_client(officer).get(f"{BASE}cases/?{query}")
    assert response.status_code == 400, (query, response.content)
    assert "error" in response.json()


@pytest.mark.parametrize(
    ("path", "query"),
    [
        ("freezes/", "status=melted"),
        ("freezes/", "region=atlantis"),
        ("events/", "decision=maybe"),
        ("events/", "point=nowhere"),
        ("marks/", "live=maybe"),
        ("marks/", "level=extreme"),
        ("blacklist/", "kind=planet"),
        ("blacklist/", "live=yes"),
    ],
)
def test_bad_filters_of_the_other_lists_are_400(officer, path, query, staff_client):
    response = staff_client(officer).get(f"{BASE}{path}?{query}")
    assert response.status_code == 400, (path, query, response.content)


def test_regional_ops_see_their_region_only_and_the_rest_is_404_like_a_missing_case(
    make_ops, cases, staff_client
):
    east = staff_client(
        make_ops("ops_east_risk", perms=(perms.VIEW_CASE, perms.DECIDE_CASE, perms.CHANGE_CASE))
    )
    assert _nos(east.get(f"{BASE}cases/?page_size=200")) == {cases["east"].case_no}
    # a region filter cannot reach past the scope
    assert _nos(east.get(f"{BASE}cases/?region=north")) == set()

    missing = _error(east.get(f"{BASE}cases/FK00000000000000/"), 404, "not_found")
    for name in ("north", "none"):
        number = cases[name].case_no
        assert _error(east.get(f"{BASE}cases/{number}/"), 404, "not_found") == missing
        for verb, body in (
            ("dismiss", {"reason": "越权"}),
            ("confirm", {"reason": "越权"}),
            ("take", {}),
            ("notes", {"note": "越权"}),
        ):
            response = east.post(f"{BASE}cases/{number}/{verb}/", body, format="json")
            assert _error(response, 404, "not_found") == missing, verb
        cases[name].refresh_from_db()
        assert cases[name].status == "open" and cases[name].handler_id is None
        assert cases[name].notes == ""
    _error(east.get(f"{BASE}cases/bad%20no!/"), 404, "not_found")


def test_function_permissions_are_checked_first(make_ops, cases, staff_client):
    nobody = staff_client(make_ops("risk_nobody", perms=("orders.view_order",), regions=None))
    for path in ("cases/", "freezes/", "marks/", "blacklist/", "events/"):
        _error(nobody.get(f"{BASE}{path}"), 403)
    _error(nobody.get(f"{BASE}cases/{cases['east'].case_no}/"), 403)

    reader = staff_client(make_ops("risk_reader", perms=(perms.VIEW_CASE,), regions=None))
    number = cases["east"].case_no
    for verb, body in (
        ("confirm", {"reason": "x"}),
        ("dismiss", {"reason": "x"}),
        ("take", {}),
        ("notes", {"note": "x"}),
        ("close-orders", {"reason": "x"}),
    ):
        _error(reader.post(f"{BASE}cases/{number}/{verb}/", body, format="json"), 403)
    _error(reader.post(f"{BASE}cases/", {"summary": "x", "member": 1}, format="json"), 403)
    cases["east"].refresh_from_db()
    assert cases["east"].status == "open" and cases["east"].notes == ""


def test_anonymous_callers_are_refused(cases, api_client):
    response = api_client.get(f"{BASE}cases/")
    assert response.status_code in (401, 403)


# --- cases: decisions ------------------------------------------------------------------


def test_confirm_through_the_api_has_the_services_effect(officer, orders_, staff_client):
    evidence = {"orders": [], "devices": ["dev-ring-1"], "ips": ["10.0.0.9"]}
    via_api = make_case(order=orders_["east"], evidence=evidence, fingerprint="api:1")
    via_service = make_case(order=orders_["north"], evidence=evidence, fingerprint="svc:1")
    body = {"reason": "核实为刷单", "mark_level": "high", "mark_days": 30, "blacklist": True}

    response = staff_client(officer).post(
        f"{BASE}cases/{via_api.case_no}/confirm/", body, format="json"
    )
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["status"] == "confirmed" and data["decision_reason"] == "核实为刷单"
    # the device and IP are blacklisted by the first decision; the second finds them live
    case_confirm(actor=officer, case=via_service, **body)

    def effect(case):
        case.refresh_from_db()
        marks = RiskMark.objects.filter(case=case)
        return {
            "status": case.status,
            "reason": case.decision_reason,
            "decided_by": case.decided_by_id,
            "handler": case.handler_id,
            "decided": case.decided_at is not None,
            "marks": sorted((m.level, m.member_id, m.expires_at is not None) for m in marks),
            "audit": sorted(
                AuditEntry.objects.filter(object_id=str(case.pk), object_type="risk.riskcase")
                .exclude(action="risk.case_open")
                .values_list("action", flat=True)
            ),
        }

    assert effect(via_api) == effect(via_service)
    assert effect(via_api)["audit"] == ["risk.case_confirm"]
    assert set(BlacklistEntry.objects.filter(case=via_api).values_list("kind", "value")) >= {
        ("device", "dev-ring-1"),
        ("ip", "10.0.0.9"),
        ("member", str(via_api.member_id)),
    }


def test_dismiss_through_the_api_has_the_services_effect_and_twice_is_409(
    officer, orders_, staff_client
):
    via_api = make_case(order=orders_["east"], fingerprint="api:2")
    via_service = make_case(order=orders_["north"], fingerprint="svc:2")
    client = staff_client(officer)

    response = client.post(
        f"{BASE}cases/{via_api.case_no}/dismiss/", {"reason": "误报"}, format="json"
    )
    assert response.status_code == 200, response.content
    case_dismiss(actor=officer, case=via_service, reason="误报")
    for case in (via_api, via_service):
        case.refresh_from_db()
    assert (via_api.status, via_api.decision_reason, via_api.decided_by_id) == (
        via_service.status,
        via_service.decision_reason,
        via_service.decided_by_id,
    )
    assert AuditEntry.objects.filter(
        action="risk.case_dismiss", object_type="risk.riskcase", object_id=str(via_api.pk)
    ).exists()

    for verb, body in (
        ("dismiss", {"reason": "再次"}),
        ("confirm", {"reason": "再次"}),
        ("take", {}),
    ):
        response = client.post(f"{BASE}cases/{via_api.case_no}/{verb}/", body, format="json")
        _error(response, 409, "invalid_state")
    via_api.refresh_from_db()
    assert via_api.status == "dismissed" and via_api.decision_reason == "误报"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "reason"),
        ({"reason": ""}, "reason"),
        ({"reason": "x" * 301}, "reason"),
        ({"reason": "ok", "mark_level": "extreme"}, "mark_level"),
        ({"reason": "ok", "mark_level": "high", "mark_days": 0}, "mark_days"),
        ({"reason": "ok", "mark_level": "high", "mark_days": 5000}, "mark_days"),
        ({"reason": "ok", "mark_days": 3}, "mark_days"),
        ({"reason": "ok", "blacklist": "perhaps"}, "blacklist"),
    ],
)
def test_confirm_validates_its_body(officer, cases, staff_client, body, field):
    number = cases["east"].case_no
    response = staff_client(officer).post(f"{BASE}cases/{number}/confirm/", body, format="json")
    error = _error(response, 400, "invalid")
    assert field in error["fields"]
    cases["east"].refresh_from_db()
    assert cases["east"].status == "open"


def test_a_mark_needs_a_member_on_the_case(officer, staff_client):
    case = make_case(kind="registration_burst", point="member.register", fingerprint="nm:1")
    response = staff_client(officer).post(
        f"{BASE}cases/{case.case_no}/confirm/",
        {"reason": "确认", "mark_level": "watch"},
        format="json",
    )
    assert "mark_level" in _error(response, 400, "invalid")["fields"]
    case.refresh_from_db()
    assert case.status == "open"


def test_take_and_notes(officer, cases, staff_client):
    client = staff_client(officer)
    number = cases["east"].case_no

    taken = client.post(f"{BASE}cases/{number}/take/")
    assert taken.status_code == 200, taken.content
    assert taken.json()["handler"] == officer.username

    noted = client.post(f"{BASE}cases/{number}/notes/", {"note": "已联系买家"}, format="json")
    assert noted.status_code == 200, noted.content
    assert noted.json()["notes"].endswith("已联系买家")
    assert (
        "note"
        in _error(
            client.post(f"{BASE}cases/{number}/notes/", {"note": "  "}, format="json"),
            400,
            "invalid",
        )["fields"]
    )
    assert (
        "note"
        in _error(
            client.post(f"{BASE}cases/{number}/notes/", {"note": "x" * 1001}, format="json"),
            400,
            "invalid",
        )["fields"]
    )
    actions = set(
        AuditEntry.objects.filter(
            object_type="risk.riskcase", object_id=str(cases["east"].pk)
        ).values_list("action", flat=True)
    )
    assert {"risk.case_take", "risk.case_note"} <= actions


def test_report_a_case_by_hand(officer, make_ops, orders_, staff_client):
    client = staff_client(officer)

    response = client.post(
        f"{BASE}cases/", {"summary": "客服反映异常", "order_no": orders_["east"].order_no}
    )
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["kind"] == "manual" and data["point"] == "manual" and data["status"] == "open"
    assert data["region"] == "east" and data["member_id"] == orders_["east"].member_id
    case = RiskCase.objects.get(case_no=data["case_no"])
    assert AuditEntry.objects.filter(action="risk.case_open", object_id=str(case.pk)).exists()

    by_member = client.post(
        f"{BASE}cases/", {"summary": "会员异常", "member": orders_["east"].member_id}
    )
    assert by_member.status_code == 201, by_member.content
    assert by_member.json()["order_no"] is None

    assert "member" in _error(client.post(f"{BASE}cases/", {"summary": "无对象"}), 400)["fields"]
    assert "summary" in _error(client.post(f"{BASE}cases/", {"member": 1}), 400)["fields"]
    assert (
        "member"
        in _error(client.post(f"{BASE}cases/", {"summary": "x", "member": "a"}), 400)["fields"]
    )

    # an order outside the reporter's scope is answered like one that does not exist
    east = staff_client(make_ops("risk_east_reporter", perms=(perms.VIEW_CASE, perms.ADD_CASE)))
    missing = _error(east.post(f"{BASE}cases/", {"summary": "x", "order_no": "DD0"}), 404)
    hidden = east.post(f"{BASE}cases/", {"summary": "x", "order_no": orders_["north"].order_no})
    assert _error(hidden, 404, "not_found") == missing
    assert not RiskCase.objects.filter(order=orders_["north"], kind="manual").exists()


def test_close_the_orders_of_a_case(officer, make_order, stocked_sku, buyer, staff_client):
    unpaid = make_order(buyer, [(stocked_sku(), 1)], status="pending_payment")
    shipped = make_order(buyer, [(stocked_sku(), 1)], status="shipped")
    case = make_case(order=unpaid, evidence={"orders": [shipped.order_no]})

    client = staff_client(officer)
    assert (
        "reason"
        in _error(client.post(f"{BASE}cases/{case.case_no}/close-orders/", {}, format="json"), 400)[
            "fields"
        ]
    )
    refused = client.post(
        f"{BASE}cases/{case.case_no}/close-orders/", {"reason": "恶意下单"}, format="json"
    )
    assert _error(refused, 409)["code"] == "invalid_state"  # confirm first
    confirmed = client.post(
        f"{BASE}cases/{case.case_no}/confirm/", {"reason": "恶意下单属实"}, format="json"
    )
    assert confirmed.status_code == 200, confirmed.content
    response = client.post(
        f"{BASE}cases/{case.case_no}/close-orders/", {"reason": "恶意下单"}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["closed"] == [unpaid.order_no]
    assert response.json()["case"]["case_no"] == case.case_no
    unpaid.refresh_from_db()
    shipped.refresh_from_db()
    assert unpaid.status == "closed" and shipped.status == "shipped"
    assert AuditEntry.objects.filter(action="risk.case_close_orders", object_id=str(case.pk))


# --- fund freezes -----------------------------------------------------------------------


def test_freeze_through_the_api_stops_shipping_until_released(
    officer, make_order, stocked_sku, buyer, make_ops, staff_client
):
    order = make_order(buyer, [(stocked_sku(), 1)], status="allocated")
    case = make_case(order=order)
    client = staff_client(officer)

    response = client.post(
        f"{BASE}freezes/",
        {"order_no": order.order_no, "reason": "疑似刷单", "case_no": case.case_no},
        format="json",
    )
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["status"] == "active" and data["order_no"] == order.order_no
    assert data["case_no"] == case.case_no and data["region"] == "east"
    assert data["amount"] == f"{order.paid_amount:.2f}"
    order.refresh_from_db()
    assert order.is_frozen
    freeze = FundFreeze.objects.get(freeze_no=data["freeze_no"])
    assert AuditEntry.objects.filter(action="risk.freeze", object_id=str(freeze.pk)).exists()

    again = client.post(f"{BASE}freezes/", {"order_no": order.order_no, "reason": "再次"})
    _error(again, 409, "invalid_state")
    assert client.get(f"{BASE}cases/{case.case_no}/").json()["freezes"] == [freeze.freeze_no]

    shipper = staff_client(
        make_ops("risk_shipper", perms=("orders.view_order", "orders.ship_order"), regions=None)
    )
    refused = shipper.post(f"/api/v1/orders/{order.order_no}/ship/", {}, format="json")
    _error(refused, 409, "order_frozen")

    assert _nos(client.get(f"{BASE}freezes/?status=active"), "freeze_no") >= {freeze.freeze_no}
    assert _nos(client.get(f"{BASE}freezes/", {"order_no": order.order_no}), "freeze_no") == {
        freeze.freeze_no
    }
    assert client.get(f"{BASE}freezes/{freeze.freeze_no}/").json()["reason"] == "疑似刷单"

    assert (
        "reason"
        in _error(
            client.post(f"{BASE}freezes/{freeze.freeze_no}/release/", {}, format="json"), 400
        )["fields"]
    )
    released = client.post(
        f"{BASE}freezes/{freeze.freeze_no}/release/", {"reason": "核实无误"}, format="json"
    )
    assert released.status_code == 200, released.content
    assert released.json()["status"] == "released"
    assert released.json()["released_by"] == officer.username
    order.refresh_from_db()
    assert not order.is_frozen
    assert AuditEntry.objects.filter(action="risk.freeze_release", object_id=str(freeze.pk))
    twice = client.post(
        f"{BASE}freezes/{freeze.freeze_no}/release/", {"reason": "再次"}, format="json"
    )
    _error(twice, 409, "invalid_state")


def test_freezes_are_scoped_validated_and_permissioned(officer, make_ops, orders_, staff_client):
    north = make_freeze(order=orders_["north"], by=officer)
    east_ops = staff_client(
        make_ops(
            "risk_east_freezer",
            perms=(
                perms.VIEW_FREEZE,
                perms.ADD_FREEZE,
                perms.RELEASE_FREEZE,
                "orders.freeze_order",
                "orders.view_order",
            ),
        )
    )
    assert north.freeze_no not in _nos(east_ops.get(f"{BASE}freezes/"), "freeze_no")
    missing = _error(east_ops.get(f"{BASE}freezes/FZ0000000000/"), 404, "not_found")
    assert _error(east_ops.get(f"{BASE}freezes/{north.freeze_no}/"), 404) == missing
    release = east_ops.post(
        f"{BASE}freezes/{north.freeze_no}/release/", {"reason": "越权"}, format="json"
    )
    assert _error(release, 404, "not_found") == missing
    north.refresh_from_db()
    assert north.status == "active"

    # an order (or case) out of scope in the body: 404 like a missing one, nothing written
    hidden = east_ops.post(
        f"{BASE}freezes/", {"order_no": orders_["north"].order_no, "reason": "越权"}
    )
    _error(hidden, 404, "not_found")
    north_case = make_case(order=orders_["north"], fingerprint="fz:north")
    with_case = east_ops.post(
        f"{BASE}freezes/",
        {"order_no": orders_["east"].order_no, "reason": "x", "case_no": north_case.case_no},
    )
    _error(with_case, 404, "not_found")
    assert not FundFreeze.objects.filter(order=orders_["east"]).exists()

    for body, field in (
        ({"reason": "x"}, "order_no"),
        ({"order_no": orders_["east"].order_no}, "reason"),
        ({"order_no": orders_["east"].order_no, "reason": "x" * 201}, "reason"),
    ):
        assert field in _error(east_ops.post(f"{BASE}freezes/", body, format="json"), 400)["fields"]

    reader = staff_client(make_ops("risk_freeze_reader", perms=(perms.VIEW_FREEZE,)))
    _error(
        reader.post(f"{BASE}freezes/", {"order_no": orders_["east"].order_no, "reason": "x"}),
        403,
    )


# --- marks and blacklist ---------------------------------------------------------------


def test_marks_add_list_and_revoke(officer, make_ops, buyer, staff_client):
    client = staff_client(officer)
    response = client.post(
        f"{BASE}marks/",
        {"member": buyer.pk, "level": "high", "reason": "多次恶意退款", "days": 7},
        format="json",
    )
    assert response.status_code == 201, response.content
    mark = response.json()
    assert mark["level"] == "high" and mark["live"] is True and mark["expires_at"]
    assert mark["member_id"] == buyer.pk and mark["created_by"] == officer.username
    assert AuditEntry.objects.filter(action="risk.mark_add", object_id=str(mark["id"])).exists()

    assert _nos(client.get(f"{BASE}marks/?live=true&level=high"), "id") == {mark["id"]}
    assert _nos(client.get(f"{BASE}marks/?live=false"), "id") == set()
    assert _nos(client.get(f"{BASE}marks/", {"member": buyer.pk}), "id") == {mark["id"]}

    revoked = client.post(f"{BASE}marks/{mark['id']}/revoke/", {"reason": "申诉成功"})
    assert revoked.status_code == 200, revoked.content
    assert revoked.json()["live"] is False and revoked.json()["revoke_reason"] == "申诉成功"
    _error(client.post(f"{BASE}marks/{mark['id']}/revoke/", {"reason": "再次"}), 409)
    assert AuditEntry.objects.filter(action="risk.mark_revoke", object_id=str(mark["id"]))

    for body, field in (
        ({"member": buyer.pk, "level": "extreme", "reason": "x"}, "level"),
        ({"member": buyer.pk, "level": "watch"}, "reason"),
        ({"member": buyer.pk, "level": "watch", "reason": "x", "days": 0}, "days"),
        ({"member": "x", "level": "watch", "reason": "x"}, "member"),
    ):
        assert field in _error(client.post(f"{BASE}marks/", body, format="json"), 400)["fields"]
    unknown = client.post(f"{BASE}marks/", {"member": 99999999, "level": "watch", "reason": "x"})
    _error(unknown, 404, "not_found")
    _error(client.get(f"{BASE}marks/99999999/"), 404, "not_found")
    _error(client.post(f"{BASE}marks/99999999/revoke/", {"reason": "x"}), 404, "not_found")

    reader = staff_client(make_ops("risk_mark_reader", perms=(perms.VIEW_MARK,), regions=None))
    assert reader.get(f"{BASE}marks/{mark['id']}/").status_code == 200
    _error(reader.post(f"{BASE}marks/", {"member": buyer.pk, "level": "watch", "reason": "x"}), 403)
    _error(reader.post(f"{BASE}marks/{mark['id']}/revoke/", {"reason": "x"}), 403)


def test_blacklist_add_list_and_revoke_never_serve_the_stored_value(
    officer, make_ops, buyer, staff_client
):
    client = staff_client(officer)
    phone = client.post(
        f"{BASE}blacklist/",
        {"kind": "phone", "value": "13912345678", "reason": "羊毛党", "days": 30},
        format="json",
    )
    assert phone.status_code == 201, phone.content
    entry = phone.json()
    assert entry["label"] == "139****5678" and "value" not in entry and entry["live"] is True
    assert "13912345678" not in phone.content.decode()
    stored = BlacklistEntry.objects.get(pk=entry["id"])
    assert stored.value != "13912345678"  # a lookup hash

    member = client.post(
        f"{BASE}blacklist/", {"kind": "member", "member": buyer.pk, "reason": "恶意下单"}
    )
    assert member.status_code == 201, member.content
    assert member.json()["member_id"] == buyer.pk

    again = client.post(
        f"{BASE}blacklist/", {"kind": "phone", "value": "139 1234 5678", "reason": "x"}
    )
    _error(again, 409, "invalid_state")
    for body, field in (
        ({"kind": "ip", "value": "999.1.1.1", "reason": "x"}, "value"),
        ({"kind": "device", "reason": "x"}, "value"),
        ({"kind": "member", "reason": "x"}, "member"),
        ({"kind": "planet", "value": "x", "reason": "x"}, "kind"),
        ({"kind": "device", "value": "d1"}, "reason"),
    ):
        response = client.post(f"{BASE}blacklist/", body, format="json")
        assert field in _error(response, 400, "invalid")["fields"], body

    assert _nos(client.get(f"{BASE}blacklist/?kind=phone&live=true"), "id") == {entry["id"]}
    revoked = client.post(f"{BASE}blacklist/{entry['id']}/revoke/", {"reason": "误判"})
    assert revoked.status_code == 200 and revoked.json()["live"] is False
    _error(client.post(f"{BASE}blacklist/{entry['id']}/revoke/", {"reason": "x"}), 409)
    assert {"risk.blacklist_add", "risk.blacklist_revoke"} <= set(
        AuditEntry.objects.filter(object_id=str(entry["id"])).values_list("action", flat=True)
    )

    reader = staff_client(make_ops("risk_bl_reader", perms=(perms.VIEW_BLACKLIST,)))
    assert reader.get(f"{BASE}blacklist/").status_code == 200
    _error(reader.post(f"{BASE}blacklist/", {"kind": "device", "value": "d", "reason": "x"}), 403)


# --- events -----------------------------------------------------------------------------


def test_events_are_listed_in_scope_and_filtered(make_ops, orders_, staff_client):
    from rbac.models import SalesRegion

    east_event = make_event(region=SalesRegion.objects.get(code="east"))
    north_event = make_event(region=SalesRegion.objects.get(code="north"), rule="blacklist")
    unplaced = make_event(rule="register_burst")

    officer = staff_client(make_ops("risk_events_all", perms=(perms.VIEW_EVENT,), regions=None))
    everything = _nos(officer.get(f"{BASE}events/"), "id")
    assert {east_event.pk, north_event.pk, unplaced.pk} <= everything
    assert _nos(officer.get(f"{BASE}events/?rule=blacklist"), "id") == {north_event.pk}
    assert _nos(officer.get(f"{BASE}events/?region=east&decision=review"), "id") == {east_event.pk}
    assert officer.get(f"{BASE}events/{east_event.pk}/").json()["evidence"] == {"count": 3}

    east = staff_client(make_ops("risk_events_east", perms=(perms.VIEW_EVENT,)))
    assert _nos(east.get(f"{BASE}events/"), "id") == {east_event.pk}
    missing = _error(east.get(f"{BASE}events/99999999/"), 404, "not_found")
    assert _error(east.get(f"{BASE}events/{north_event.pk}/"), 404) == missing
    assert east.post(f"{BASE}events/", {}).status_code in (403, 405)


def test_lists_cost_a_constant_number_of_queries_and_offer_no_ordering_or_search(
    officer, orders_, staff_client
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.risk.scope_cases import make_order as matrix_order

    client = staff_client(officer)
    make_case(order=orders_["east"], fingerprint="q:1")

    def cost(path):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(f"{BASE}{path}").status_code == 200
        return len(queries)

    paths = ("cases/", "freezes/", "events/", "marks/", "blacklist/")
    for path in paths:  # warm the caller's permission and scope caches
        cost(path)
    small = {path: cost(path) for path in paths}
    for n in range(2, 7):
        case = make_case(order=orders_["north"], fingerprint=f"q:{n}")
        case.handler = officer
        case.save(update_fields=["handler"])
        make_freeze(order=matrix_order(orders_["east"].region), by=officer)
        make_event(region=orders_["east"].region, member=orders_["east"].member)
        RiskMark.objects.create(
            member=orders_["east"].member, level="watch", reason="x", case=case, created_by=officer
        )
    assert {path: cost(path) for path in small} == small

    # no ordering or search parameter: a masked field cannot be sorted or probed
    plain = [c["case_no"] for c in client.get(f"{BASE}cases/").json()["results"]]
    for query in ("ordering=member_phone", "ordering=-member_phone", "search=138"):
        listed = [c["case_no"] for c in client.get(f"{BASE}cases/?{query}").json()["results"]]
        assert listed == plain, query
