"""The catalog's workbench tiles and chart: scoped counts, shown by permission."""

from __future__ import annotations

import pytest

from catalog import services
from ops.workbench import workbench

pytestmark = pytest.mark.django_db


def _items(actor) -> dict:
    board = workbench(actor=actor)
    return {item["key"]: item for kind in board.values() for item in kind}


def test_reviews_waiting_count_only_what_the_reader_may_decide(
    make_product, author, reviewer, staff_with_role
):
    from catalog import permissions as perms

    theirs = make_product(author)
    own = make_product(reviewer)
    services.product_submit(actor=author, product=theirs)
    services.product_submit(actor=reviewer, product=own)  # the reviewer may not decide it

    items = _items(reviewer)
    tile = items["catalog.reviews_waiting"]
    assert tile["count"] == 1 and not tile["error"]
    assert tile["link"].endswith("?status__exact=pending_review")
    assert "catalog.reviews_waiting" not in _items(author)  # no review permission

    # a reviewer whose scope is their own products sees none of the author's
    narrow = staff_with_role("narrow", perms=perms.OPS_LEAD_PERMISSIONS, scope="self")
    assert _items(narrow)["catalog.reviews_waiting"]["count"] == 0


def test_rejected_to_fix_and_the_status_chart(make_product, author, reviewer):
    import json

    product = make_product(author)
    make_product(author)
    services.product_submit(actor=author, product=product)
    services.product_reject(actor=reviewer, product=product, reason="缺图")

    items = _items(author)
    tile = items["catalog.rejected_to_fix"]
    assert tile["count"] == 1 and f"owner={author.pk}" in tile["link"]
    assert items["catalog.rejected_to_fix"]["title"] == "被驳回待修改"

    chart = json.loads(items["catalog.products_by_status"]["data"])
    counts = dict(zip(chart["labels"], chart["datasets"][0]["data"], strict=True))
    assert counts["草稿"] == 1 and counts["已驳回"] == 1 and counts["已上架"] == 0


def test_the_review_list_names_what_waits_for_the_reader_oldest_first(
    make_product, author, reviewer
):
    first, second = make_product(author), make_product(author)
    own = make_product(reviewer)
    services.product_submit(actor=author, product=first)
    services.product_submit(actor=author, product=second)
    services.product_submit(actor=reviewer, product=own)

    panel = _items(reviewer)["catalog.reviews_waiting_list"]

    assert not panel["error"]
    assert [row.label for row in panel["rows"]] == [first.title, second.title]
    assert panel["rows"][0].link.endswith(f"/admin/catalog/product/{first.pk}/change/")
    assert "catalog.reviews_waiting_list" not in _items(author)  # no review permission
