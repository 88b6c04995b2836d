"""Hot words editors review: pins and blocks become statuses of one HotWord table (beside 待审 and 已批准),
the public list becomes a stored snapshot, and the query log counts distinct visitors per day.

Rows of the old log cannot be told apart by visitor, so they are dropped rather than counted as one
visitor each (which is how a single person could plant a hot word).
"""

from django.db import migrations, models

import search_index.models


def merge_pins_and_blocks(apps, schema_editor):
    HotWord = apps.get_model("search_index", "HotWord")
    blocked = set(apps.get_model("search_index", "HotWordBlock").objects.values_list("word", flat=True))
    pins = list(apps.get_model("search_index", "HotWordPin").objects.order_by("order", "word").values_list("word", "order"))
    HotWord.objects.bulk_create(
        [HotWord(word=word, status="blocked") for word in blocked]
        + [HotWord(word=word, status="pinned", order=order) for word, order in pins if word not in blocked]
    )
    # What was shown first before: the pins that contain no blocked word. The next refresh adds the rest.
    shown = [word for word, _order in pins if not any(b and b in word for b in blocked)][:12]
    apps.get_model("search_index", "ShownHotWords").objects.create(pk=1, words=shown)


def split_pins_and_blocks(apps, schema_editor):
    HotWord = apps.get_model("search_index", "HotWord")
    apps.get_model("search_index", "HotWordPin").objects.bulk_create(
        [apps.get_model("search_index", "HotWordPin")(word=w.word[:30], order=w.order) for w in HotWord.objects.filter(status="pinned")]
    )
    apps.get_model("search_index", "HotWordBlock").objects.bulk_create(
        [apps.get_model("search_index", "HotWordBlock")(word=w.word[:30]) for w in HotWord.objects.filter(status="blocked")]
    )


def forget_log(apps, schema_editor):
    apps.get_model("search_index", "QueryLog").objects.all().delete()


class Migration(migrations.Migration):

    dependencies = [
        ("search_index", "0001_initial"),
    ]

    operations = [
        migrations.CreateModel(
            name="HotWord",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("word", models.CharField(max_length=32, unique=True, verbose_name="热词")),
                ("status", models.CharField(choices=[("pending", "待审"), ("approved", "已批准"), ("pinned", "置顶"), ("blocked", "屏蔽")], db_index=True, default="pending", max_length=10, verbose_name="状态")),
                ("order", models.PositiveSmallIntegerField(default=0, help_text="置顶热词按数字从小到大排列。", verbose_name="排序")),
                ("visitors", models.PositiveIntegerField(default=0, editable=False, help_text="最近一次刷新时，统计窗口内搜索过这个词的不同访客数。", verbose_name="近期搜索人数")),
                ("updated_at", models.DateTimeField(auto_now=True, verbose_name="更新时间")),
            ],
            options={
                "verbose_name": "热词",
                "verbose_name_plural": "热词",
                "ordering": ["order", "word"],
            },
        ),
        migrations.CreateModel(
            name="ShownHotWords",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("words", models.JSONField(default=list, verbose_name="热词")),
                ("updated_at", models.DateTimeField(auto_now=True, verbose_name="更新时间")),
            ],
            options={
                "verbose_name": "当前展示的热词",
                "verbose_name_plural": "当前展示的热词",
            },
        ),
        migrations.RunPython(merge_pins_and_blocks, split_pins_and_blocks),
        migrations.DeleteModel(
            name="HotWordBlock",
        ),
        migrations.DeleteModel(
            name="HotWordPin",
        ),
        migrations.RunPython(forget_log, migrations.RunPython.noop),
        migrations.RemoveIndex(
            model_name="querylog",
            name="search_inde_text_256a59_idx",
        ),
        migrations.RemoveField(
            model_name="querylog",
            name="created_at",
        ),
        migrations.AddField(
            model_name="querylog",
            name="day",
            field=models.DateField(default=None, verbose_name="日期"),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="querylog",
            name="visitor",
            field=models.CharField(default=None, help_text="以 SECRET_KEY 和当天的北京时间日期为密钥，对客户端地址、浏览器标识和搜索词计算的 HMAC，只用来区分同一天搜同一个词的不同访客。密钥每天一换，同一人不同日子、不同词的记录无法相互关联；地址和浏览器标识从不保存。", max_length=32, verbose_name="访客标记"),
            preserve_default=False,
        ),
        migrations.AlterField(
            model_name="querylog",
            name="text",
            field=models.CharField(max_length=32, verbose_name="搜索词"),
        ),
        migrations.AddConstraint(
            model_name="querylog",
            constraint=models.UniqueConstraint(fields=("day", "text", "visitor"), name="search_log_one_row_per_visitor"),
        ),
        # Unapplying: the new log's rows cannot become the old ones either.
        migrations.RunPython(migrations.RunPython.noop, forget_log),
        migrations.CreateModel(
            name="PendingHotWord",
            fields=[],
            options={
                "verbose_name": "待审热词",
                "verbose_name_plural": "待审热词",
                "ordering": ["-visitors", "word"],
                "proxy": True,
                "indexes": [],
                "constraints": [],
            },
            bases=(search_index.models.ListStatusMixin, "search_index.hotword"),
        ),
        migrations.CreateModel(
            name="ApprovedHotWord",
            fields=[],
            options={
                "verbose_name": "已批准热词",
                "verbose_name_plural": "已批准热词",
                "ordering": ["-visitors", "word"],
                "proxy": True,
                "indexes": [],
                "constraints": [],
            },
            bases=(search_index.models.ListStatusMixin, "search_index.hotword"),
        ),
        migrations.CreateModel(
            name="HotWordPin",
            fields=[],
            options={
                "verbose_name": "置顶热词",
                "verbose_name_plural": "置顶热词",
                "proxy": True,
                "indexes": [],
                "constraints": [],
            },
            bases=(search_index.models.ListStatusMixin, "search_index.hotword"),
        ),
        migrations.CreateModel(
            name="HotWordBlock",
            fields=[],
            options={
                "verbose_name": "屏蔽热词",
                "verbose_name_plural": "屏蔽热词",
                "ordering": ["word"],
                "proxy": True,
                "indexes": [],
                "constraints": [],
            },
            bases=(search_index.models.ListStatusMixin, "search_index.hotword"),
        ),
    ]
