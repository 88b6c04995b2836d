"""backup: the database, the media files and the live search index in one folder with a manifest (cms/backup.py)."""

import json

from django.core.management.base import BaseCommand, CommandError

from cms.backup import BackupError, make_backup


class Command(BaseCommand):
    help = (
        "备份数据库（PostgreSQL 用 pg_dump，SQLite 用在线备份）、媒体文件和当前搜索索引到一个新文件夹，"
        "附清单（版本、大小、SHA-256、各表行数）。"
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("folder", help="a new or empty folder, e.g. /srv/backups/dangshi-2024-07-01")

    def handle(self, *args, folder: str, **options) -> None:
        try:
            done = make_backup(folder)
        except BackupError as error:
            raise CommandError(f"No backup made: {error}") from error
        self.stdout.write(json.dumps(done, ensure_ascii=False))
