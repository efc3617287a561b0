"""The seven member levels (VIP1–VIP7) with default benefits; ops edit them in the admin."""

from decimal import Decimal

from django.db import migrations

LEVELS = [
    (1, "VIP1", "普通会员", Decimal("1.000"), False, 0),
    (2, "VIP2", "铜牌会员", Decimal("0.990"), False, 50),
    (3, "VIP3", "银牌会员", Decimal("0.980"), False, 100),
    (4, "VIP4", "金牌会员", Decimal("0.970"), True, 200),
    (5, "VIP5", "铂金会员", Decimal("0.950"), True, 300),
    (6, "VIP6", "钻石会员", Decimal("0.930"), True, 500),
    (7, "VIP7", "至尊会员", Decimal("0.900"), True, 1000),
]


def create_levels(apps, schema_editor):
    Level = apps.get_model("members", "Level")
    for rank, code, name, rate, free_shipping, points in LEVELS:
        Level.objects.update_or_create(
            rank=rank,
            defaults={
                "code": code,
                "name": name,
                "discount_rate": rate,
                "free_shipping": free_shipping,
                "birthday_points": points,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("members", "0001_initial")]

    operations = [migrations.RunPython(create_levels, migrations.RunPython.noop)]
