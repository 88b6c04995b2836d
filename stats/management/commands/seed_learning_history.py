"""seed_learning_history: a synthetic year (or a few recent weeks) of statistics at given totals, for demos and benches."""

from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from content_models.pages import LibraryItemPage
from content_models.visibility import public_pages
from stats.history import seed_history, year_days
from stats.models import DayTotal
from stats.rollup import roll_up

SEED_TOTALS = {"visits": 3056130, "visitors": 62745, "minutes": 8654850}  # the seed document's figures for a year


class Command(BaseCommand):
    help = "生成演示用的学习统计历史（按给定总数分配到每天；已有数据的日子不覆盖，可重复运行）。"

    def add_arguments(self, parser) -> None:
        parser.add_argument("--year", type=int, help="生成这一年（今天以前）的数据；不给则生成最近 --days 天。")
        parser.add_argument("--days", type=int, default=28)
        parser.add_argument("--visits", type=int, default=SEED_TOTALS["visits"])
        parser.add_argument("--visitors", type=int, default=SEED_TOTALS["visitors"])
        parser.add_argument("--minutes", type=int, default=SEED_TOTALS["minutes"])
        parser.add_argument("--items-per-day", type=int, default=40)

    def handle(self, *args, year, days, visits, visitors, minutes, items_per_day, **options) -> None:
        today = timezone.localdate()
        if year is not None:
            wanted = year_days(year, today)
        else:
            wanted = [today - timedelta(days=n) for n in range(days, 0, -1)]
        if not wanted:
            raise CommandError("这段时间里没有今天以前的日子。")
        item_ids = list(public_pages(LibraryItemPage.objects.all()).values_list("pk", flat=True))
        if not item_ids:
            raise CommandError("还没有公开的资源，请先运行 seed_demo。")
        written = seed_history(wanted, visits=visits, visitors=visitors, minutes=minutes, item_ids=item_ids,
                               items_per_day=items_per_day)
        # Days left out because they have real rows are rolled up from those rows instead.
        rolled = set(DayTotal.objects.filter(day__in=wanted).values_list("day", flat=True))
        real = [day for day in wanted if day not in rolled]
        for day in real:
            roll_up(day)
        self.stdout.write(f"学习统计历史：合成 {written} 天，按实际记录汇总 {len(real)} 天。")
