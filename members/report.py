"""The year's learning ranking for the year-end 表彰 (computed, as a spreadsheet, in the admin) and the members' .xlsx writer."""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Q, Sum
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell.cell import TYPE_STRING

from content_models.importing.formats import HEADER_FILL, HEADER_FONT, neutralise
from content_models.taxonomy import District
from content_models.workspaces import editor_districts

from .models import Commendation, Member, StudyRecord
from .points import points_by_member

RANKING_HEADERS = ["名次", "姓名", "手机号", "县市区", "社区/支部", "学习分钟", "积分"]
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class RankingRow:
    rank: int
    member_id: int
    name: str
    phone_masked: str
    district: str
    community: str
    minutes: int
    points: int

    def cells(self) -> list[Any]:
        return [self.rank, self.name, self.phone_masked, self.district, self.community, self.minutes, self.points]


def year_ranking(year: int, district: District | None = None, districts: Iterable[District] | None = None) -> list[RankingRow]:
    """Members who studied or earned points in `year`, by points then minutes (equal figures share a rank).

    `district` narrows to one district; `districts` (an editor's) to several.
    """
    members = Member.objects.all()
    if district is not None:
        members = members.filter(district=district)
    if districts is not None:
        members = members.filter(district__in=list(districts))
    seconds = dict(
        StudyRecord.objects.filter(day__year=year, member__in=members)
        .values("member_id").annotate(total=Sum("seconds")).values_list("member_id", "total")
    )
    points = points_by_member(year, members)
    ids = {pk for pk, total in seconds.items() if total} | {pk for pk, total in points.items() if total}
    people = Member.objects.filter(pk__in=ids).select_related("district", "community")
    figures = sorted(
        ((points.get(m.pk, 0), (seconds.get(m.pk) or 0) // 60, m) for m in people),
        key=lambda row: (-row[0], -row[1], row[2].name, row[2].pk),
    )
    rows: list[RankingRow] = []
    for position, (member_points, minutes, member) in enumerate(figures, start=1):
        tied = rows and (rows[-1].points, rows[-1].minutes) == (member_points, minutes)
        rows.append(RankingRow(
            rank=rows[-1].rank if tied else position, member_id=member.pk, name=member.name,
            phone_masked=member.phone_masked, district=member.district.name,
            community=member.community.name if member.community else "", minutes=minutes, points=member_points,
        ))
    return rows


def ranking_title(year: int, district: District | None) -> str:
    return f"{year}年度学习排行（{district.name if district else '全市'}）"


def workbook_bytes(sheets: Sequence[tuple[str, list[str], Iterable[Sequence[Any]]]]) -> bytes:
    """An .xlsx of (sheet title, headers, rows) sheets; text is written as text and neutralised against formulas."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    for title, headers, rows in sheets:
        sheet = workbook.create_sheet(title)
        sheet.append(headers)
        for column, header in enumerate(headers, start=1):
            cell = sheet.cell(row=1, column=column)
            cell.font, cell.fill = HEADER_FONT, HEADER_FILL
            sheet.column_dimensions[cell.column_letter].width = max(12, len(header) * 3)
        sheet.freeze_panes = "A2"
        for number, row in enumerate(rows, start=2):
            for column, value in enumerate(row, start=1):
                cell = sheet.cell(row=number, column=column, value=neutralise(value) if isinstance(value, str) else value)
                if isinstance(value, str):
                    cell.data_type = TYPE_STRING
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def ranking_workbook(year: int, rows: list[RankingRow]) -> bytes:
    return workbook_bytes([(f"{year}年度排行", RANKING_HEADERS, [row.cells() for row in rows])])


def district_by_slug(slug: str) -> District:
    """The district named by its slug (or its Chinese name); ValueError with the known slugs when there is none."""
    found = District.objects.filter(Q(slug=slug) | Q(name=slug)).first()
    if found is None:
        known = "、".join(f"{d.slug}（{d.name}）" for d in District.objects.all())
        raise ValueError(f"没有网址标识为「{slug}」的县市区。可用的有：{known or '（尚未创建县市区）'}")
    return found


SHOWN_ROWS = 300  # the admin table's length; the spreadsheet holds everyone


def _year(raw: str | None) -> int:
    this_year = timezone.localdate().year
    try:
        year = int(raw or this_year)
    except ValueError:
        return this_year
    return year if 2000 <= year <= this_year + 1 else this_year


def ranking_view(request: HttpRequest) -> HttpResponse:
    """「年度学习排行」: the year's ranking by district, its spreadsheet, and 表彰 for the members picked in it.

    City editors and superusers see every district; a district editor only their own."""
    allowed = editor_districts(request.user)
    if allowed is not None and not allowed.exists():
        raise PermissionDenied
    choices = list(District.objects.all() if allowed is None else allowed)
    params = request.POST if request.method == "POST" else request.GET
    year = _year(params.get("year"))
    district = next((d for d in choices if d.slug == params.get("district")), None)
    if district is None and allowed is not None and len(choices) == 1:
        district = choices[0]
    if request.method == "POST":
        return _commend(request, year, district, None if allowed is None else choices)
    rows = year_ranking(year, district, None if allowed is None else choices)
    if params.get("format") == "xlsx":
        response = HttpResponse(ranking_workbook(year, rows), content_type=XLSX_TYPE)
        name = f"ranking-{year}-{district.slug if district else 'all'}.xlsx"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
    query = urlencode({"year": year, "district": district.slug if district else "", "format": "xlsx"})
    return TemplateResponse(request, "members/ranking.html", {
        "title": ranking_title(year, district), "year": year, "district": district, "districts": choices,
        "city_wide": allowed is None, "rows": rows[:SHOWN_ROWS], "total": len(rows), "cut": len(rows) > SHOWN_ROWS,
        "xlsx_url": f"?{query}", "years": range(timezone.localdate().year + 1, 2020, -1),
        "default_title": "学习标兵",
    })


def _commend(request: HttpRequest, year: int, district: District | None, districts: list[District] | None) -> HttpResponse:
    title = (request.POST.get("title") or "").strip()[:40] or "学习标兵"
    ids = [int(pk) for pk in request.POST.getlist("member") if pk.isdigit()]
    members = Member.objects.filter(pk__in=ids)
    if districts is not None:
        members = members.filter(district__in=districts)
    made = sum(Commendation.objects.get_or_create(member=member, year=year, title=title)[1] for member in members)
    if made:
        messages.success(request, f"已表彰 {made} 人为「{year}年度{title}」。")
    else:
        messages.warning(request, "没有新增表彰：请先勾选党员（已表彰过的不会重复）。")
    query = urlencode({"year": year, "district": district.slug if district else ""})
    return HttpResponseRedirect(f"{reverse('member_ranking')}?{query}")
