"""Stock movements changelist: searches use indexes (document-number prefix, exact SKU
code), never a ``LIKE '%…%'`` scan, and the count stays within the reader's scope."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dispatch.models import StockMovement

pytestmark = pytest.mark.django_db

IS_POSTGRES = connection.vendor == "postgresql"


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def movements(warehouses, make_sku, put_stock):
    sku = make_sku("PAN-RED-01")
    put_stock(warehouses["WH-SH"], sku, 5)
    put_stock(warehouses["WH-BJ"], sku, 5)
    other = make_sku("LID-BLUE-02")
    put_stock(warehouses["WH-SH"], other, 1)
    return sku, other


def _search(user, term: str):
    url = reverse("admin:dispatch_stockmovement_changelist")
    with CaptureQueriesContext(connection) as queries:
        response = _client(user).get(url, {"q": term})
    assert response.status_code == 200
    movement_sql = [q["sql"] for q in queries if "dispatch_stockmovement" in q["sql"]]
    return response.context["cl"], movement_sql


def test_a_document_number_prefix_finds_its_movements_without_a_substring_scan(
    superuser, movements
):
    sku, _other = movements
    movement = StockMovement.objects.filter(stock__sku=sku).order_by("id").first()
    number = movement.reference_no
    cl, sql = _search(superuser, number[:-1].lower())
    found = {row.pk for row in cl.result_list}
    assert movement.pk in found
    assert all(row.reference_no.upper().startswith(number[:-1].upper()) for row in cl.result_list)
    assert sql and not any("'%" in statement for statement in sql)  # no LIKE '%…'


def test_a_fragment_from_the_middle_of_a_document_number_is_not_a_match(superuser, movements):
    movement = StockMovement.objects.order_by("id").first()
    middle = movement.reference_no[2:-2]
    cl, _sql = _search(superuser, middle)
    assert movement.pk not in {row.pk for row in cl.result_list}


def test_movements_are_found_by_the_exact_sku_code_in_any_case(superuser, movements):
    sku, _other = movements
    cl, sql = _search(superuser, "pan-red-01")
    assert {row.stock.sku_id for row in cl.result_list} == {sku.pk}
    assert cl.result_count == StockMovement.objects.filter(stock__sku=sku).count()
    # The SKU is resolved on the SKU table first: the movement query does not search
    # the joined SKU column (the join that remains is the list's select_related).
    movement_queries = [s for s in sql if "dispatch_stockmovement" in s]
    assert movement_queries
    assert not any('UPPER("catalog_sku"."code")' in s for s in movement_queries)
    cl, _sql = _search(superuser, "PAN-RED")
    assert not cl.result_list  # a code is matched whole


def test_a_clerks_search_counts_only_movements_of_their_warehouse(clerk, movements, warehouses):
    sku, _other = movements
    cl, _sql = _search(clerk, sku.code)
    rows = list(cl.result_list)
    assert rows
    assert {row.stock.warehouse_id for row in rows} == {warehouses["WH-SH"].pk}
    in_scope = StockMovement.objects.filter(stock__sku=sku, stock__warehouse=warehouses["WH-SH"])
    assert cl.result_count == in_scope.count()


@pytest.mark.skipif(not IS_POSTGRES, reason="needs PostgreSQL: its planner and index")
def test_the_prefix_search_is_served_by_the_search_index(superuser, movements):
    queryset = StockMovement.objects.filter(reference_no__istartswith="pi").order_by()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        plan = queryset.explain()
    assert "dispatch_movement_ref_search" in plan
