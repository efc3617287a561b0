"""Risk rules at registration (issue 16): ``sms_velocity`` and ``register_burst`` —
each fires through the storefront API and lets honest behaviour pass; a block writes
nothing and answers the API error shape; a review lets the member in and opens a case
after commit."""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from members import crypto
from members.models import Member, SmsCode
from members.notifications import RecordingAdapter, register_adapter, reset_adapters
from ops.models import SystemParameter
from ops.parameters import forget_cached
from risk.models import RiskAttempt, RiskCase, RiskEvent
from risk.rules.base import REGISTERED

PASSWORD = "mall-demo-2026"


def set_param(key, value):
    SystemParameter.objects.update_or_create(key=key, defaults={"value": value})
    forget_cached(key)


@pytest.fixture(autouse=True)
def sms_adapter():
    register_adapter("sms", RecordingAdapter("sms"))
    yield
    reset_adapters()


@pytest.fixture
def client():
    return APIClient()


@pytest.fixture
def send(client, django_capture_on_commit_callbacks):
    def send(phone, *, ip, device):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(
                reverse("store-sms-code"),
                {"phone": phone, "purpose": "register"},
                format="json",
                REMOTE_ADDR=ip,
                HTTP_X_DEVICE_ID=device,
            )

    return send


@pytest.fixture
def register(client, django_capture_on_commit_callbacks):
    def register(phone, *, ip, device):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(
                reverse("store-register"),
                {"phone": phone, "password": PASSWORD},
                format="json",
                REMOTE_ADDR=ip,
                HTTP_X_DEVICE_ID=device,
            )

    return register


def test_the_rules_are_registered_at_their_points():
    assert REGISTERED["sms_velocity"] == ["member.sms_code"]
    assert REGISTERED["register_burst"] == ["member.register"]


# --- sms_velocity ----------------------------------------------------------------------


def test_sms_velocity_blocks_a_device_asking_for_many_phones(db, send):
    set_param("risk.sms_per_device_hour", 3)
    answers = [send(f"1370000100{i}", ip=f"10.9.0.{i}", device="farm-1") for i in range(4)]
    assert [a.status_code for a in answers] == [202, 202, 202, 429]
    error = answers[-1].json()["error"]
    assert error["code"] == "rate_limited" and set(error) >= {"message", "fields"}
    assert SmsCode.objects.count() == 3  # nothing written for the blocked request
    event = RiskEvent.objects.get(rule="sms_velocity")
    assert (event.decision, event.point, event.device_id) == ("block", "member.sms_code", "farm-1")
    [finding] = event.evidence["findings"]
    assert finding["over"] == ["device"] and finding["counts"]["device"] == 3
    assert finding["phone_masked"] == "137****1003"
    assert "13700001003" not in str(event.evidence)  # no plaintext phone


def test_sms_velocity_lets_honest_people_through(db, send):
    # one person, one code; then a second person on another phone, IP and device
    assert send("13700002001", ip="10.9.1.1", device="phone-a").status_code == 202
    assert send("13700002002", ip="10.9.1.2", device="phone-b").status_code == 202
    # a family behind one IP, each on their own phone, stays under the IP limit
    assert send("13700002003", ip="10.9.1.1", device="phone-c").status_code == 202
    assert not RiskEvent.objects.exists()
    assert RiskAttempt.objects.filter(point="member.sms_code").count() == 3


def test_sms_velocity_switched_off_says_nothing(db, send):
    set_param("risk.sms_velocity_enabled", False)
    answers = [send("13700003001", ip="10.9.2.1", device="x") for _ in range(2)]
    assert [a.status_code for a in answers] == [202, 202]  # the interval rule is off too


# --- register_burst --------------------------------------------------------------------


def test_register_burst_blocks_a_device_over_the_block_threshold(db, register):
    set_param("risk.register_review_per_device", 5)
    set_param("risk.register_block_per_device", 2)
    answers = [register(f"1370000400{i}", ip=f"10.8.0.{i}", device="farm-2") for i in range(3)]
    assert [a.status_code for a in answers] == [201, 201, 429]
    assert answers[-1].json()["error"]["code"] == "rate_limited"
    assert Member.objects.count() == 2  # the blocked registration wrote no member
    event = RiskEvent.objects.get(rule="register_burst")
    assert event.evidence["findings"][0]["over"] == ["device"]
    assert "13700004002" not in str(event.evidence)


def test_register_burst_blocks_an_ip_over_the_block_threshold(db, register):
    set_param("risk.register_review_per_ip", 10)
    set_param("risk.register_block_per_ip", 2)
    answers = [register(f"1370000500{i}", ip="10.8.1.1", device=f"dev-{i}") for i in range(3)]
    assert [a.status_code for a in answers] == [201, 201, 429]
    assert Member.objects.count() == 2


def test_register_burst_review_lets_the_member_in_and_opens_a_case(db, register):
    set_param("risk.register_review_per_device", 1)
    assert register("13700006001", ip="10.8.2.1", device="shared").status_code == 201
    second = register("13700006002", ip="10.8.2.2", device="shared")
    assert second.status_code == 201  # a review lets the action through
    member = Member.objects.get(phone_hash=crypto.lookup_hash("13700006002"))
    case = RiskCase.objects.get(rule="register_burst")
    assert case.status == "open" and case.point == "member.register"
    assert case.kind == RiskCase.Kind.REGISTRATION_BURST
    assert case.member == member
    assert case.evidence["devices"] == ["shared"] and case.evidence["counts"]["device"] == 1
    assert "13700006002" not in str(case.evidence)


def test_register_burst_lets_honest_registrations_through(db, register):
    # different devices and IPs: every one passes, nothing recorded as suspicious
    answers = [register(f"1370000700{i}", ip=f"10.8.3.{i}", device=f"own-{i}") for i in range(3)]
    assert [a.status_code for a in answers] == [201, 201, 201]
    # two people registering on one family tablet stay under the review threshold (2)
    assert register("13700007010", ip="10.8.4.1", device="tablet").status_code == 201
    assert register("13700007011", ip="10.8.4.1", device="tablet").status_code == 201
    assert not RiskEvent.objects.exists() and not RiskCase.objects.exists()


def test_attempts_older_than_the_retention_are_deleted_daily(db):
    from datetime import timedelta

    from django.utils import timezone

    from risk.tasks import attempts_purge_task

    set_param("risk.attempt_retention_days", 2)
    fresh = RiskAttempt.objects.create(point="coupon.claim", device_id="a")
    old = RiskAttempt.objects.create(point="coupon.claim", device_id="b")
    RiskAttempt.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=3))
    assert attempts_purge_task.apply().get() == 1
    assert list(RiskAttempt.objects.values_list("pk", flat=True)) == [fresh.pk]


def test_requests_without_a_device_header_are_counted_by_ip(
    db, client, django_capture_on_commit_callbacks
):
    set_param("risk.sms_per_ip_hour", 1)
    statuses = []
    for phone in ("13700008001", "13700008002"):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                reverse("store-sms-code"),
                {"phone": phone, "purpose": "register"},
                format="json",
                REMOTE_ADDR="10.9.3.1",
            )
        statuses.append(response.status_code)
    assert statuses == [202, 429]


def test_the_cleanup_jobs_are_scheduled_and_labelled():
    from mall.core.schedule import collect_schedule
    from members.labels import ACTION_LABELS as MEMBER_ACTIONS
    from members.labels import TASK_LABELS as MEMBER_TASKS
    from risk.labels import TASK_LABELS as RISK_TASKS

    schedule = collect_schedule()
    assert schedule["risk: attempt cleanup"]["task"] == "risk.tasks.attempts_purge_task"
    assert schedule["members: SMS code cleanup"]["task"] == "members.tasks.sms_codes_purge_task"
    assert {"risk: attempt cleanup", "risk.attempts_purge"} <= set(RISK_TASKS)
    assert {"members: SMS code cleanup", "members.sms_codes_purge"} <= set(MEMBER_TASKS)
    assert "member.sms_code_send" in MEMBER_ACTIONS
