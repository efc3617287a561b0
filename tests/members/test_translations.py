"""The members app ships Simplified Chinese for its labels and messages."""

from django.utils import translation

from members.exceptions import CouponSoldOut
from members.models import Member, PointsEntry


def test_labels_and_errors_are_translated_to_chinese():
    with translation.override("zh-hans"):
        assert str(Member._meta.verbose_name) == "会员"
        assert str(PointsEntry._meta.verbose_name_plural) == "积分明细"
        assert str(CouponSoldOut().message) == "该优惠券已领完。"
