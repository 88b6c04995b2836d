"""import_members: enrol members from a spreadsheet (姓名, 手机号, 县市区, 社区), for operators."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from members.enrolment import check_sheet, result_sheet, write


class Command(BaseCommand):
    help = "从表格（.xlsx 或 .csv，表头：姓名、手机号、县市区、社区）批量导入党员；新党员的初始密码写入结果表。"

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--out", type=Path, help="结果表（含初始密码）保存到哪里；默认与原表同目录的「…-导入结果.xlsx」。")
        parser.add_argument("--dry-run", action="store_true", help="只检查，不写入。")

    def handle(self, *args, file: Path, out: Path | None, dry_run: bool, **options) -> None:
        if not file.is_file():
            raise CommandError(f"找不到文件 {file}。")
        enrolment = check_sheet(file.read_bytes(), file.name)
        report = enrolment.report
        report.dry_run = dry_run
        for error in report.errors:
            self.stderr.write(str(error))
        if report.errors:
            raise CommandError(f"{report.summary()}请改正后重新导入。")
        if dry_run:
            self.stdout.write(report.summary())
            return
        out = out or file.with_name(f"{file.stem}-导入结果.xlsx")
        with transaction.atomic():  # no file with the passwords, no members: they could not log in
            out.write_bytes(result_sheet(write(enrolment)))
        self.stdout.write(self.style.SUCCESS(f"{report.summary()}结果表（含新党员的初始密码，请妥善保管）：{out}"))
