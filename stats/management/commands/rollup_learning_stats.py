"""rollup_learning_stats: roll the past days' raw counts up into the dashboard's tables (nightly; safe to repeat)."""

from datetime import date, timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from stats.rollup import days_to_roll_up, roll_up


class Command(BaseCommand):
    help = "汇总学习统计：把过去每天的访问、访客和学习记录汇总到统计表（可重复运行，结果不变）。"

    def add_arguments(self, parser) -> None:
        parser.add_argument("--since", type=date.fromisoformat, help="从这一天（YYYY-MM-DD）起重新汇总。")
        parser.add_argument("--until", type=date.fromisoformat, help="汇总到这一天为止（默认昨天）。")

    def handle(self, *args, since: date | None, until: date | None, **options) -> None:
        yesterday = timezone.localdate() - timedelta(days=1)
        until = until or yesterday
        if since is None:
            days = [day for day in days_to_roll_up() if day <= until]
        elif until > yesterday:
            raise CommandError("只能汇总昨天及以前的日子（今天的数据在统计页上实时计算）。")
        elif since > until:
            raise CommandError("开始日期晚于结束日期。")
        else:
            days = [since + timedelta(days=n) for n in range((until - since).days + 1)]
        for day in days:
            roll_up(day)
        self.stdout.write(f"已汇总 {len(days)} 天。")
