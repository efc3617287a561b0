"""Load the seven sales regions and all 34 provincial-level divisions."""

from django.db import migrations

REGIONS = [
    ("east", "华东", 1),
    ("north", "华北", 2),
    ("south", "华南", 3),
    ("central", "华中", 4),
    ("southwest", "西南", 5),
    ("northwest", "西北", 6),
    ("northeast", "东北", 7),
]

# (GB/T 2260 code, short name, full name, region)
PROVINCES = [
    ("11", "北京", "北京市", "north"),
    ("12", "天津", "天津市", "north"),
    ("13", "河北", "河北省", "north"),
    ("14", "山西", "山西省", "north"),
    ("15", "内蒙古", "内蒙古自治区", "north"),
    ("21", "辽宁", "辽宁省", "northeast"),
    ("22", "吉林", "吉林省", "northeast"),
    ("23", "黑龙江", "黑龙江省", "northeast"),
    ("31", "上海", "上海市", "east"),
    ("32", "江苏", "江苏省", "east"),
    ("33", "浙江", "浙江省", "east"),
    ("34", "安徽", "安徽省", "east"),
    ("35", "福建", "福建省", "east"),
    ("36", "江西", "江西省", "east"),
    ("37", "山东", "山东省", "east"),
    ("41", "河南", "河南省", "central"),
    ("42", "湖北", "湖北省", "central"),
    ("43", "湖南", "湖南省", "central"),
    ("44", "广东", "广东省", "south"),
    ("45", "广西", "广西壮族自治区", "south"),
    ("46", "海南", "海南省", "south"),
    ("50", "重庆", "重庆市", "southwest"),
    ("51", "四川", "四川省", "southwest"),
    ("52", "贵州", "贵州省", "southwest"),
    ("53", "云南", "云南省", "southwest"),
    ("54", "西藏", "西藏自治区", "southwest"),
    ("61", "陕西", "陕西省", "northwest"),
    ("62", "甘肃", "甘肃省", "northwest"),
    ("63", "青海", "青海省", "northwest"),
    ("64", "宁夏", "宁夏回族自治区", "northwest"),
    ("65", "新疆", "新疆维吾尔自治区", "northwest"),
    ("71", "台湾", "台湾省", "east"),
    ("81", "香港", "香港特别行政区", "south"),
    ("82", "澳门", "澳门特别行政区", "south"),
]


def load(apps, schema_editor):
    SalesRegion = apps.get_model("rbac", "SalesRegion")
    Province = apps.get_model("rbac", "Province")
    regions = {}
    for code, name, order in REGIONS:
        regions[code], _ = SalesRegion.objects.get_or_create(
            code=code, defaults={"name": name, "sort_order": order}
        )
    for code, name, full_name, region in PROVINCES:
        Province.objects.get_or_create(
            code=code, defaults={"name": name, "full_name": full_name, "region": regions[region]}
        )


class Migration(migrations.Migration):
    dependencies = [("rbac", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
