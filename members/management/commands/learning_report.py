"""learning_report: the year's learning ranking (masked phones, minutes, points) as an .xlsx for the year-end 表彰."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from members.report import district_by_slug, ranking_title, ranking_workbook, year_ranking


class Command(BaseCommand):
    help = "导出年度学习排行（手机号已隐去中间四位），供年终表彰使用。"

    def add_arguments(self, parser) -> None:
        parser.add_argument("--year", type=int, default=timezone.localdate().year, help="年度，默认今年。")
        parser.add_argument("--district", default="", help="只统计一个县市区（网址标识，如 nanguan）；默认全市。")
        parser.add_argument("--out", required=True, help="输出的 Excel 文件（.xlsx）。")

    def handle(self, *args, year: int, district: str, out: str, **options) -> None:
        try:
            chosen = district_by_slug(district) if district else None
        except ValueError as error:
            raise CommandError(str(error)) from error
        path = Path(out)
        if not path.parent.is_dir():
            raise CommandError(f"输出目录「{path.parent}」不存在。")
        rows = year_ranking(year, chosen)
        path.write_bytes(ranking_workbook(year, rows))
        self.stdout.write(self.style.SUCCESS(f"{ranking_title(year, chosen)}：共 {len(rows)} 人，已写入 {path}"))
