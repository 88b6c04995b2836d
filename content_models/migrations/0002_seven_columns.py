"""Data migration: the seven first-level columns (栏目) with stable slugs."""

from django.db import migrations

from content_models.column_list import SEVEN_COLUMNS, ensure_columns


def create_columns(apps, schema_editor):
    ensure_columns(apps.get_model("content_models", "Column"))


def remove_columns(apps, schema_editor):
    apps.get_model("content_models", "Column").objects.filter(slug__in=[c[1] for c in SEVEN_COLUMNS]).delete()


class Migration(migrations.Migration):
    dependencies = [("content_models", "0001_initial")]
    operations = [migrations.RunPython(create_columns, remove_columns)]
