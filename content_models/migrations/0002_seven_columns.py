"""Data migration: the seven first-level columns (栏目) with stable slugs."""

from django.db import migrations

COLUMNS = [
    ("时政要闻", "shizheng-yaowen", "党和国家的最新时事与政策解读。"),
    ("领袖思想", "lingxiu-sixiang", "学习领袖的重要论述和思想。"),
    ("辉煌历程", "huihuang-licheng", "中国共产党百年奋斗的光辉历程。"),
    ("强国之路", "qiangguo-zhilu", "新时代建设社会主义现代化强国的道路。"),
    ("四个自信", "sige-zixin", "道路自信、理论自信、制度自信、文化自信。"),
    ("四史学习", "sishi-xuexi", "党史、新中国史、改革开放史、社会主义发展史。"),
    ("中国梦", "zhongguo-meng", "实现中华民族伟大复兴的中国梦。"),
]


def create_columns(apps, schema_editor):
    Column = apps.get_model("content_models", "Column")
    for order, (name, slug, description) in enumerate(COLUMNS, start=1):
        Column.objects.update_or_create(slug=slug, defaults={"name": name, "order": order, "description": description})


def remove_columns(apps, schema_editor):
    apps.get_model("content_models", "Column").objects.filter(slug__in=[c[1] for c in COLUMNS]).delete()


class Migration(migrations.Migration):
    dependencies = [("content_models", "0001_initial")]
    operations = [migrations.RunPython(create_columns, remove_columns)]
