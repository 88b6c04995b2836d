"""export_catalogue: write one type of the catalogue to .xlsx or .csv in the import format."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from content_models.importing.exporter import export_catalogue
from content_models.importing.formats import FORMATS


class Command(BaseCommand):
    help = "导出资源目录为 Excel（.xlsx）或 CSV，格式与导入相同，可修改后再导入。"

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", help="输出文件，扩展名 .xlsx 或 .csv 决定格式")
        parser.add_argument("--type", required=True, choices=sorted(FORMATS), dest="type_key")

    def handle(self, *args, file: str, type_key: str, **options) -> None:
        path = Path(file)
        file_format = path.suffix.lower().lstrip(".")
        if file_format not in ("xlsx", "csv"):
            raise CommandError("输出文件的扩展名应为 .xlsx 或 .csv。")
        path.write_bytes(export_catalogue(type_key, file_format))
        self.stdout.write(self.style.SUCCESS(f"已导出{FORMATS[type_key].label}到 {path}。"))
