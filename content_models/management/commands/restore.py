"""restore: check a backup made by `manage.py backup` file by file, then restore it into an empty database,
MEDIA_ROOT and SEARCH_INDEX_DIR (cms/backup.py)."""

import json

from django.core.management.base import BaseCommand, CommandError

from cms.backup import BackupError, RestoreMismatch, check_backup, restore_backup, summary


class Command(BaseCommand):
    help = (
        "从备份恢复：先逐个文件核对 SHA-256（有损坏则拒绝，什么都不改），再恢复到空数据库、媒体文件夹和搜索索引；"
        "数据库非空时拒绝，除非加 --force。"
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("folder", help="a folder `manage.py backup` wrote")
        parser.add_argument("--force", action="store_true", help="replace what a non-empty database and MEDIA_ROOT hold")
        parser.add_argument("--check", action="store_true", help="only check the backup against its manifest")

    def handle(self, *args, folder: str, force: bool, check: bool, **options) -> None:
        try:
            done = summary(check_backup(folder)) if check else restore_backup(folder, force=force)
        except BackupError as error:
            raise CommandError(f"Nothing restored: {error}") from error
        except RestoreMismatch as error:
            raise CommandError(str(error)) from error
        self.stdout.write(json.dumps(done, ensure_ascii=False))
