"""``stock_verify``, the hourly jobs and auto off-shelf at zero."""

from __future__ import annotations

import io

import pytest
from django.core.cache import cache
from django.core.management import CommandError, call_command

from dispatch import services, tasks
from dispatch.models import Stock, StockSnapshot
from mall.core.models import JobRun

pytestmark = pytest.mark.django_db


def test_stock_verify_passes_on_a_clean_ledger_and_names_a_tampered_row(
    actor, warehouses, make_sku, put_stock
):
    sku = make_sku()
    put_stock(warehouses["WH-SH"], sku, 5)
    services.allocate(actor=actor, order_no="V1", province="上海", lines=[(sku.code, 2)])
    out = io.StringIO()
    call_command("stock_verify", stdout=out)
    assert out.getvalue().startswith("ok:")

    Stock.objects.filter(warehouse=warehouses["WH-SH"], sku=sku).update(on_hand=6)
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("stock_verify", stdout=io.StringIO(), stderr=err)
    assert f"WH-SH {sku.code} on_hand: stock 6, ledger 5" in err.getvalue()


def test_the_schedule_names_real_tasks_every_hour():
    for entry in tasks.SCHEDULE.values():
        module, name = entry["task"].rsplit(".", 1)
        assert module == "dispatch.tasks" and hasattr(tasks, name)
        assert entry["cron"].split()[1:] == ["*", "*", "*", "*"]


def test_the_reconciliation_job_runs_and_records_its_run(actor, warehouses, make_sku, put_stock):
    sku = make_sku()
    put_stock(warehouses["WH-SH"], sku, 5)
    services.stock_snapshot_submit(
        actor=actor, warehouse=warehouses["WH-SH"], lines=[(sku.code, 4)]
    )

    result = tasks.stock_snapshots_reconcile_task.apply().get()

    assert result == {"reconciled": 1, "needs_review": 0}
    assert StockSnapshot.objects.get().status == "reconciled"
    assert JobRun.objects.filter(
        name="dispatch.stock_snapshots_reconcile", status="succeeded"
    ).exists()
    assert tasks.low_stock_alerts_send_task.apply().get()["low_skus"] == 0
    assert tasks.shipments_flag_stale_task.apply().get() == {"flagged": 0}


def test_auto_off_shelf_takes_a_sold_out_product_off_shelf_only_when_switched_on(
    actor, warehouses, make_sku, put_stock
):
    from catalog.models import Product
    from ops.models import SystemParameter

    sku = make_sku()
    Product.objects.filter(pk=sku.product_id).update(status=Product.Status.ON_SHELF)
    put_stock(warehouses["WH-SH"], sku, 1)
    services.allocate(actor=actor, order_no="Z1", province="上海", lines=[(sku.code, 1)])

    assert services.low_stock_alerts_send(actor=actor)["off_shelf"] == []
    SystemParameter.objects.update_or_create(
        key="dispatch.auto_off_shelf_at_zero", defaults={"value": True}
    )
    cache.clear()
    result = services.low_stock_alerts_send(actor=actor)

    assert result["off_shelf"] == [sku.product_id]
    assert Product.objects.get(pk=sku.product_id).status == Product.Status.OFF_SHELF


def test_a_bad_snapshot_file_is_a_400(clerk, staff_client, warehouses, make_sku):
    from django.core.files.uploadedfile import SimpleUploadedFile

    make_sku()
    for content in (b"\xff\xfe\x00bad", b"sku,on_hand\nX-1,many\n", b"only-one-column\n"):
        response = staff_client(clerk).post(
            "/api/v1/dispatch/stock-snapshots/",
            {"warehouse": warehouses["WH-SH"].pk, "file": SimpleUploadedFile("f.csv", content)},
            format="multipart",
        )
        assert response.status_code == 400, content
        assert "file" in response.json()["error"]["fields"]
