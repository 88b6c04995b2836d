"""Enrolling members from a spreadsheet (姓名, 手机号, 县市区, 社区): check every row, then write all or nothing.

The catalogue import's reader opens the file (caps, encodings, zip bombs) and its report carries the row errors.
A number already enrolled is updated (name, district, community), never duplicated; a new member gets a random
initial password, which exists only in the result sheet handed back once (only its hash is stored).
A community named in the sheet that the district does not have yet is created.
"""

from __future__ import annotations

import io
import secrets
from dataclasses import dataclass

from django.db import transaction
from django.db.models import QuerySet
from openpyxl import Workbook

from content_models.importing.formats import header_key, neutralise, text_of
from content_models.importing.reading import SheetError, open_sheet
from content_models.importing.report import ImportReport, RowError
from content_models.taxonomy import District

from .models import Community, Member, normalise_phone

COLUMNS = {"姓名": "name", "手机号": "phone", "县市区": "district", "社区": "community"}
RESULT_HEADERS = ["行号", "姓名", "手机号", "县市区", "社区", "结果", "初始密码"]
# Letters and digits a member can tell apart and type on a phone's keyboard without switching case.
PASSWORD_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
PASSWORD_LENGTH = 8


def initial_password() -> str:
    return "".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(PASSWORD_LENGTH))


@dataclass
class EnrolmentRow:
    row: int
    name: str
    phone: str
    district: District
    community_name: str
    member: Member | None  # the member already enrolled with this number


@dataclass
class Enrolment:
    report: ImportReport
    rows: list[EnrolmentRow]

    @property
    def new_members(self) -> int:
        return sum(1 for row in self.rows if row.member is None)


def find_district(text: str) -> District | None:
    return District.objects.filter(name=text).first() or District.objects.filter(slug=text.lower()).first()


def check_sheet(data: bytes, filename: str, districts: QuerySet[District] | None = None) -> Enrolment:
    """Read and check a sheet; `districts` (None: all) are the districts the person importing may enrol into."""
    report, rows = ImportReport(type_label="党员名单"), []
    try:
        sheet = open_sheet(data, filename)
    except SheetError as error:
        report.errors.append(RowError(0, "", str(error)))
        return Enrolment(report, rows)
    try:
        by_key = {header_key(h): h for h in sheet.headers if h}
        missing = [title for title in COLUMNS if header_key(title) not in by_key]
        for title in missing:
            report.errors.append(RowError(0, title, "表头缺少这一列（需要：姓名、手机号、县市区、社区）。"))
        if missing:
            return Enrolment(report, rows)
        allowed = None if districts is None else set(districts.values_list("pk", flat=True))
        seen: dict[str, int] = {}
        for number, values in sheet.rows():
            report.total += 1
            cells = {field: text_of(values.get(by_key[header_key(title)])) for title, field in COLUMNS.items()}
            row = check_row(number, cells, allowed, seen, report)
            if row:
                rows.append(row)
    except SheetError as error:
        report.errors.append(RowError(0, "", str(error)))
    finally:
        sheet.close()
    return Enrolment(report, rows)


def check_row(number: int, cells: dict[str, str], allowed: set[int] | None, seen: dict[str, int],
              report: ImportReport) -> EnrolmentRow | None:
    errors = len(report.errors)

    def error(column: str, message: str) -> None:
        report.errors.append(RowError(number, column, message))

    name = cells["name"]
    if not name:
        error("姓名", "必须填写。")
    elif len(name) > 30:
        error("姓名", "不能超过 30 个字。")
    phone = ""
    try:
        phone = normalise_phone(cells["phone"])
    except ValueError as problem:
        error("手机号", str(problem))
    if phone in seen:
        error("手机号", f"与第 {seen[phone]} 行的手机号重复。")
    elif phone:
        seen[phone] = number
    district = find_district(cells["district"]) if cells["district"] else None
    if district is None:
        error("县市区", f"没有叫「{cells['district']}」的县市区。" if cells["district"] else "必须填写，如 南关区。")
    elif allowed is not None and district.pk not in allowed:
        error("县市区", f"您只能导入本县市区的党员，不能导入到{district.name}。")
    if len(cells["community"]) > 60:
        error("社区", "不能超过 60 个字。")
    member = Member.objects.filter(phone=phone).first() if phone else None
    if member and allowed is not None and member.district_id not in allowed:
        error("手机号", "这个手机号已登记在其他县市区，请联系市级管理员。")
    if len(report.errors) > errors:
        return None
    return EnrolmentRow(number, name, phone, district, cells["community"], member)


@transaction.atomic
def write(enrolment: Enrolment) -> list[list]:
    """Enrol the checked rows (only when no row had an error); returns the result sheet's rows, passwords included."""
    report = enrolment.report
    if report.errors:
        return []
    results = []
    for row in enrolment.rows:
        community = None
        if row.community_name:
            community, _ = Community.objects.get_or_create(district=row.district, name=row.community_name)
        password = ""
        member = row.member
        if member is None:
            password = initial_password()
            member = Member(phone=row.phone, name=row.name, district=row.district, community=community)
            member.set_password(password)
            member.save()
            report.created += 1
            outcome = "新建"
        elif (member.name, member.district_id, member.community_id) != (row.name, row.district.pk, getattr(community, "pk", None)):
            member.name, member.district, member.community = row.name, row.district, community
            member.save(update_fields=["name", "district", "community"])
            report.updated += 1
            outcome = "已更新（密码不变）"
        else:
            report.unchanged += 1
            outcome = "无变化"
        results.append([row.row, row.name, row.phone, row.district.name, row.community_name, outcome, password])
    report.written = True
    return results


def result_sheet(results: list[list]) -> bytes:
    """The result as .xlsx: one line per row, the new members' initial passwords in the last column."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "导入结果"
    sheet.append(RESULT_HEADERS)
    for line in results:
        sheet.append([neutralise(cell) if isinstance(cell, str) else cell for cell in line])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
