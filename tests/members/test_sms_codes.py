"""SMS verification codes (issue 16): send → register with the code; expiry, wrong
guesses, single use, rate limits per phone / IP / device, no account enumeration, the
parameter off, the daily cleanup."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from members import crypto
from members.exceptions import InvalidSmsCode
from members.models import Member, SmsCode
from members.notifications import RecordingAdapter, register_adapter, reset_adapters
from members.services.sms_codes import sms_code_send, sms_code_verify, sms_codes_purge
from ops.models import AuditEntry, SystemParameter
from ops.parameters import forget_cached

PASSWORD = "mall-demo-2026"
PHONE = "13712345678"


def set_param(key, value):
    SystemParameter.objects.update_or_create(key=key, defaults={"value": value})
    forget_cached(key)


class Recorder(RecordingAdapter):
    def __init__(self):
        super().__init__("sms")
        self.messages = []

    def send(self, message):
        self.messages.append(message)
        return "recorded"


@pytest.fixture
def sms():
    recorder = Recorder()
    register_adapter("sms", recorder)
    yield recorder
    reset_adapters()


@pytest.fixture
def requires_code(db):
    set_param("members.register_requires_sms_code", True)


def ask(client, phone=PHONE, *, ip="10.0.0.1", device="dev-1"):
    return client.post(
        reverse("store-sms-code"),
        {"phone": phone, "purpose": "register"},
        format="json",
        REMOTE_ADDR=ip,
        HTTP_X_DEVICE_ID=device,
    )


def register(client, phone=PHONE, code=None, *, ip="10.0.0.1", device="dev-1"):
    data = {"phone": phone, "password": PASSWORD}
    if code is not None:
        data["sms_code"] = code
    return client.post(
        reverse("store-register"),
        data,
        format="json",
        REMOTE_ADDR=ip,
        HTTP_X_DEVICE_ID=device,
    )


def test_send_then_register_with_the_code(requires_code, sms, django_capture_on_commit_callbacks):
    client = APIClient()
    with django_capture_on_commit_callbacks(execute=True):
        response = ask(client)
    assert response.status_code == 202
    [message] = sms.messages
    code = message.payload["code"]
    assert len(code) == 6 and code.isdigit()
    assert message.phone == PHONE and message.kind == "sms_code"
    row = SmsCode.objects.get()
    # neither the code nor the phone is stored in plaintext
    assert code not in row.code_hash and row.phone_hash == crypto.lookup_hash(PHONE)
    assert row.expires_at > timezone.now() + timedelta(minutes=4)
    entry = AuditEntry.objects.get(action="member.sms_code_send")
    assert code not in str(entry.data) and PHONE not in str(entry.data)
    assert entry.data["phone_masked"] == "137****5678"
    # risk counted the send (after commit)
    from risk.models import RiskAttempt

    assert RiskAttempt.objects.filter(point="member.sms_code", device_id="dev-1").count() == 1

    without = register(client)
    assert without.status_code == 400
    assert without.json()["error"]["code"] == "invalid_sms_code"
    assert "sms_code" in without.json()["error"]["fields"]
    assert not Member.objects.exists()
    created = register(client, code=code)
    assert created.status_code == 201, created.json()
    assert Member.objects.filter(phone_hash=crypto.lookup_hash(PHONE)).exists()
    assert SmsCode.objects.get().used_at is not None


def test_a_registered_phone_gets_the_same_202_and_no_code(
    requires_code, sms, superuser, django_capture_on_commit_callbacks
):
    from members.services import member_register

    member_register(actor=superuser, phone=PHONE, password=PASSWORD)  # staff path: no code
    client = APIClient()
    with django_capture_on_commit_callbacks(execute=True):
        known = ask(client, PHONE, ip="10.0.0.2", device="d-a")
        unknown = ask(client, "13700000001", ip="10.0.0.3", device="d-b")
    assert known.status_code == unknown.status_code == 202
    assert known.content == unknown.content
    assert [m.phone for m in sms.messages] == ["13700000001"]
    assert SmsCode.objects.count() == 1
    entries = AuditEntry.objects.filter(action="member.sms_code_send").order_by("seq")
    assert [e.data["sent"] for e in entries] == [False, True]


def test_an_expired_code_is_refused(requires_code, sms, django_capture_on_commit_callbacks):
    client = APIClient()
    with django_capture_on_commit_callbacks(execute=True):
        ask(client)
    code = sms.messages[0].payload["code"]
    SmsCode.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    response = register(client, code=code)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_sms_code"
    assert not Member.objects.exists()


def test_wrong_guesses_kill_the_code_at_the_maximum(
    requires_code, sms, django_capture_on_commit_callbacks
):
    set_param("members.sms_code_max_attempts", 3)
    client = APIClient()
    with django_capture_on_commit_callbacks(execute=True):
        ask(client)
    code = sms.messages[0].payload["code"]
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for expected_attempts in (1, 2, 3):
        response = register(client, code=wrong)
        assert response.json()["error"]["code"] == "invalid_sms_code"
        assert SmsCode.objects.get().attempts == expected_attempts
    # dead now: the right code no longer works, and nothing more is counted
    assert register(client, code=code).json()["error"]["code"] == "invalid_sms_code"
    assert SmsCode.objects.get().attempts == 3
    assert not Member.objects.exists()


def test_a_code_is_used_once_and_only_the_newest_counts(
    sms, db, django_capture_on_commit_callbacks
):
    set_param("risk.sms_min_interval_seconds", 0)
    with django_capture_on_commit_callbacks(execute=True):
        sms_code_send(actor=None, phone=PHONE, purpose="register", client_ip="10.0.0.9")
        sms_code_send(actor=None, phone=PHONE, purpose="register", client_ip="10.0.0.9")
    old, new = (m.payload["code"] for m in sms.messages)
    if old != new:
        with pytest.raises(InvalidSmsCode):
            sms_code_verify(actor=None, phone=PHONE, purpose="register", code=old)
    sms_code_verify(actor=None, phone=PHONE, purpose="register", code=new)
    with pytest.raises(InvalidSmsCode):
        sms_code_verify(actor=None, phone=PHONE, purpose="register", code=new)
    with pytest.raises(InvalidSmsCode):
        sms_code_verify(actor=None, phone=PHONE, purpose="register", code="12ab56")


def test_sends_are_rate_limited_per_phone(sms, db, django_capture_on_commit_callbacks):
    set_param("risk.sms_min_interval_seconds", 0)
    set_param("risk.sms_per_phone_hour", 2)
    client = APIClient()
    statuses = []
    for i in range(3):
        with django_capture_on_commit_callbacks(execute=True):
            statuses.append(ask(client, ip=f"10.1.0.{i}", device=f"d{i}").status_code)
    assert statuses == [202, 202, 429]
    assert SmsCode.objects.count() == 2  # the block wrote nothing
    assert len(sms.messages) == 2


def test_a_second_code_inside_the_minimum_interval_is_refused(
    sms, db, django_capture_on_commit_callbacks
):
    client = APIClient()
    with django_capture_on_commit_callbacks(execute=True):
        first = ask(client, ip="10.2.0.1", device="a")
    with django_capture_on_commit_callbacks(execute=True):
        second = ask(client, ip="10.2.0.2", device="b")
    assert (first.status_code, second.status_code) == (202, 429)
    assert second.json()["error"]["code"] == "rate_limited"


def test_sends_are_rate_limited_per_ip(sms, db, django_capture_on_commit_callbacks):
    set_param("risk.sms_per_ip_hour", 2)
    client = APIClient()
    statuses = []
    for i in range(3):
        with django_capture_on_commit_callbacks(execute=True):
            statuses.append(ask(client, f"1370000010{i}", ip="10.3.0.1", device=f"d{i}"))
    assert [r.status_code for r in statuses] == [202, 202, 429]
    assert statuses[-1].json()["error"]["code"] == "rate_limited"


def test_sends_are_rate_limited_per_device(sms, db, django_capture_on_commit_callbacks):
    set_param("risk.sms_per_device_hour", 2)
    client = APIClient()
    statuses = []
    for i in range(3):
        with django_capture_on_commit_callbacks(execute=True):
            statuses.append(ask(client, f"1370000020{i}", ip=f"10.4.0.{i}", device="farm"))
    assert [r.status_code for r in statuses] == [202, 202, 429]
    assert SmsCode.objects.count() == 2


def test_with_the_parameter_off_registration_needs_no_code(db):
    from ops.parameters import get_parameter

    assert get_parameter("members.register_requires_sms_code") is False  # test settings
    response = register(APIClient())
    assert response.status_code == 201


def test_bad_input_uses_the_error_shape(db):
    client = APIClient()
    bad_phone = client.post(
        reverse("store-sms-code"), {"phone": "123", "purpose": "register"}, format="json"
    )
    assert bad_phone.status_code == 400
    assert bad_phone.json()["error"]["code"] == "invalid_phone"
    bad_purpose = client.post(
        reverse("store-sms-code"), {"phone": PHONE, "purpose": "login"}, format="json"
    )
    assert bad_purpose.status_code == 400
    assert "purpose" in bad_purpose.json()["error"]["fields"]


def test_the_daily_cleanup_deletes_codes_older_than_a_day(sms, db):
    sms_code_send(actor=None, phone=PHONE, purpose="register")
    old = SmsCode.objects.create(
        phone_hash="x", purpose="register", code_hash="y", expires_at=timezone.now()
    )
    SmsCode.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(hours=25))
    from members.tasks import sms_codes_purge_task

    assert sms_codes_purge_task.apply().get() == 1
    assert SmsCode.objects.count() == 1
    assert sms_codes_purge(actor=None) == 0


def test_a_dead_newest_code_does_not_bring_an_older_one_back(
    sms, db, django_capture_on_commit_callbacks
):
    """Each send kills the codes before it, and only the newest is ever compared: a
    guesser gets max_attempts tries in all, not max_attempts per code sent."""
    set_param("risk.sms_min_interval_seconds", 0)
    set_param("members.sms_code_max_attempts", 2)
    with django_capture_on_commit_callbacks(execute=True):
        sms_code_send(actor=None, phone=PHONE, purpose="register", client_ip="10.0.0.9")
        sms_code_send(actor=None, phone=PHONE, purpose="register", client_ip="10.0.0.9")
    old, new = (m.payload["code"] for m in sms.messages)
    assert SmsCode.objects.order_by("id").first().attempts == 2  # killed by the second send
    wrong = next(f"{n:06d}" for n in range(1_000_000) if f"{n:06d}" not in (old, new))
    for _n in range(2):
        with pytest.raises(InvalidSmsCode):
            sms_code_verify(actor=None, phone=PHONE, purpose="register", code=wrong)
    for code in (old, new):  # neither the dead newest nor the older one works
        with pytest.raises(InvalidSmsCode):
            sms_code_verify(actor=None, phone=PHONE, purpose="register", code=code)
    assert list(SmsCode.objects.order_by("id").values_list("attempts", flat=True)) == [2, 2]
