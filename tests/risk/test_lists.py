# ruff: noqa: F403
"""Account risk marks and the blacklist: expiry (an expired entry no longer counts),
revocation, one live entry per value, permissions and audit."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from ops.models import AuditEntry
from risk.exceptions import InvalidRiskInput, RiskPermissionDenied, RiskStateConflict
from risk.models import BlacklistEntry, RiskMark
from risk.rules.base import blacklisted, live_marks
from risk.services.lists import (
    blacklist_add,
    blacklist_revoke,
    mark_add,
    mark_revoke,
)
from tests.risk.admin_support import *

pytestmark = pytest.mark.django_db


def _expire(row) -> None:
    type(row).objects.filter(pk=row.pk).update(expires_at=timezone.now() - timedelta(minutes=1))


def test_a_mark_holds_until_it_expires_or_is_revoked(buyer, officer):
    mark = mark_add(actor=officer, member=buyer, level="high", reason="刷单", days=7)
    assert (
        timezone.now() + timedelta(days=6) < mark.expires_at <= timezone.now() + timedelta(days=7)
    )
    assert list(live_marks(buyer.pk)) == [mark]
    _expire(mark)
    assert list(live_marks(buyer.pk)) == []

    forever = mark_add(actor=officer, member=buyer, level="watch", reason="观察")
    assert forever.expires_at is None and list(live_marks(buyer.pk)) == [forever]
    mark_revoke(actor=officer, mark=forever, reason="核实无误")
    assert list(live_marks(buyer.pk)) == []
    with pytest.raises(RiskStateConflict):
        mark_revoke(actor=officer, mark=forever, reason="again")
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {"risk.mark_add", "risk.mark_revoke"} <= actions


def test_mark_refusals(buyer, officer, viewer):
    with pytest.raises(RiskPermissionDenied):
        mark_add(actor=viewer, member=buyer, level="high", reason="x")
    with pytest.raises(InvalidRiskInput) as level:
        mark_add(actor=officer, member=buyer, level="purple", reason="x")
    assert "level" in level.value.fields
    with pytest.raises(InvalidRiskInput) as reason:
        mark_add(actor=officer, member=buyer, level="high", reason=" ")
    assert "reason" in reason.value.fields
    with pytest.raises(InvalidRiskInput) as days:
        mark_add(actor=officer, member=buyer, level="high", reason="x", days=99999)
    assert "days" in days.value.fields
    assert not RiskMark.objects.exists()


def test_a_blacklist_entry_blocks_until_it_expires(officer):
    entry = blacklist_add(
        actor=officer, kind="device", value="devABCDEF123456", reason="群控", days=3
    )
    assert blacklisted({"device": "devABCDEF123456"}) == entry
    assert entry.label != "devABCDEF123456"  # long device ids are shown shortened
    _expire(entry)
    assert blacklisted({"device": "devABCDEF123456"}) is None

    # The expired entry gives its slot to a new one (it is retired, not left live).
    again = blacklist_add(actor=officer, kind="device", value="devABCDEF123456", reason="再犯")
    entry.refresh_from_db()
    assert entry.revoked_at is not None
    assert blacklisted({"device": ["other", "devABCDEF123456"]}) == again


def test_one_live_entry_per_value(officer, buyer):
    blacklist_add(actor=officer, kind="ip", value="203.0.113.9", reason="撞库")
    with pytest.raises(RiskStateConflict) as twice:
        blacklist_add(actor=officer, kind="ip", value="203.0.113.9", reason="again")
    assert twice.value.status_code == 409
    member = blacklist_add(actor=officer, kind="member", member=buyer, reason="黄牛")
    assert member.value == str(buyer.pk) and buyer.phone not in member.label
    assert BlacklistEntry.objects.filter(revoked_at__isnull=True).count() == 2


def test_phone_and_address_entries_store_only_a_hash(officer):
    phone = blacklist_add(actor=officer, kind="phone", value="13912345678", reason="接码平台")
    assert "13912345678" not in phone.value and "13912345678" not in phone.label
    address = blacklist_add(
        actor=officer, kind="address", value="上海|上海市|浦东新区|幸福路 1 号", reason="集中收货"
    )
    assert "幸福路" not in address.value and "幸福路" not in address.label
    with pytest.raises(InvalidRiskInput):
        blacklist_add(actor=officer, kind="ip", value="not-an-ip", reason="x")
    with pytest.raises(InvalidRiskInput):
        blacklist_add(actor=officer, kind="member", reason="x")


def test_revoking_an_entry(officer, viewer):
    entry = blacklist_add(actor=officer, kind="ip", value="198.51.100.7", reason="x")
    with pytest.raises(RiskPermissionDenied):
        blacklist_revoke(actor=viewer, entry=entry, reason="x")
    with pytest.raises(InvalidRiskInput):
        blacklist_revoke(actor=officer, entry=entry, reason="")
    blacklist_revoke(actor=officer, entry=entry, reason="误封")
    assert blacklisted({"ip": "198.51.100.7"}) is None
    with pytest.raises(RiskStateConflict):
        blacklist_revoke(actor=officer, entry=entry, reason="again")
    assert AuditEntry.objects.filter(action="risk.blacklist_revoke").count() == 1
