"""Members' RFM results in the RBAC scope matrix (tests/rbac/test_scope_matrix.py).

A result belongs to its member's sales region (``declare_scope(MemberRfm,
region="member__region")``); the API lists and exports members with their result, so
the row key is the member id (the result's primary key).
"""

from __future__ import annotations

import itertools
from datetime import date, timedelta

from tests.members.scope_cases import _member_in
from tests.rbac.matrix_cases import ScopeCase

_days = itertools.count(1)


def _make_rfm(*, region, department, owner, grant_target):
    from django.utils import timezone

    from members.models import MemberRfm, RfmRun, RfmSegment

    run, _created = RfmRun.objects.get_or_create(
        run_date=date(2026, 1, 1),
        defaults={
            "window_days": 365,
            "window_start": timezone.now() - timedelta(days=365),
            "window_end": timezone.now(),
        },
    )
    return MemberRfm.objects.create(
        member=_member_in(region),
        run=run,
        last_paid_at=timezone.now() - timedelta(days=next(_days)),
        recency_days=1,
        frequency=2,
        monetary_amount=100,
        r_score=3,
        f_score=3,
        m_score=3,
        segment=RfmSegment.GENERAL_VALUE,
        previous_frequency=2,
    )


CASES = [
    ScopeCase(
        id="members.memberrfm",
        model="members.MemberRfm",
        make_row=_make_rfm,
        permissions=("members.view_member", "members.view_memberrfm", "members.export_rfm"),
        api_list="member-rfm-list",
        api_detail="member-rfm-detail",
        export="member-rfm-export",
    ),
]
