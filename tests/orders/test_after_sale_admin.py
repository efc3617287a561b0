# ruff: noqa: F811 - fixtures imported from after_sales_fixtures are parameters here
"""The after-sales and review screens: scoped lists, buttons calling the services."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from orders.models import AfterSale, Review
from orders.services.after_sales import after_sale_request
from orders.services.reviews import review_create
from tests.orders.after_sales_fixtures import (  # noqa: F401
    buyer,
    clock,
    cs_agent,
    cs_north,
    finance,
    received_order,
    sku,
    staff,
)

pytestmark = pytest.mark.django_db


def _login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def case(buyer, received_order):
    return after_sale_request(
        actor=buyer,
        order=received_order,
        kind="refund_only",
        lines=[(received_order.lines.get(), 1)],
        reason="quality",
        description="屏幕裂了",
    )


@pytest.fixture
def negative(buyer, received_order):
    return review_create(
        actor=buyer, order=received_order, line=received_order.lines.get(), rating=2, text="很差"
    )


def _base(obj) -> str:
    name = obj._meta.model_name
    return reverse(f"admin:orders_{name}_change", args=[obj.pk]).removesuffix("change/")


def test_the_queue_lists_cases_in_scope_in_chinese(case, cs_agent, cs_north):
    page = _login(cs_agent).get(reverse("admin:orders_aftersale_changelist"))
    html = page.content.decode()
    assert page.status_code == 200 and case.case_no in html
    assert "待审核" in html or "等待审核" in html
    north = _login(cs_north).get(reverse("admin:orders_aftersale_changelist"))
    assert case.case_no not in north.content.decode()
    assert _login(cs_north).get(_base(case) + "change/").status_code in (302, 404)


def test_search_finds_a_case_by_its_number_or_its_order_number(case, cs_agent, received_order):
    client = _login(cs_agent)
    url = reverse("admin:orders_aftersale_changelist")
    assert case.case_no in client.get(url, {"q": case.case_no.lower()}).content.decode()
    assert case.case_no in client.get(url, {"q": received_order.order_no}).content.decode()


def test_the_approve_button_calls_the_service_and_the_timeline_reads_in_words(case, cs_agent):
    client = _login(cs_agent)
    page = client.get(_base(case) + "change/").content.decode()
    assert "approve/" in page and "reject/" in page and "refund/" not in page
    response = client.post(_base(case) + "approve/", {"_form_submitted": "on", "amount": "80.00"})
    assert response.status_code == 302
    case.refresh_from_db()
    assert (case.status, case.approved_amount) == ("refunding", Decimal("80.00"))
    page = client.get(_base(case) + "change/").content.decode()
    assert "屏幕裂了" in page
    assert "refund_wait" not in page  # timeline steps read in words, not codes


def test_a_rejection_without_a_reason_stays_in_the_dialog(case, cs_agent):
    client = _login(cs_agent)
    response = client.post(_base(case) + "reject/", {"_form_submitted": "on", "reason": " "})
    assert response.status_code == 200
    case.refresh_from_db()
    assert case.status == "requested"
    client.post(_base(case) + "reject/", {"_form_submitted": "on", "reason": "超出售后期"})
    case.refresh_from_db()
    assert (case.status, case.decision_reason) == ("rejected", "超出售后期")


def test_finance_sees_only_the_refund_button_and_executes_it(case, cs_agent, finance):
    _login(cs_agent).post(_base(case) + "approve/", {"_form_submitted": "on"})
    client = _login(finance)
    page = client.get(_base(case) + "change/").content.decode()
    assert "refund/" in page and "approve/" not in page
    client.post(_base(case) + "refund/", {"_form_submitted": "on"})
    case.refresh_from_db()
    assert case.status == "completed" and case.refunded_amount == Decimal("99.00")


def test_the_batch_approval_approves_only_waiting_requests_in_scope(case, cs_agent):
    _login(cs_agent).post(
        reverse("admin:orders_aftersale_changelist"),
        {"action": "approve_selected", "_selected_action": [case.pk], "index": 0},
    )
    assert AfterSale.objects.get(pk=case.pk).status == "refunding"


def test_reviews_show_stars_filter_negatives_and_reply_and_hide_by_buttons(negative, cs_agent):
    client = _login(cs_agent)
    listing = client.get(reverse("admin:orders_review_changelist"), {"negative": "waiting"})
    assert "★★☆☆☆" in listing.content.decode()
    client.post(_base(negative) + "reply/", {"_form_submitted": "on", "text": "您好，已为您处理"})
    client.post(_base(negative) + "hide/", {"_form_submitted": "on", "reason": "含联系方式"})
    negative.refresh_from_db()
    assert (negative.reply_text, negative.status, negative.hidden_reason) == (
        "您好，已为您处理",
        "hidden",
        "含联系方式",
    )
    answered = client.get(reverse("admin:orders_review_changelist"), {"negative": "waiting"})
    assert "★★☆☆☆" not in answered.content.decode()
    assert Review.objects.get(pk=negative.pk).replied_by == cs_agent
