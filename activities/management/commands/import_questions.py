"""import_questions: load question banks from a spreadsheet (题库, 题型, 题目, 选项…, 答案, 解析, 出处编号), for operators."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from activities.question_admin import check_sheet, write


class Command(BaseCommand):
    help = "从表格（.xlsx 或 .csv）导入题目；表格中有一行出错就不导入任何内容。没有的题库新建为全市题库。"

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--dry-run", action="store_true", help="只检查，不写入。")

    def handle(self, *args, file: Path, dry_run: bool, **options) -> None:
        if not file.is_file():
            raise CommandError(f"找不到文件 {file}。")
        plan = check_sheet(file.read_bytes(), file.name)
        report = plan.report
        report.dry_run = dry_run
        for error in report.errors:
            self.stderr.write(str(error))
        if report.errors:
            raise CommandError(f"{report.summary()}请改正后重新导入。")
        if not dry_run:
            write(plan)
        self.stdout.write(self.style.SUCCESS(report.summary()))
