"""Browser journey: customer service finds a member by phone and reads the 360° page.

The customer-service agent (role 客服: members readable, personal data masked) logs in,
opens 会员 from the sidebar, types the caller's full phone number into the search box,
opens the member and reads profile, points, coupons and addresses on one page — all
masked (139****0001, 王**), all in Chinese, no internal codes — then follows the link
to the member's full points ledger. The ops lead, who may read personal data, sees
the plaintext (the reveal is audited) and adjusts points with the button and a reason.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from mall.core.actors import system_actor
from mall.core.management.commands.seed_demo import DEMO_PASSWORD as PASSWORD
from members import services as member_services
from members.models import CouponTemplate, PointsEntry, PointsReason
from ops.models import AuditEntry
from tests.e2e.helpers import admin_login, shoot
from tests.e2e.helpers import assert_no_raw_codes as _assert_no_raw_codes

PHONE = "13900000001"


def assert_no_raw_codes(page, allowed=frozenset()):
    """No raw codes on the page; the theme's icon names (Material Symbols ligatures such
    as ``chevron_right``, drawn as icons, not read as words) are not text."""
    icons = page.locator(".material-symbols-outlined").all_inner_texts()
    _assert_no_raw_codes(page, allowed=frozenset(allowed) | {icon.strip() for icon in icons})


def _demo_staff(username):
    """The demo login with the demo roles' permissions (rbac's staff and roles, members'
    grants to them): the journey fails when a demo role loses what its work needs."""
    import io

    from django.contrib.auth import get_user_model

    from mall.core.management.commands.seed_demo import seed_superuser
    from members.demo import _grant_roles
    from rbac import demo as rbac_demo

    out = io.StringIO()
    seed_superuser()  # rbac's seed gives the demo superuser a profile
    rbac_demo.seed(stdout=out)
    _grant_roles(out)
    return get_user_model().objects.get(username=username)


@pytest.fixture
def caller(db):
    """The member who calls customer service: points, a coupon, an address in 上海."""
    system = system_actor()
    member = member_services.member_register(
        actor=None, phone=PHONE, password=PASSWORD, name="王大锤"
    )
    member_services.address_create(
        actor=member,
        member=member,
        name="王大锤",
        phone=PHONE,
        province="上海",
        city="上海市",
        detail="浦东新区世纪大道 100 号",
    )
    member_services.points_earn(
        actor=system,
        member=member,
        reason=PointsReason.PURCHASE,
        reference="SO-20261128-1",
        points=300,
    )
    template = member_services.coupon_template_create(
        actor=system,
        name="满100减20",
        kind=CouponTemplate.Kind.AMOUNT_OFF,
        discount_amount=Decimal("20.00"),
        threshold_amount=Decimal("100.00"),
        validity=CouponTemplate.Validity.DAYS,
        valid_days=30,
        total_stock=100,
        per_member_limit=1,
    )
    member_services.coupon_issue(actor=system, member=member, template=template)
    member.refresh_from_db()
    return member


def test_customer_service_finds_a_member_by_phone_and_reads_the_masked_360_page(
    page, live_server, caller
):
    _demo_staff("cs_agent")
    admin_login(page, live_server.url, "cs_agent", PASSWORD)

    # 会员 from the sidebar, then the caller's full phone number in the search box.
    sidebar = page.locator("a[href='/admin/members/member/']").first
    assert sidebar.inner_text().strip().endswith("会员")
    sidebar.click()
    page.wait_for_url("**/admin/members/member/")
    page.fill("input[name=q]", PHONE)
    page.keyboard.press("Enter")
    page.wait_for_url("**q=*")
    rows = page.locator("#result_list tbody tr")
    assert rows.count() == 1
    assert "139****0001" in rows.first.inner_text()
    assert PHONE not in page.locator("#result_list").inner_text()
    assert_no_raw_codes(page, allowed=frozenset({PHONE}))  # the typed search term
    shoot(page, "cs-1-member-search")

    # The member's 360° page: masked profile, points, coupons, addresses, in Chinese.
    rows.first.get_by_role("link").first.click()
    page.wait_for_url(f"**/admin/members/member/{caller.pk}/change/**")
    text = page.locator("body").inner_text()
    assert "王** 139****0001" in text  # the heading names the member masked
    for label in ("基本资料", "手机号", "姓名", "等级、成长值与积分", "收货地址"):
        assert label in text, label
    assert "139****0001" in text and "王*" in text
    assert PHONE not in text and "王大锤" not in text and "世纪大道 100 号" not in text
    points = page.locator("section[data-title^='积分明细']")
    assert "积分明细（余额 300）" in points.inner_text()
    assert "购物" in points.inner_text() and "+300" in points.inner_text()
    coupons = page.locator("section[data-title='优惠券']")
    assert "满100减20" in coupons.inner_text() and "可使用" in coupons.inner_text()
    assert "调整积分" not in text  # customer service reads, does not adjust
    assert f"member:{caller.pk}" not in text.lower()
    assert_no_raw_codes(page)
    shoot(page, "cs-2-member-360")

    # The full points ledger of this member, members named masked.
    points.get_by_role("link", name="全部积分明细").click()
    page.wait_for_url(f"**/admin/members/pointsentry/?member={caller.pk}")
    ledger = page.locator("#result_list").inner_text()
    assert "王** 139****0001" in ledger and "购物" in ledger and "SO-20261128-1" in ledger
    assert_no_raw_codes(page)
    shoot(page, "cs-3-points-ledger")
    assert not AuditEntry.objects.filter(action="pii.reveal").exists()
    assert AuditEntry.objects.filter(action="member.phone_search", object_id=str(caller.pk))


def test_the_ops_lead_sees_plaintext_audited_and_adjusts_points_with_a_reason(
    page, live_server, caller
):
    lead = _demo_staff("ops_lead")
    admin_login(page, live_server.url, "ops_lead", PASSWORD)

    page.goto(f"{live_server.url}/admin/members/member/{caller.pk}/change/")
    text = page.locator("body").inner_text()
    assert PHONE in text and "王大锤" in text and "世纪大道 100 号" in text
    reveal = AuditEntry.objects.filter(action="pii.reveal", actor=lead)
    assert reveal.filter(object_type="members.member").exists()
    assert_no_raw_codes(page, allowed=frozenset({PHONE}))
    shoot(page, "cs-4-member-360-with-pii")

    page.get_by_role("link", name="调整积分").click()
    dialog = page.locator("#dialog")
    dialog.wait_for()
    dialog.locator("input[name=amount]").fill("50")
    dialog.locator("textarea[name=note]").fill("物流延误补偿")
    assert_no_raw_codes(page, allowed=frozenset({PHONE}))
    shoot(page, "cs-5-adjust-points-dialog")
    dialog.locator("button[type=submit]").click()
    page.wait_for_selector("text=积分已调整。")

    entry = PointsEntry.objects.get(member=caller, reason=PointsReason.ADJUSTMENT)
    assert (entry.points, entry.note) == (50, "物流延误补偿")
    points = page.locator("section[data-title^='积分明细']")
    assert "积分明细（余额 350）" in points.inner_text()
    assert "人工调整" in points.inner_text() and "物流延误补偿" in points.inner_text()
    assert_no_raw_codes(page, allowed=frozenset({PHONE}))
    shoot(page, "cs-6-points-adjusted")
