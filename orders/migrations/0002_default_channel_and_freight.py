"""Every order belongs to a channel: the own store exists from the start; so does a
default freight template (editable in the admin)."""

from decimal import Decimal

from django.db import migrations


def create(apps, schema_editor):
    SalesChannel = apps.get_model("orders", "SalesChannel")
    FreightTemplate = apps.get_model("orders", "FreightTemplate")
    SalesChannel.objects.get_or_create(
        code="own_store", defaults={"name": "自营商城", "kind": "own_store"}
    )
    FreightTemplate.objects.get_or_create(
        name="默认运费模板",
        defaults={
            "is_default": True,
            "first_weight_grams": 1000,
            "first_fee_amount": Decimal("10.00"),
            "extra_weight_grams": 1000,
            "extra_fee_amount": Decimal("5.00"),
        },
    )


class Migration(migrations.Migration):
    dependencies = [("orders", "0001_initial")]

    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
