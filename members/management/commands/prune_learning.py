"""Daily housekeeping of the learning records: forget study beat ids older than BEAT_RECEIPT_DAYS."""

from django.core.management.base import BaseCommand

from members.learning import prune_receipts


class Command(BaseCommand):
    help = "删除超过保留天数的学习心跳编号（防重放用）。"

    def handle(self, *args, **options) -> None:
        removed = prune_receipts()
        if options["verbosity"]:
            self.stdout.write(f"已删除 {removed} 条过期的学习心跳编号。")
