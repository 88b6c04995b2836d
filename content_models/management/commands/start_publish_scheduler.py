"""start_publish_scheduler: make sure the minute-by-minute scheduled-publishing check waits in the queue."""

from django.core.management.base import BaseCommand
from django.utils import timezone

from content_models.tasks import SCHEDULE_INTERVAL, ensure_publish_scheduler


class Command(BaseCommand):
    help = (
        "确保定时发布/到期下线检查已排入任务队列（每分钟一次，由 db_worker --backend queue 执行）。可重复运行，"
        "不会重复排队。不用任务队列时，可改用 cron：* * * * * python manage.py publish_scheduled"
    )

    def handle(self, *args, **options) -> None:
        next_run = ensure_publish_scheduler()
        self.stdout.write(self.style.SUCCESS(f"定时发布检查已排队，下次执行：{timezone.localtime(next_run):%Y-%m-%d %H:%M:%S}（之后每 {SCHEDULE_INTERVAL.seconds} 秒一次）。"))
