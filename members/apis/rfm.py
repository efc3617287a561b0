"""Staff endpoint ``/api/v1/members/rfm/``: members' latest RFM results, and the
marketing export (``…/rfm/export/?segment=…``) through the kernel's export path.

Scoped like the member list (a regional user reads their region's members; out of
scope is "not found"), phones masked unless the reader holds the PII permission
(a reveal is audited), every export audited (``data.export``); a large export runs
as a file job that re-checks the permission, the scope and the masking.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers

from mall.core.api import ExportColumn, MaskedField, ScopedExportMixin, ScopedViewSet
from mall.core.filters import FilterSet, StrictBooleanFilter

from ..filters import CodeChoiceFilter
from ..models import Member, RfmSegment
from ..permissions import VIEW_MEMBER
from ..rfm import EXPORT_RFM, VIEW_RFM
from ..selectors_rfm import member_rfm_list

TAGS = ["members"]


class MemberRfmSerializer(serializers.ModelSerializer):
    """One member's latest RFM result (phone masked without the PII permission)."""

    phone = MaskedField(kind="phone")
    level = serializers.CharField(source="level.code", read_only=True)
    segment = serializers.CharField(source="rfm.segment", read_only=True)
    segment_label = serializers.CharField(source="rfm.get_segment_display", read_only=True)
    recency_days = serializers.IntegerField(source="rfm.recency_days", read_only=True)
    frequency = serializers.IntegerField(source="rfm.frequency", read_only=True)
    monetary_amount = serializers.DecimalField(
        source="rfm.monetary_amount", max_digits=14, decimal_places=2, read_only=True
    )
    r_score = serializers.IntegerField(source="rfm.r_score", read_only=True)
    f_score = serializers.IntegerField(source="rfm.f_score", read_only=True)
    m_score = serializers.IntegerField(source="rfm.m_score", read_only=True)
    previous_frequency = serializers.IntegerField(source="rfm.previous_frequency", read_only=True)
    is_win_back = serializers.BooleanField(source="rfm.is_win_back", read_only=True)

    class Meta:
        model = Member
        fields = [
            "id",
            "phone",
            "level",
            "segment",
            "segment_label",
            "recency_days",
            "frequency",
            "monetary_amount",
            "r_score",
            "f_score",
            "m_score",
            "previous_frequency",
            "is_win_back",
        ]


class MemberRfmFilter(FilterSet):
    """``?segment=important_value`` (an RFM segment code), ``?win_back=true|false``."""

    segment = CodeChoiceFilter(field_name="rfm__segment", choices=RfmSegment.choices)
    win_back = StrictBooleanFilter(field_name="rfm__is_win_back", label=_("Flagged for win-back."))

    class Meta:
        model = Member
        fields = ["segment", "win_back"]


def _segment_label(member: Member) -> str:
    return member.rfm.get_segment_display()


@extend_schema_view(
    list=extend_schema(tags=TAGS, responses=MemberRfmSerializer(many=True)),
    retrieve=extend_schema(tags=TAGS),
)
class MemberRfmViewSet(ScopedExportMixin, ScopedViewSet):
    """Members' latest RFM results in the caller's data scope (``?segment=``)."""

    serializer_class = MemberRfmSerializer
    list_selector = member_rfm_list
    filterset_class = MemberRfmFilter
    required_permissions = {
        "list": [VIEW_MEMBER, VIEW_RFM],
        "retrieve": [VIEW_MEMBER, VIEW_RFM],
        "export": [VIEW_MEMBER, VIEW_RFM, EXPORT_RFM],
    }
    export_name = "members.rfm"
    export_filename = "member-rfm"
    export_columns = [
        ExportColumn("id", "pk"),
        ExportColumn("phone", "phone", pii="phone"),
        ExportColumn("level", "level.code"),
        ExportColumn("segment", "rfm.segment"),
        ExportColumn("segment_label", _segment_label),
        ExportColumn("recency_days", "rfm.recency_days"),
        ExportColumn("frequency", "rfm.frequency"),
        ExportColumn("monetary_amount", "rfm.monetary_amount"),
        ExportColumn("r_score", "rfm.r_score"),
        ExportColumn("f_score", "rfm.f_score"),
        ExportColumn("m_score", "rfm.m_score"),
        ExportColumn("previous_frequency", "rfm.previous_frequency"),
        ExportColumn("is_win_back", "rfm.is_win_back"),
    ]
