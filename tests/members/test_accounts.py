"""Account services: real-name verification, profile, status moves, region by address."""

from __future__ import annotations

from datetime import date

import pytest

from mall.core.exceptions import InvalidInput
from members.exceptions import InvalidStatusChange, PhoneTaken
from members.models import Member, MemberToken
from members.services import (
    address_create,
    address_delete,
    member_register,
    member_set_risk_mark,
    member_set_status,
    member_token_issue,
    member_update_profile,
    member_verify_real_name,
)
from members.validators import id_number_is_valid
from ops.models import AuditEntry

VALID_ID = "11010519491231002X"


def test_resident_id_check_character_is_verified():
    assert id_number_is_valid(VALID_ID)
    assert id_number_is_valid(VALID_ID.lower())
    assert not id_number_is_valid("110105194912310021")
    assert not id_number_is_valid("11010519491331002X")  # month 13
    assert not id_number_is_valid("1101051949123100")


def test_real_name_verification_stores_encrypted_data_and_audits_without_it(member, superuser):
    member_verify_real_name(actor=superuser, member=member, name="赵六", id_number=VALID_ID)
    reloaded = Member.objects.get(pk=member.pk)
    assert (reloaded.name, reloaded.id_number, reloaded.is_real_name_verified) == (
        "赵六",
        VALID_ID,
        True,
    )
    entry = AuditEntry.objects.get(action="member.verify_real_name")
    assert VALID_ID not in str(entry.before) + str(entry.after) + str(entry.data)
    with pytest.raises(InvalidInput):
        member_verify_real_name(actor=superuser, member=member, name="赵六", id_number="123")


def test_registering_one_phone_twice_is_refused_in_any_spelling(member):
    with pytest.raises(PhoneTaken):
        member_register(actor=None, phone="+86 139-1234-5678", password="mall-demo-2026")


def test_birthday_is_set_once(member):
    member_update_profile(actor=member, member=member, birthday=date(1990, 1, 2))
    with pytest.raises(InvalidInput):
        member_update_profile(actor=member, member=member, birthday=date(1991, 1, 2))
    member_update_profile(actor=member, member=member, name="新名字")
    assert Member.objects.get(pk=member.pk).name == "新名字"


def test_status_moves_follow_the_table_and_freezing_ends_sessions(member, superuser):
    member_token_issue(actor=member, member=member)
    member_set_status(actor=superuser, member=member, status="frozen", reason="abuse")
    assert not MemberToken.objects.filter(member=member).exists()
    member_set_status(actor=superuser, member=member, status="closed", reason="request")
    with pytest.raises(InvalidStatusChange):
        member_set_status(actor=superuser, member=member, status="active", reason="oops")


def test_deleting_the_default_address_promotes_the_newest(make_member):
    member = make_member(province="上海")
    first = member.addresses.get()
    second = address_create(
        actor=member,
        member=member,
        name="李四",
        phone="13900000001",
        province="广东省",
        city="广州",
        detail="天河路 2 号",
    )
    third = address_create(
        actor=member,
        member=member,
        name="李四",
        phone="13900000001",
        province="北京",
        city="北京",
        detail="长安街 3 号",
    )
    address_delete(actor=member, address=first)
    third.refresh_from_db()
    second.refresh_from_db()
    assert (third.is_default, second.is_default) == (True, False)
    assert Member.objects.get(pk=member.pk).region.code == "north"


def test_a_status_change_is_one_audited_transition_with_its_reason(member, superuser):
    member_set_status(actor=superuser, member=member, status="frozen", reason="refund abuse")
    entry = AuditEntry.objects.get(action="member.set_status")
    assert entry.actor_id == superuser.pk
    assert (entry.before["status"], entry.after["status"]) == ("active", "frozen")
    assert entry.data["reason"] == "refund abuse"


def test_a_reason_too_long_is_refused_not_cut(member, superuser):
    with pytest.raises(InvalidInput):
        member_set_status(actor=superuser, member=member, status="frozen", reason="x" * 201)
    with pytest.raises(InvalidInput):
        member_set_risk_mark(actor=superuser, member=member, risk_mark="watch", reason="x" * 201)
    member.refresh_from_db()
    assert (member.status, member.risk_mark) == ("active", "none")


def test_the_risk_mark_moves_through_its_table_and_an_unchanged_mark_writes_nothing(
    member, superuser
):
    member_set_risk_mark(actor=superuser, member=member, risk_mark="watch", reason="chargebacks")
    member_set_risk_mark(actor=superuser, member=member, risk_mark="watch", reason="again")
    member.refresh_from_db()
    assert member.risk_mark == "watch"
    entries = AuditEntry.objects.filter(action="member.set_risk_mark")
    assert [(e.before["risk_mark"], e.after["risk_mark"]) for e in entries] == [("none", "watch")]


def test_an_address_district_too_long_is_refused_not_cut(member):
    with pytest.raises(InvalidInput) as refused:
        address_create(
            actor=member,
            member=member,
            name="张三",
            phone=member.phone,
            province="上海",
            city="上海",
            district="区" * 51,
            detail="人民路 1 号",
        )
    assert "district" in refused.value.fields
    assert not member.addresses.exists()
