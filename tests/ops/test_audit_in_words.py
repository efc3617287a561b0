"""The audit log reads in Chinese: every action the demo writes has a label, object
types are named by their model, and the changelist shows no raw code."""

from __future__ import annotations

import re

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import translation

from mall.core.labels import action_label, object_type_label
from ops.models import AuditEntry
from tests.conftest import PASSWORD
from tests.e2e.helpers import raw_codes

pytestmark = pytest.mark.django_db

_CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture
def demo(superuser):
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    client = Client()
    assert client.login(username=superuser.username, password=PASSWORD)  # auth.login too
    return client


def _table_text(html: str) -> str:
    """The text a person reads in the changelist's table (icons are glyphs, not text)."""
    start = html.index('id="result_list"')
    table = html[html.index(">", start) + 1 :]
    table = table[: table.index("</table>")]
    table = re.sub(r'<span class="material-symbols-outlined[^"]*"[^>]*>[^<]*</span>', " ", table)
    text = re.sub(r"<[^>]+>", " ", table)
    return re.sub(r"\s+", " ", text)


def test_every_action_and_object_type_the_demo_writes_reads_in_chinese(demo):
    pairs = set(AuditEntry.objects.values_list("action", "object_type").distinct())
    assert len(pairs) > 20  # the demo touches every app
    with translation.override("zh-hans"):
        missing = sorted(action for action, _t in pairs if not _CJK.search(action_label(action)))
        # named by the model (会员, 商品, SKU), never the app_label.model code
        types = sorted(t for _a, t in pairs if t and object_type_label(t) == t)
    assert missing == [], f"audit actions without a Chinese label: {missing}"
    assert types == [], f"object types without a Chinese name: {types}"


def test_the_audit_changelist_shows_no_raw_codes_for_the_demo_actions(demo):
    # Every action on a page of its own (the filter), so each one is looked at.
    actions = sorted(set(AuditEntry.objects.values_list("action", flat=True)))
    for action in actions:
        response = demo.get("/admin/ops/auditentry/", {"action": action})
        assert response.status_code == 200
        text = _table_text(response.content.decode())
        assert action_label(action) in text
        assert raw_codes(text) == [], f"{action}: {raw_codes(text)[:5]}"


def test_the_action_filter_offers_chinese_labels(demo):
    html = demo.get("/admin/ops/auditentry/").content.decode()
    with translation.override("zh-hans"):
        assert "登录" in html and "创建商品" in html and "发送员工通知" in html


def test_an_unknown_code_is_shown_as_it_is_never_hidden():
    assert action_label("nobody.knows_this") == "nobody.knows_this"
    assert object_type_label("nobody.model") == "nobody.model"
    with translation.override("zh-hans"):
        assert object_type_label("members.member") == "会员"
