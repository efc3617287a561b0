# ruff: noqa: F401, F811 - fixtures imported from other modules are parameters here
"""活动效果 / 秒杀效果: the live pages, the review report, the workbench tiles.

The figures come from the fixture of ``test_results_figures`` (hand-computed there).
"""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils.translation import gettext as _

from ops.workbench import workbench
from tests.core.test_admin_walk import _parse
from tests.e2e.helpers import raw_codes
from tests.orders.checkout_support import give_coupon
from tests.orders.promotions.test_results_figures import (
    all_viewer,
    east_viewer,
    marketer,
    promo,
    viewer_only,
)

pytestmark = pytest.mark.django_db

D = Decimal


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _campaign_page(pk) -> str:
    return reverse("admin:orders_campaignresult_change", args=[pk])


def _session_page(pk) -> str:
    return reverse("admin:orders_flashsessionresult_change", args=[pk])


def _download(url: str) -> str:
    return f"{url.removesuffix('change/')}download-review/"


def test_the_live_pages_show_the_figures_and_refresh_while_running(promo, all_viewer):
    client = _client(all_viewer)

    page = client.get(_campaign_page(promo["campaign"].pk)).content.decode()
    assert "¥346.00" in page  # GMV
    assert "¥80.00" in page  # discount cost
    assert "¥110.00" in page  # the campaign's own counter, for a reader of every region
    assert "4.00%" in page  # conversion 4 / 100
    assert '<meta http-equiv="refresh" content="60">' in page

    page = client.get(_session_page(promo["session"].pk)).content.decode()
    assert "RES-S1" in page and "RES-S2" in page
    assert "¥177.00" in page  # S1's GMV
    assert "¥197.00" in page  # the session's GMV
    assert '<meta http-equiv="refresh"' in page


def test_an_ended_promotion_does_not_refresh(promo, all_viewer):
    from orders.models import ApprovalStatus, Campaign

    Campaign.objects.filter(pk=promo["campaign"].pk).update(status=ApprovalStatus.ENDED)
    page = _client(all_viewer).get(_campaign_page(promo["campaign"].pk)).content.decode()
    assert "¥346.00" in page
    assert 'http-equiv="refresh"' not in page


def test_a_regional_reader_sees_their_regions_figures_on_the_pages(promo, east_viewer):
    client = _client(east_viewer)
    page = client.get(_campaign_page(promo["campaign"].pk)).content.decode()
    assert "¥257.00" in page
    assert "¥346.00" not in page and "¥110.00" not in page

    page = client.get(_session_page(promo["session"].pk)).content.decode()
    assert "¥118.00" in page
    assert "¥197.00" not in page and "¥177.00" not in page


def test_every_screen_opens_without_raw_codes(promo, all_viewer):
    client = _client(all_viewer)
    urls = [
        reverse("admin:orders_campaignresult_changelist"),
        reverse("admin:orders_flashsessionresult_changelist"),
        _campaign_page(promo["campaign"].pk),
        _session_page(promo["session"].pk),
    ]
    problems = []
    for url in urls:
        response = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans")
        if response.status_code != 200:
            problems.append(f"{url}: HTTP {response.status_code}")
            continue
        page = _parse(response.content.decode())
        for text in page.cells + page.readonly:
            problems += [f"{url}: raw code {code!r}" for code in raw_codes(text)]
    assert problems == []


def test_the_pages_need_the_view_permission(promo, make_staff):
    stranger = _client(make_staff("results_none", perms=("orders.view_campaign",)))
    assert stranger.get(reverse("admin:orders_campaignresult_changelist")).status_code == 403
    assert stranger.get(_campaign_page(promo["campaign"].pk)).status_code == 403
    assert stranger.get(_download(_campaign_page(promo["campaign"].pk))).status_code == 403


def test_the_report_downloads_with_the_same_numbers_and_is_audited(promo, east_viewer):
    from openpyxl import load_workbook

    from ops.models import AuditEntry

    response = _client(east_viewer).get(_download(_campaign_page(promo["campaign"].pk)))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    values = {str(row[0]): row[1] for row in sheet.iter_rows(values_only=True)}
    assert values[_("Number of orders")] == 3
    assert D(str(values[_("GMV (paid amount)")])) == D("257.00")
    assert D(str(values[_("Discount cost")])) == D("70.00")
    assert D(str(values[_("Budget used (these orders)")])) == D("70.00")
    assert _("Budget used (all orders)") not in values
    assert values[_("Refund rate (refunded ÷ GMV)")] == "19.46%"
    assert values[_("ROI (GMV ÷ cost)")] == "2.86"
    entry = AuditEntry.objects.get(action="promotion_results.export")
    assert entry.actor_id == east_viewer.pk
    assert (entry.object_type, entry.object_id) == ("orders.campaign", str(promo["campaign"].pk))


def test_the_session_report_has_the_sku_sheet(promo, all_viewer):
    from openpyxl import load_workbook

    response = _client(all_viewer).get(_download(_session_page(promo["session"].pk)))
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    summary = {str(row[0]): row[1] for row in book.worksheets[0].iter_rows(values_only=True)}
    assert D(str(summary[_("GMV (paid amount)")])) == D("197.00")
    rows = list(book.worksheets[1].iter_rows(values_only=True))
    by_code = {row[0]: row for row in rows[1:]}
    assert by_code["RES-S1"][3:] == (3, 177, 10, 4, 6)
    assert by_code["RES-S2"][3:] == (1, 20, 5, 1, 4)


def test_the_report_needs_the_export_permission(promo, viewer_only):
    from ops.models import AuditEntry

    client = _client(viewer_only)
    assert client.get(_campaign_page(promo["campaign"].pk)).status_code == 200
    response = client.get(_download(_campaign_page(promo["campaign"].pk)))
    assert response.status_code == 403
    assert not AuditEntry.objects.filter(action="promotion_results.export").exists()


def test_the_workbench_shows_running_promotions_with_live_figures(promo, east_viewer, make_staff):
    board = workbench(actor=east_viewer)
    tiles = {tile["key"]: tile for tile in board["tiles"]}
    tile = tiles["orders.promotions_running"]
    assert tile["count"] == 3 and not tile["error"]  # the campaign and two sessions
    panels = {panel["key"]: panel for panel in board["panels"]}
    panel = panels["orders.promotions_live"]
    assert not panel["error"]
    rows = {row.label: row for row in panel["rows"]}
    campaign_row = next(row for label, row in rows.items() if "满100减10" in label)
    assert "¥257.00" in campaign_row.meta and "3" in campaign_row.meta
    assert campaign_row.link == _campaign_page(promo["campaign"].pk)
    client = _client(east_viewer)
    assert client.get(tile["link"]).status_code == 200
    assert client.get(campaign_row.link).status_code == 200

    stranger = make_staff("results_nothing")
    keys = {item["key"] for item in workbench(actor=stranger)["tiles"]}
    assert "orders.promotions_running" not in keys


def test_nothing_running_shows_zero_and_an_empty_panel(promo, all_viewer):
    from orders.models import ApprovalStatus, Campaign, FlashSession

    Campaign.objects.update(status=ApprovalStatus.ENDED)
    FlashSession.objects.update(status=ApprovalStatus.ENDED)
    board = workbench(actor=all_viewer)
    assert {t["key"]: t for t in board["tiles"]}["orders.promotions_running"]["count"] == 0
    assert {p["key"]: p for p in board["panels"]}["orders.promotions_live"]["rows"] == []
