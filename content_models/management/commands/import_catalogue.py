"""import_catalogue: import an .xlsx/.csv catalogue sheet of one type; all rows or none (unless --valid-only)."""

import json
import sys
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from content_models.importing.formats import FORMATS
from content_models.importing.importer import run_import
from content_models.pages import SectionPage


def resolve_user(username: str | None):
    """The named user, or the first superuser: every revision and log entry needs someone to name."""
    User = get_user_model()
    if username:
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"用户 {username} 不存在。")
        return user
    user = User.objects.filter(is_superuser=True, is_active=True).order_by("pk").first()
    if user is None:
        raise CommandError("没有超级管理员账号；请用 --user 指定导入人（python manage.py createsuperuser 可创建）。")
    return user


def resolve_section(slug: str | None) -> SectionPage | None:
    if not slug or slug in ("city", "全市"):
        return None
    section = SectionPage.objects.filter(district__slug=slug).first() or SectionPage.objects.filter(district__name=slug).first()
    if section is None:
        raise CommandError(f"没有网址标识为 {slug} 的县市区分区；可用：city、" + "、".join(
            SectionPage.objects.filter(district__isnull=False).values_list("district__slug", flat=True)))
    return section


class Command(BaseCommand):
    help = "从 Excel（.xlsx）或 CSV 导入资源目录。列名见 docs/import-format.md；同一文件有任何错误行则不导入（除非 --valid-only）。"

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", help=".xlsx 或 .csv（UTF-8 或 GBK）文件")
        parser.add_argument("--type", required=True, choices=sorted(FORMATS), dest="type_key")
        parser.add_argument("--dry-run", action="store_true", help="只检查，不写入。")
        parser.add_argument("--valid-only", action="store_true", help="跳过有错误的行，只导入有效行。")
        parser.add_argument("--media", help="ZIP 压缩包，内含表格中“封面文件”“文件”等列所写的文件。")
        parser.add_argument("--section", help="新条目放入的分区：县市区网址标识（如 nanguan）或 city（默认）。")
        parser.add_argument("--user", help="以该用户名义导入（记入修订和操作记录）；默认第一个超级管理员。")
        parser.add_argument("--json", action="store_true", dest="as_json", help="以 JSON 输出结果。")

    def handle(self, *args, file: str, type_key: str, dry_run: bool, valid_only: bool, media: str | None,
               section: str | None, user: str | None, as_json: bool, **options) -> None:
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"找不到文件 {file}。")
        media_bytes = Path(media).read_bytes() if media else None
        show = sys.stderr.isatty() and options["verbosity"] > 0 and not as_json
        bars = []

        def progress(label: str, total: int):
            bar = tqdm(total=total, desc=label, unit="行", disable=not show)
            bars.append(bar)
            return bar.update

        report = run_import(
            type_key, path.read_bytes(), path.name, resolve_user(user), section=resolve_section(section),
            media=media_bytes, dry_run=dry_run, valid_only=valid_only, progress=progress,
        )
        for bar in bars:
            bar.close()
        if as_json:
            self.stdout.write(json.dumps(report.as_dict(), ensure_ascii=False))
        else:
            for error in report.errors:
                self.stderr.write(str(error))
            style = self.style.SUCCESS if report.written or (dry_run and not report.errors) else self.style.WARNING
            self.stdout.write(style(("（试运行）" if dry_run else "") + report.summary()))
        if report.errors and not report.written and not dry_run:
            raise CommandError("导入未执行：请改正以上错误后重试，或加 --valid-only 只导入有效行。")
