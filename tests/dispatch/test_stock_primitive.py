"""One stock primitive: a stock change and its ledger movement are written together.

``dispatch.services.ledger.stock_move`` is the only writer of the stock figures
(``on_hand``, ``reserved``, ``in_transit``) and of ``StockMovement`` rows; the scan
below reads the code of every app and fails on any other writer.
"""

from __future__ import annotations

import ast
import contextlib
from pathlib import Path

import pytest
from django.conf import settings
from django.db import transaction
from django.db.transaction import TransactionManagementError

from dispatch.exceptions import InsufficientStock, InvalidDispatchInput
from dispatch.models import Stock, StockMovement
from dispatch.selectors import stock_ledger_mismatches
from dispatch.services import StockChange, stock_move
from mall.core.actors import system_actor

ROOT = Path(settings.BASE_DIR)
APP_DIRS = ["mall", "ops", "rbac", "catalog", "dispatch", "members", "orders", "payments", "risk"]
PRIMITIVE = ROOT / "dispatch" / "services" / "ledger.py"
FIGURES = {"on_hand", "reserved", "in_transit"}
Kind = StockMovement.Kind


def _writes_outside_the_primitive(path: Path, root: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []

    def report(node: ast.AST, what: str) -> None:
        found.append(f"{path.relative_to(root)}:{node.lineno}: {what}")

    for node in ast.walk(tree):
        if isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                for sub in ast.walk(target):
                    if isinstance(sub, ast.Attribute) and sub.attr in FIGURES:
                        report(node, f"assigns .{sub.attr}")
        elif isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            keywords = {kw.arg for kw in node.keywords if kw.arg}
            if name == "StockMovement":
                report(node, "builds a StockMovement")
            elif name in {"create", "get_or_create", "update_or_create", "bulk_create"} and (
                "StockMovement" in ast.unparse(func)
            ):
                report(node, f"StockMovement.{name}()")
            elif name in {"update", "create", "update_or_create", "Stock"} and keywords & FIGURES:
                report(node, f"{name}({', '.join(sorted(keywords & FIGURES))}=…)")
            elif name == "bulk_update" and FIGURES & {
                element.value
                for arg in [*node.args[1:], *(kw.value for kw in node.keywords)]
                for element in ast.walk(arg)
                if isinstance(element, ast.Constant) and isinstance(element.value, str)
            }:
                report(node, "bulk_update() of a stock figure")
    return found


def _project_modules() -> list[Path]:
    files = []
    for name in APP_DIRS:
        base = ROOT / name
        if base.exists():
            files.extend(
                path
                for path in base.rglob("*.py")
                if "migrations" not in path.parts and path != PRIMITIVE
            )
    return sorted(files)


def test_no_module_but_the_primitive_changes_stock_figures_or_writes_movements():
    violations = [
        v for path in _project_modules() for v in _writes_outside_the_primitive(path, ROOT)
    ]
    assert violations == [], "stock written outside stock_move():\n" + "\n".join(violations)


def test_the_scan_catches_each_way_of_writing_stock_behind_the_ledger(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text(
        "def f(stock, qs, rows):\n"
        "    stock.on_hand = 3\n"
        "    stock.reserved += 1\n"
        "    qs.update(in_transit=F('in_transit') + 1)\n"
        "    StockMovement(stock=stock, kind='x')\n"
        "    StockMovement.objects.bulk_create(rows)\n"
        "    Stock.objects.create(warehouse=w, sku=s, on_hand=5)\n"
        "    Stock.objects.bulk_update(rows, ['on_hand'])\n"
        "    Stock(warehouse=w, sku=s)\n"
        "    qs.update(safety_stock=2)\n"
    )
    found = _writes_outside_the_primitive(sample, tmp_path)
    assert [line.split(":")[1] for line in found] == ["2", "3", "4", "5", "6", "7", "8"]


@pytest.mark.django_db
def test_a_booking_writes_one_movement_per_change_and_the_figures_follow(
    warehouses, make_sku, put_stock
):
    sku = make_sku()
    put_stock(warehouses["WH-SH"], sku, 10)
    stock = Stock.objects.get(warehouse=warehouses["WH-SH"], sku=sku)

    movements = stock_move(
        actor=system_actor(),
        changes=[
            StockChange(stock.pk, Kind.ORDER_LOCK, reserved=4),
            StockChange(stock.pk, Kind.PURCHASE_IN_TRANSIT, in_transit=7),
        ],
        reference_type="test",
        reference_no="T-1",
    )

    stock.refresh_from_db()
    assert (stock.on_hand, stock.reserved, stock.in_transit) == (10, 4, 7)
    assert len(movements) == 2
    assert set(
        StockMovement.objects.filter(reference_no="T-1").values_list(
            "kind", "reserved_delta", "in_transit_delta"
        )
    ) == {(Kind.ORDER_LOCK, 4, 0), (Kind.PURCHASE_IN_TRANSIT, 0, 7)}
    assert stock_ledger_mismatches(actor=system_actor()) == []


@pytest.mark.django_db
def test_a_refused_change_leaves_neither_a_figure_nor_a_movement_of_the_booking(
    warehouses, make_sku, put_stock
):
    sku, other = make_sku(), make_sku()
    put_stock(warehouses["WH-SH"], sku, 2)
    put_stock(warehouses["WH-SH"], other, 5)
    first = Stock.objects.get(warehouse=warehouses["WH-SH"], sku=sku)
    second = Stock.objects.get(warehouse=warehouses["WH-SH"], sku=other)
    movements_before = StockMovement.objects.count()

    with pytest.raises(InsufficientStock), transaction.atomic():
        stock_move(
            actor=system_actor(),
            changes=[
                StockChange(second.pk, Kind.RETURN_IN, on_hand=1),
                StockChange(first.pk, Kind.ORDER_LOCK, reserved=3),  # only 2 on hand
            ],
            reference_type="test",
            reference_no="T-2",
        )

    assert StockMovement.objects.count() == movements_before
    assert Stock.objects.get(pk=first.pk).reserved == 0
    assert Stock.objects.get(pk=second.pk).on_hand == 5


@pytest.mark.django_db
def test_a_caller_that_swallows_a_refusal_cannot_keep_the_half_it_wrote(
    warehouses, make_sku, put_stock
):
    sku = make_sku()
    put_stock(warehouses["WH-SH"], sku, 1)
    stock = Stock.objects.get(warehouse=warehouses["WH-SH"], sku=sku)

    with transaction.atomic():
        with contextlib.suppress(InsufficientStock):
            stock_move(
                actor=system_actor(),
                changes=[StockChange(stock.pk, Kind.SHIP_OUT, on_hand=-2)],
                reference_type="test",
                reference_no="T-3",
            )
        with pytest.raises(TransactionManagementError):
            StockMovement.objects.filter(reference_no="T-3").exists()
        transaction.set_rollback(True)

    assert not StockMovement.objects.filter(reference_no="T-3").exists()
    assert Stock.objects.get(pk=stock.pk).on_hand == 1


@pytest.mark.django_db
def test_a_reservation_that_honours_safety_stock_cannot_dip_into_it(
    actor, warehouses, make_sku, put_stock
):
    from dispatch import services

    sku = make_sku()
    put_stock(warehouses["WH-SH"], sku, 5)
    stock = Stock.objects.get(warehouse=warehouses["WH-SH"], sku=sku)
    services.stock_safety_set(actor=actor, stock=stock, safety_stock=3)

    with pytest.raises(InsufficientStock), transaction.atomic():
        stock_move(
            actor=actor,
            changes=[StockChange(stock.pk, Kind.ORDER_LOCK, reserved=3, respect_safety_stock=True)],
            reference_type="test",
            reference_no="T-4",
        )
    stock_move(
        actor=actor,
        changes=[StockChange(stock.pk, Kind.ORDER_LOCK, reserved=2, respect_safety_stock=True)],
        reference_type="test",
        reference_no="T-5",
    )
    assert Stock.objects.get(pk=stock.pk).reserved == 2


@pytest.mark.django_db
def test_a_movement_note_longer_than_the_ledger_column_is_refused_not_cut(
    warehouses, make_sku, put_stock
):
    sku = make_sku()
    put_stock(warehouses["WH-SH"], sku, 1)
    stock = Stock.objects.get(warehouse=warehouses["WH-SH"], sku=sku)

    with pytest.raises(InvalidDispatchInput) as refused, transaction.atomic():
        stock_move(
            actor=system_actor(),
            changes=[StockChange(stock.pk, Kind.RETURN_IN, on_hand=1, note="长" * 201)],
            reference_type="test",
            reference_no="T-6",
        )
    assert "note" in refused.value.fields
    assert not StockMovement.objects.filter(reference_no="T-6").exists()
