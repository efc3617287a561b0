"""The audit log keeps a keyed hash of personal values: a diff still shows the change."""

from __future__ import annotations

from mall.core.audit import conceal
from ops.models import AuditEntry
from rbac.models import StaffProfile
from rbac.services import staff_create, staff_profile_update


def test_a_staff_phone_change_is_audited_as_two_different_hashes_never_the_numbers(superuser):
    staff_create(
        actor=superuser, username="li", employee_number="E-1", first_name="李", phone="13500001111"
    )
    profile = StaffProfile.objects.get(employee_number="E-1")
    staff_profile_update(actor=superuser, profile=profile, phone="13500002222")
    entry = AuditEntry.objects.get(action="rbac.staff_update")
    assert entry.before == {"phone": conceal("13500001111")}
    assert entry.after == {"phone": conceal("13500002222")}
    assert entry.before["phone"].startswith("hmac:")
    assert "1350000" not in str(entry.before) + str(entry.after)
