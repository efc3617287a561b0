"""The members app ships Simplified Chinese for its labels and messages."""

from django.utils import translation

from members.exceptions import CouponSoldOut
from members.models import Member, PointsEntry


def test_labels_and_errors_are_translated_to_chinese():
    with translation.override("zh-hans"):
        assert str(Member._meta.verbose_name) == "会员"
        assert str(PointsEntry._meta.verbose_name_plural) == "积分明细"
        assert str(CouponSoldOut().message) == "该优惠券已领完。"


def test_the_catalog_has_no_empty_or_fuzzy_entries():
    """Fuzzy entries are skipped by compilemessages: they would show in English."""
    import re
    from pathlib import Path

    import members

    catalog = Path(members.__file__).parent / "locale/zh_Hans/LC_MESSAGES/django.po"
    entries = catalog.read_text(encoding="utf-8").split("\n\n")[1:]
    fuzzy = [entry for entry in entries if re.search(r"^#,.*\bfuzzy\b", entry, re.M)]
    empty = [entry for entry in entries if re.search(r'^msgstr ""\Z', entry.strip(), re.M)]
    assert fuzzy == []
    assert empty == []
    with translation.override("zh-hans"):
        from members.exceptions import LedgerReferenceTaken

        assert str(LedgerReferenceTaken().message) == "该业务单号已被其他会员的流水使用。"
        assert str(Member._meta.get_field("growth").verbose_name) == "成长值"


def test_the_refusals_of_the_refactor_read_in_chinese(member, superuser):
    import pytest

    from mall.core.exceptions import InvalidInput
    from members.exceptions import LevelNotFound
    from members.services import member_set_status

    with translation.override("zh-hans"):
        assert str(LevelNotFound().message) == "未找到会员等级。"
        with pytest.raises(InvalidInput) as refused:
            member_set_status(actor=superuser, member=member, status="frozen", reason="x" * 201)
        assert refused.value.fields["reason"] == ["最多 200 个字符。"]
