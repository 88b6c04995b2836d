"""refresh_hot_words: the daily hot-word refresh (prune the query log, update 待审热词, store the public list)."""

import json

from django.core.management.base import BaseCommand

from ...tasks import refresh_shown_hot_words


class Command(BaseCommand):
    help = (
        "刷新热词：清理统计窗口以外的搜索记录，把达到人数门槛的搜索词放入「待审热词」，更新公开的热词列表；"
        "列表有变化时请求重建静态网站。建议每天运行一次（cron：15 3 * * * python manage.py refresh_hot_words）。"
    )

    def handle(self, *args, **options) -> None:
        summary = refresh_shown_hot_words("daily refresh")
        self.stdout.write(json.dumps(summary, ensure_ascii=False))
