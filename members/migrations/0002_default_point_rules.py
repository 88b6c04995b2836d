"""The city's starting point rules (editable in the admin's 积分规则), in force from 2021."""

from datetime import date

from django.db import migrations

DEFAULT_RULES = [
    # kind, points, per_minutes, yearly_cap
    ("study", 1, 10, 1000),
    ("finished", 5, 10, 200),
    ("checkin", 1, 10, 366),
    ("reflection", 5, 10, 100),
    ("quiz", 1, 10, 366),
]


def add_rules(apps, schema_editor):
    PointRule = apps.get_model("members", "PointRule")
    for kind, points, per_minutes, cap in DEFAULT_RULES:
        PointRule.objects.get_or_create(
            kind=kind, valid_from=date(2021, 1, 1),
            defaults={"points": points, "per_minutes": per_minutes, "yearly_cap": cap},
        )


class Migration(migrations.Migration):
    dependencies = [("members", "0001_initial")]
    operations = [migrations.RunPython(add_rules, migrations.RunPython.noop)]
