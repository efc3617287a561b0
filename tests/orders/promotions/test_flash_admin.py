# ruff: noqa: F811 - fixtures imported from checkout_support are parameters here
"""The 秒杀场次 admin: list, add with item rows, buttons calling the flash services,
read-only states, creator ≠ approver, no raw codes on the pages."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from django.test import Client
from django.utils import timezone

from mall.core.actors import system_actor
from ops.models import AuditEntry
from orders import permissions as perms
from orders.models import ApprovalStatus, FlashSession, FlashSessionItem
from orders.promotions import flash
from tests.orders.checkout_support import on_shelf_sku  # noqa: F401 - fixture

pytestmark = pytest.mark.django_db
P = ApprovalStatus

MARKETING = (
    perms.VIEW_FLASH_SESSION,
    perms.ADD_FLASH_SESSION,
    perms.CHANGE_FLASH_SESSION,
    "orders.view_flashsessionitem",
)
LEAD = (perms.VIEW_FLASH_SESSION, perms.APPROVE_FLASH_SESSION, "orders.view_flashsessionitem")
LIST = "/admin/orders/flashsession/"
ADD = "/admin/orders/flashsession/add/"
# The stored codes that differ from their labels (the others read like their English
# label until the catalogs are filled: "draft", "running" …); each page is also checked
# to show the label of the session's status.
RAW_CODES = ("pending_approval", "flash_session.")


@pytest.fixture
def marketing(make_staff):
    user = make_staff("mkt", perms=MARKETING)
    user.first_name, user.last_name = "营销", "郑"
    user.save(update_fields=["first_name", "last_name"])
    return user


def _scope(user, regions=None):
    """Give ``user`` a role without permissions whose data scope is every row
    (``regions=None``) or the sales regions named: what decides the national figures."""
    from django.contrib.auth import get_user_model

    from rbac import services as rbac_services
    from rbac.models import SalesRegion, ScopeKind

    role = rbac_services.role_create(
        actor=system_actor(),
        code=f"scope-{user.username}",
        name=f"scope-{user.username}",
        scope_kind=ScopeKind.ALL if regions is None else ScopeKind.REGIONS,
        regions=[] if regions is None else list(SalesRegion.objects.filter(code__in=regions)),
    )
    rbac_services.role_assign(actor=system_actor(), user=user, role=role)
    return get_user_model().objects.get(pk=user.pk)


@pytest.fixture
def lead(make_staff):
    user = make_staff("lead", perms=LEAD)
    user.first_name, user.last_name = "运营", "刘"
    user.save(update_fields=["first_name", "last_name"])
    return _scope(user)  # sees every order: the national counters


@pytest.fixture
def draft(marketing, on_shelf_sku):
    """A draft session of one SKU (99.00, 20 units in WH-SH) starting in an hour."""

    def make(*, quota: int = 10, starts_in=timedelta(hours=1)):
        sku = on_shelf_sku(20)
        starts = timezone.now() + starts_in
        return flash.flash_session_create(
            actor=marketing,
            name="周末秒杀",
            starts_at=starts,
            ends_at=starts + timedelta(hours=2),
            unpaid_minutes=5,
            items=[
                {"sku": sku, "flash_price": Decimal("59.00"), "quota": quota, "per_member_limit": 1}
            ],
        )

    return make


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _change(session) -> str:
    return f"{LIST}{session.pk}/change/"


def _button(session, name: str) -> str:
    return f"{LIST}{session.pk}/{name}/"


class _Text(HTMLParser):
    """The words a reader sees (no tags, attributes, scripts or styles)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.words: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "template"):
            self._skip += 1

    def handle_endtag(self, tag):
        if tag in ("script", "style", "template") and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip and data.strip():
            self.words.append(data.strip())


def _visible(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return "\n".join(parser.words)


def _raw_codes(html: str) -> list[str]:
    text = _visible(html)
    return [code for code in RAW_CODES if re.search(rf"(?<![\w-]){re.escape(code)}", text)]


# --- list -------------------------------------------------------------------------------


def test_the_list_names_people_window_items_and_sold_of_quota(draft, marketing, lead):
    session = draft(quota=8)
    flash.flash_session_submit(actor=marketing, session=session)
    flash.flash_session_approve(actor=lead, session=session)
    FlashSessionItem.objects.filter(session=session).update(sold=3)

    response = _client(lead).get(LIST)
    assert response.status_code == 200
    page = response.content.decode()
    assert "周末秒杀" in page
    assert "郑营销" in page and "刘运营" in page  # real names, Chinese order
    assert "3 / 8" in page
    local = timezone.localtime(session.starts_at).strftime("%Y-%m-%d %H:%M")
    assert local in page
    assert str(P.APPROVED.label) in _visible(page)
    assert _raw_codes(page) == []


def test_the_list_filters_by_status(draft, marketing):
    kept = draft()
    other = draft()
    flash.flash_session_submit(actor=marketing, session=other)
    client = _client(marketing)
    page = client.get(LIST, {"status__exact": P.PENDING_APPROVAL}).content.decode()
    assert f"/{other.pk}/change/" in page and f"/{kept.pk}/change/" not in page


def test_staff_without_the_permissions_do_not_see_the_screen(make_staff, draft):
    session = draft()
    stranger = _client(make_staff("nobody"))
    assert stranger.get(LIST).status_code == 403
    assert stranger.get(_change(session)).status_code in (403, 404)


# --- add with item rows -----------------------------------------------------------------


def _add_form(sku, *, price="59.00", quota="10", name="双十二秒杀") -> dict:
    starts = timezone.localtime(timezone.now() + timedelta(days=1))
    ends = starts + timedelta(hours=2)
    return {
        "name": name,
        "starts_at_0": starts.strftime("%Y-%m-%d"),
        "starts_at_1": starts.strftime("%H:%M:%S"),
        "ends_at_0": ends.strftime("%Y-%m-%d"),
        "ends_at_1": ends.strftime("%H:%M:%S"),
        "unpaid_minutes": "5",
        "items-TOTAL_FORMS": "1",
        "items-INITIAL_FORMS": "0",
        "items-MIN_NUM_FORMS": "0",
        "items-MAX_NUM_FORMS": "1000",
        "items-0-sku": str(sku.pk),
        "items-0-flash_price_amount": price,
        "items-0-quota": quota,
        "items-0-per_member_limit": "1",
    }


def test_marketing_adds_a_session_with_an_item_row_through_the_service(marketing, on_shelf_sku):
    sku = on_shelf_sku(20)
    client = _client(marketing)
    page = client.get(ADD).content.decode()
    assert 'name="items-0-sku"' in page and "sku-search/" in page

    response = client.post(ADD, _add_form(sku))
    assert response.status_code == 302, response.content.decode()[:3000]
    session = FlashSession.objects.get(name="双十二秒杀")
    assert session.status == P.DRAFT and session.created_by == marketing
    item = session.items.get()
    assert (item.sku, item.flash_price_amount, item.quota) == (sku, Decimal("59.00"), 10)
    assert item.reference_price_amount == Decimal("99.00")  # kept by the service
    assert AuditEntry.objects.filter(action="flash_session.create").count() == 1


def test_a_flash_price_not_below_the_lowest_price_is_refused_on_the_form(marketing, on_shelf_sku):
    sku = on_shelf_sku(20)
    response = _client(marketing).post(ADD, _add_form(sku, price="99.00"))
    assert response.status_code == 200  # the same form again
    page = response.content.decode()
    assert "99.00" in page and sku.code in page  # the refusal names the lowest price
    assert not FlashSession.objects.exists()


def test_the_sku_search_shows_product_names_and_sellable_units(marketing, on_shelf_sku):
    sku = on_shelf_sku(17)
    answer = _client(marketing).get(f"{LIST}sku-search/", {"term": sku.code}).json()
    assert [row["id"] for row in answer["results"]] == [str(sku.pk)]
    text = answer["results"][0]["text"]
    assert sku.product.title in text and "17" in text


def test_the_sku_search_is_for_writers_only(lead, on_shelf_sku):
    on_shelf_sku(5)
    assert _client(lead).get(f"{LIST}sku-search/", {"term": "T-"}).status_code == 403


def test_a_draft_is_edited_through_the_update_service(draft, marketing):
    session = draft()
    item = session.items.get()
    form = _add_form(item.sku, price="49.00", quota="6", name="周末秒杀（改）")
    form.update(
        {
            "items-INITIAL_FORMS": "1",
            "items-0-id": str(item.pk),
            "items-0-session": str(session.pk),
        }
    )
    response = _client(marketing).post(_change(session), form)
    assert response.status_code == 302, response.content.decode()[:3000]
    session.refresh_from_db()
    assert session.name == "周末秒杀（改）"
    updated = session.items.get()
    assert (updated.flash_price_amount, updated.quota) == (Decimal("49.00"), 6)
    assert AuditEntry.objects.filter(action="flash_session.update").exists()


# --- buttons and states -----------------------------------------------------------------


def test_submit_then_the_page_is_read_only_and_the_creator_cannot_approve(draft, marketing):
    session = draft()
    client = _client(marketing)
    page = client.get(_change(session)).content.decode()
    assert "submit-button/" in page and 'name="name"' in page

    response = client.post(_button(session, "submit-button"), {"_form_submitted": "on"})
    assert response.status_code == 302
    session.refresh_from_db()
    assert session.status == P.PENDING_APPROVAL

    page = client.get(_change(session)).content.decode()
    assert 'name="name"' not in page, "a session waiting for approval opens read-only"
    assert 'name="items-0-flash_price_amount"' not in page
    assert "submit-button/" not in page
    assert _raw_codes(page) == []


def test_the_creator_never_sees_approve_even_with_the_permission(draft, make_staff):
    creator = make_staff("both", perms=(*MARKETING, perms.APPROVE_FLASH_SESSION))
    session = draft()
    session.created_by = creator
    session.save(update_fields=["created_by"])
    flash.flash_session_submit(actor=creator, session=session)
    client = _client(creator)
    page = client.get(_change(session)).content.decode()
    assert "approve-button/" not in page and "reject-button/" not in page
    # pressing it anyway is refused and changes nothing
    response = client.post(_button(session, "approve-button"), {"_form_submitted": "on"})
    assert response.status_code == 403
    session.refresh_from_db()
    assert session.status == P.PENDING_APPROVAL and session.approved_by is None


def test_the_lead_approves_with_the_button(draft, marketing, lead):
    session = draft()
    flash.flash_session_submit(actor=marketing, session=session)
    client = _client(lead)
    page = client.get(_change(session)).content.decode()
    assert "approve-button/" in page and "reject-button/" in page
    assert "submit-button/" not in page

    client.post(_button(session, "approve-button"), {"_form_submitted": "on"})
    session.refresh_from_db()
    assert session.status == P.APPROVED and session.approved_by == lead
    assert AuditEntry.objects.filter(action="flash_session.approve").count() == 1
    page = client.get(_change(session)).content.decode()
    assert "approve-button/" not in page and "刘运营" in page
    assert "cancel-button/" not in page  # cancelling needs the change permission


def test_reject_needs_a_reason_and_sends_the_session_back_to_draft(draft, marketing, lead):
    session = draft()
    flash.flash_session_submit(actor=marketing, session=session)
    client = _client(lead)
    empty = client.post(_button(session, "reject-button"), {"_form_submitted": "on", "reason": " "})
    assert empty.status_code == 200  # the dialog again
    session.refresh_from_db()
    assert session.status == P.PENDING_APPROVAL

    client.post(_button(session, "reject-button"), {"_form_submitted": "on", "reason": "价格太低"})
    session.refresh_from_db()
    assert session.status == P.DRAFT and session.rejection_reason == "价格太低"
    page = _client(marketing).get(_change(session)).content.decode()
    assert "价格太低" in page and 'name="name"' in page  # editable again


def test_cancel_with_a_reason(draft, marketing):
    session = draft()
    client = _client(marketing)
    client.post(_button(session, "cancel-button"), {"_form_submitted": "on", "reason": "活动取消"})
    session.refresh_from_db()
    assert session.status == P.CANCELLED and session.cancel_reason == "活动取消"
    page = client.get(_change(session)).content.decode()
    assert "cancel-button/" not in page and "submit-button/" not in page
    assert _raw_codes(page) == []


def test_a_running_session_shows_its_live_figures_and_no_buttons(draft, marketing, lead):
    session = draft(quota=10, starts_in=timedelta(minutes=-5))
    flash.flash_session_submit(actor=marketing, session=session)
    flash.flash_session_approve(actor=lead, session=session)
    flash.flash_session_open(actor=system_actor(), session=session)  # the job's part
    session.refresh_from_db()
    assert session.status == P.RUNNING
    item = session.items.get()
    FlashSessionItem.objects.filter(pk=item.pk).update(sold=4, held=6)

    page = _client(lead).get(_change(session)).content.decode()
    assert "flash-live" in page
    live = page[page.index("flash-live") :]
    live = live[: live.index("</table>")]
    assert "<strong>6</strong>" in live  # remaining = quota − sold
    for name in ("submit-button/", "approve-button/", "reject-button/", "cancel-button/"):
        assert name not in page
    assert 'name="name"' not in page
    assert _raw_codes(page) == []


# --- four eyes, stop now, national counters --------------------------------------------


def test_an_editor_who_may_approve_sees_no_approve_button_and_only_the_creator_submits(
    draft, marketing, make_staff
):
    editor = make_staff("editor", perms=(*MARKETING, perms.APPROVE_FLASH_SESSION))
    session = draft()
    flash.flash_session_update(actor=editor, session=session, name="改过的秒杀")
    editing = _client(editor)
    assert "submit-button/" not in editing.get(_change(session)).content.decode()
    refused = editing.post(_button(session, "submit-button"), {"_form_submitted": "on"})
    assert refused.status_code == 403
    session.refresh_from_db()
    assert session.status == P.DRAFT

    assert "submit-button/" in _client(marketing).get(_change(session)).content.decode()
    flash.flash_session_submit(actor=marketing, session=session)
    page = editing.get(_change(session)).content.decode()
    assert "approve-button/" not in page and "reject-button/" not in page
    pressed = editing.post(_button(session, "approve-button"), {"_form_submitted": "on"})
    assert pressed.status_code == 403
    session.refresh_from_db()
    assert session.status == P.PENDING_APPROVAL and session.approved_by is None


def test_stop_now_closes_a_running_session_and_gives_the_units_back(draft, marketing, lead):
    session = draft(quota=10, starts_in=timedelta(minutes=-5))
    flash.flash_session_submit(actor=marketing, session=session)
    flash.flash_session_approve(actor=lead, session=session)
    client = _client(marketing)
    assert "stop-button/" not in client.get(_change(session)).content.decode()  # not running
    flash.flash_session_open(actor=system_actor(), session=session)
    session.refresh_from_db()
    assert session.status == P.RUNNING and session.items.get().held == 10

    assert "stop-button/" in client.get(_change(session)).content.decode()
    assert "stop-button/" not in _client(lead).get(_change(session)).content.decode()
    dialog = client.get(_button(session, "stop-button"))
    assert dialog.status_code == 200  # a confirmation first, nothing done
    session.refresh_from_db()
    assert session.status == P.RUNNING

    client.post(_button(session, "stop-button"), {"_form_submitted": "on"})
    session.refresh_from_db()
    assert session.status == P.ENDED and session.ended_at is not None
    assert session.items.get().held == 0
    entry = AuditEntry.objects.get(action="flash_session.close", object_id=str(session.pk))
    assert entry.actor_id == marketing.pk


def test_a_regional_reader_sees_no_national_sold_figures(draft, marketing, lead, make_staff):
    session = draft(quota=8, starts_in=timedelta(minutes=-5))
    flash.flash_session_submit(actor=marketing, session=session)
    flash.flash_session_approve(actor=lead, session=session)
    flash.flash_session_open(actor=system_actor(), session=session)
    FlashSessionItem.objects.filter(session=session).update(sold=3, held=5)

    regional = _scope(make_staff("east-reader", perms=LEAD), regions=["east"])
    page = _client(regional).get(LIST).content.decode()
    assert "周末秒杀" in page and "3 / 8" not in page and "—" in page
    page = _client(regional).get(_change(session)).content.decode()
    assert "flash-live" not in page and "—" in page

    national = _client(lead)
    assert "3 / 8" in national.get(LIST).content.decode()
    assert "flash-live" in national.get(_change(session)).content.decode()
