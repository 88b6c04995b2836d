"""The 「学习统计」 admin view: a period's figures from the roll-up tables (today computed live), as tables, inline
SVG charts and CSV, and the quizzes' results (per district, and the questions most missed) from the answers.
District editors see their districts' rows only; city-wide figures (visitors, 全市) are hidden."""

from __future__ import annotations

import csv
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import cached_property

from django.db.models import Count, Q, Sum
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from wagtail.admin.menu import MenuItem
from wagtail.models import Page

from activities.models import QuizAnswer
from content_models.pages import LibraryItemPage
from content_models.taxonomy import Column, District
from content_models.workspaces import editor_districts

from .models import NO_ITEM, ColumnDay, DayTotal, DistrictDay, ItemDay, ItemMonth
from .rollup import compute_day

GRAINS = {"day": "按日", "week": "按周", "month": "按月"}
TOP = 20


def scope_of(user) -> list[int] | None:
    """None: every figure; else the ids of the districts whose figures `user` may see (possibly none)."""
    if not user.is_active or not user.has_perm("wagtailadmin.access_admin"):
        return []
    districts = editor_districts(user)
    return None if districts is None else list(districts.values_list("pk", flat=True))


@dataclass
class Period:
    start: date
    end: date  # the last day counted (today at most)
    label: str
    key: str


def period_from(key: str, today: date) -> Period:
    """'month' (this month), 'year' (this year) or a year such as '2025'; anything else is this month."""
    if key == "year":
        return Period(date(today.year, 1, 1), today, f"{today.year}年（截至今天）", key)
    if key.isdigit() and 2000 <= int(key) <= today.year:
        year = int(key)
        return Period(date(year, 1, 1), min(date(year, 12, 31), today), f"{year}年", key)
    return Period(today.replace(day=1), today, f"{today.year}年{today.month}月（截至今天）", "month")


def bucket_of(day: date, grain: str) -> tuple[date, str]:
    if grain == "month":
        return day.replace(day=1), f"{day.year}年{day.month}月"
    if grain == "week":
        monday = day - timedelta(days=day.weekday())
        return monday, f"{monday.month}月{monday.day}日起一周"
    return day, f"{day.month}月{day.day}日"


class Dashboard:
    """The figures of one period for one scope; every table is a list of rows of plain values."""

    def __init__(self, period: Period, scope: list[int] | None, today: date) -> None:
        self.period, self.scope, self.today = period, scope, today
        self.live = compute_day(today) if period.start <= today <= period.end else None
        self.days = (period.end - period.start).days + 1
        self.rolled = {"day__gte": period.start, "day__lte": period.end, "day__lt": today}

    def _in_scope(self, queryset):
        return queryset if self.scope is None else queryset.filter(district_id__in=self.scope)

    @cached_property
    def daily(self) -> dict[date, list[int]]:
        """{day: [visits, visitors, study seconds, active members]} (visitors 0 for a district scope)."""
        days: dict[date, list[int]] = {}
        if self.scope is None:
            for row in DayTotal.objects.filter(**self.rolled).values_list("day", "visits", "visitors", "study_seconds", "active_members"):
                days[row[0]] = list(row[1:])
        else:
            rows = self._in_scope(DistrictDay.objects.filter(**self.rolled)).values("day").annotate(
                v=Sum("views"), s=Sum("study_seconds"), a=Sum("active_members"))
            for row in rows:
                days[row["day"]] = [row["v"], 0, row["s"], row["a"]]
        if self.live:
            if self.scope is None:
                total = self.live.total
                days[self.today] = [total.views, self.live.visitors, total.study_seconds, len(total.members)]
            else:
                parts = [f for d, f in self.live.districts.items() if d in self.scope]
                days[self.today] = [sum(f.views for f in parts), 0, sum(f.study_seconds for f in parts),
                                    sum(len(f.members) for f in parts)]
        return days

    def series(self, grain: str) -> list[dict]:
        """Rows per day, week or month: label, visits, visitors, study minutes, average daily active members."""
        daily = self.daily
        buckets: dict[date, dict] = {}
        day = self.period.start
        while day <= self.period.end:
            key, label = bucket_of(day, grain)
            bucket = buckets.setdefault(key, {"label": label, "figures": [0, 0, 0, 0], "days": 0})
            bucket["days"] += 1
            for index, value in enumerate(daily.get(day, (0, 0, 0, 0))):
                bucket["figures"][index] += value
            day += timedelta(days=1)
        return [
            {"label": b["label"], "visits": b["figures"][0], "visitors": b["figures"][1],
             "minutes": b["figures"][2] // 60, "active": round(b["figures"][3] / b["days"], 1)}
            for b in buckets.values()
        ]

    def totals(self) -> dict:
        """The period's visits, visitors (daily-unique, added up), study minutes and average daily active members."""
        daily = list(self.daily.values())
        return {
            "visits": sum(row[0] for row in daily), "visitors": sum(row[1] for row in daily),
            "minutes": sum(row[2] for row in daily) // 60,
            "active": round(sum(row[3] for row in daily) / self.days, 1),
        }

    def _grouped(self, model, key: str) -> dict:
        """{key value: [views, study seconds, active member-days]} over the period, today's live figures added."""
        grouped: dict = defaultdict(lambda: [0, 0, 0])
        rows = self._in_scope(model.objects.filter(**self.rolled)).values(key).annotate(
            v=Sum("views"), s=Sum("study_seconds"), a=Sum("active_members"))
        for row in rows:
            grouped[row[key]] = [row["v"], row["s"], row["a"]]
        if self.live:
            live = self.live.districts if key == "district_id" else self.live.columns
            for live_key, f in live.items():
                district = live_key if key == "district_id" else live_key[1]
                if self.scope is not None and district not in self.scope:
                    continue
                target = grouped[live_key if key == "district_id" else live_key[0]]
                target[0] += f.views
                target[1] += f.study_seconds
                target[2] += len(f.members)
        return grouped

    def _rows(self, grouped: dict, names: dict) -> list[dict]:
        return [
            {"label": label, "visits": v, "minutes": s // 60, "active": round(a / self.days, 1)}
            for label, (v, s, a) in sorted(
                ((names.get(k, "全市（栏目页、首页等）"), figures) for k, figures in grouped.items()),
                key=lambda row: (-row[1][1], -row[1][0], row[0]),
            )
        ]

    def by_district(self) -> list[dict]:
        return self._rows(self._grouped(DistrictDay, "district_id"), dict(District.objects.values_list("pk", "name")))

    def by_column(self) -> list[dict]:
        grouped = self._grouped(ColumnDay, "column_id")
        return self._rows(grouped, dict(Column.objects.values_list("pk", "name")))

    def top_items(self) -> list[dict]:
        """The period's 20 items with the most study minutes (then views): whole past months from ItemMonth, the
        current month's days from ItemDay, today's study live."""
        current_month = self.today.replace(day=1)
        items: dict[int, list[int]] = defaultdict(lambda: [0, 0])
        months = ItemMonth.objects.filter(month__gte=self.period.start, month__lte=self.period.end, month__lt=current_month)
        days = ItemDay.objects.filter(day__gte=max(self.period.start, current_month), day__lte=self.period.end).exclude(item_id=NO_ITEM)
        own = None
        if self.scope is not None:
            own_items = LibraryItemPage.objects.filter(district_id__in=self.scope).values("pk")
            months, days = months.filter(item_id__in=own_items), days.filter(item_id__in=own_items)
            own = set(own_items.values_list("pk", flat=True))
        for model_rows in (months, days):
            for row in model_rows.values("item_id").annotate(v=Sum("views"), s=Sum("study_seconds")):
                items[row["item_id"]][0] += row["v"]
                items[row["item_id"]][1] += row["s"]
        if self.live:
            for item, seconds in self.live.item_study.items():
                if own is None or item in own:
                    items[item][1] += seconds
        top = sorted(items.items(), key=lambda kv: (-kv[1][1], -kv[1][0], kv[0]))[:TOP]
        titles = dict(Page.objects.filter(pk__in=[k for k, _ in top]).values_list("pk", "title"))
        return [{"label": titles.get(k, f"（已删除的资源 {k}）"), "visits": v, "minutes": s // 60} for k, (v, s) in top]

    def _quiz_answers(self):
        """Answers of finished quiz attempts started in the period, by members of the scope's districts."""
        start = timezone.make_aware(datetime.combine(self.period.start, time.min))
        end = timezone.make_aware(datetime.combine(self.period.end + timedelta(days=1), time.min))
        answers = QuizAnswer.objects.filter(
            attempt__started_at__gte=start, attempt__started_at__lt=end, attempt__finished_at__isnull=False
        )
        return answers if self.scope is None else answers.filter(attempt__district_id__in=self.scope)

    def quiz_by_district(self) -> list[dict]:
        """Per district: finished attempts, members who finished one, and the average score (% of answers right)."""
        rows = self._quiz_answers().values("attempt__district_id").annotate(
            attempts=Count("attempt", distinct=True), members=Count("attempt__member", distinct=True),
            answers=Count("pk"), right=Count("pk", filter=Q(correct=True)),
        )
        names = dict(District.objects.values_list("pk", "name"))
        table = [
            {"label": names.get(row["attempt__district_id"], "（未登记县市区）"), "attempts": row["attempts"],
             "members": row["members"], "percent": round(100 * row["right"] / row["answers"], 1)}
            for row in rows
        ]
        return sorted(table, key=lambda row: (-row["attempts"], row["label"]))

    def quiz_questions(self) -> list[dict]:
        """The TOP questions most often answered wrong (then the lowest share right), with their bank."""
        rows = self._quiz_answers().values("question_id", "question__text", "question__bank__name").annotate(
            answers=Count("pk"), right=Count("pk", filter=Q(correct=True)),
        )
        ordered = sorted(rows, key=lambda r: (r["right"] - r["answers"], r["right"] / r["answers"], r["question_id"]))
        return [
            {"label": row["question__text"], "bank": row["question__bank__name"], "answers": row["answers"],
             "wrong": row["answers"] - row["right"], "percent": round(100 * row["right"] / row["answers"], 1)}
            for row in ordered[:TOP]
        ]


def bar_chart(rows: list[dict], value: str, title: str, unit: str, horizontal: bool = False) -> SafeString:
    """An inline SVG bar chart of rows[…][value], labelled in Chinese; the table beside it carries the figures."""
    values = [row[value] for row in rows]
    peak = max(values, default=0) or 1
    if horizontal:  # one labelled bar per row (districts, columns, items)
        height = 28 * len(rows) + 10
        bars = "".join(
            f'<text x="0" y="{28 * i + 22}" font-size="14">{escape(row["label"][:12])}</text>'
            f'<rect x="190" y="{28 * i + 8}" width="{max(1, round(300 * row[value] / peak))}" height="18" fill="#b22222"/>'
            f'<text x="{196 + round(300 * row[value] / peak)}" y="{28 * i + 22}" font-size="14">{row[value]}</text>'
            for i, row in enumerate(rows)
        )
        return mark_safe(
            f'<svg viewBox="0 0 600 {height}" width="100%" role="img" aria-label="{escape(title)}" class="stats-chart">'
            f"<title>{escape(title)}</title>{bars}</svg>"
        )
    count = max(len(rows), 1)
    width = 560 / count
    bars = "".join(
        f'<rect x="{40 + i * width:.2f}" y="{190 - 160 * v / peak:.2f}" width="{max(width - 1, 0.6):.2f}" '
        f'height="{160 * v / peak:.2f}" fill="#b22222"><title>{escape(rows[i]["label"])}：{v}{unit}</title></rect>'
        for i, v in enumerate(values)
    )
    first, last = (escape(rows[0]["label"]), escape(rows[-1]["label"])) if rows else ("", "")
    return mark_safe(
        f'<svg viewBox="0 0 600 220" width="100%" role="img" aria-label="{escape(title)}" class="stats-chart">'
        f'<title>{escape(title)}</title><text x="40" y="20" font-size="14">最高 {max(values, default=0)}{unit}</text>'
        f'<line x1="40" y1="190" x2="600" y2="190" stroke="#333"/>{bars}'
        f'<text x="40" y="212" font-size="14">{first}</text><text x="600" y="212" font-size="14" text-anchor="end">{last}</text></svg>'
    )


TABLES = {
    "series": ("按时间", ["label", "visits", "visitors", "minutes", "active"], ["时间", "访问量", "访客（每日去重）", "学习分钟", "日均活跃党员"]),
    "districts": ("按县市区", ["label", "visits", "minutes", "active"], ["县市区", "访问量", "学习分钟", "日均活跃党员"]),
    "columns": ("按栏目", ["label", "visits", "minutes", "active"], ["栏目", "访问量", "学习分钟", "日均活跃党员"]),
    "items": ("学习最多的资源（前 20）", ["label", "visits", "minutes"], ["资源", "访问量", "学习分钟"]),
    "quiz_districts": ("答题：按县市区", ["label", "attempts", "members", "percent"], ["县市区", "完成答题次数", "答题党员", "平均正确率（%）"]),
    "quiz_questions": ("答题：答错最多的题目（前 20）", ["label", "bank", "answers", "wrong", "percent"],
                       ["题目", "题库", "作答次数", "答错次数", "正确率（%）"]),
}
CHARTLESS = {"quiz_districts", "quiz_questions"}  # the figures are shares, not minutes: the table says it


def dashboard(request: HttpRequest) -> HttpResponse:
    scope = scope_of(request.user)
    if scope == []:
        raise Http404
    today = timezone.localdate()
    period = period_from(request.GET.get("period", "month"), today)
    grain = request.GET.get("grain", "day")
    grain = grain if grain in GRAINS else "day"
    board = Dashboard(period, scope, today)
    tables = {"series": board.series(grain), "districts": board.by_district(), "columns": board.by_column(),
              "items": board.top_items(), "quiz_districts": board.quiz_by_district(), "quiz_questions": board.quiz_questions()}
    city = scope is None
    shown = TABLES if city else {  # visitors are anonymous and belong to no district
        k: (t, [c for c in cols if c != "visitors"], [h for c, h in zip(cols, heads, strict=True) if c != "visitors"])
        for k, (t, cols, heads) in TABLES.items()
    }
    export = request.GET.get("csv")
    if export in shown:
        return csv_response(tables[export], *shown[export], f"{export}-{period.key}")
    sections = []
    for key, (title, columns, heads) in shown.items():
        rows = tables[key]
        horizontal = key != "series"
        charts = [] if key in CHARTLESS else [bar_chart(rows, "minutes", f"{title}：学习分钟", "分钟", horizontal)]
        if key == "series":
            charts.insert(0, bar_chart(rows, "visits", f"{title}：访问量", "次"))
        sections.append({
            "key": key, "title": title, "heads": heads, "charts": charts,
            "rows": [[row[c] for c in columns] for row in rows],
        })
    years = list(range(today.year, today.year - 5, -1))
    return render(request, "stats/dashboard.html", {
        "period": period, "grain": grain, "grains": GRAINS, "years": years, "totals": board.totals(),
        "sections": sections, "city": city,
        "district_names": "、".join(District.objects.filter(pk__in=scope or []).values_list("name", flat=True)),
    })


def csv_response(rows: list[dict], title: str, columns: list[str], heads: list[str], name: str) -> HttpResponse:
    """UTF-8 with a byte-order mark, so Excel opens the Chinese as Chinese."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="stats-{name}.csv"'
    response.write("\ufeff")
    writer = csv.writer(response)
    writer.writerow(heads)
    for row in rows:
        writer.writerow([row[c] for c in columns])
    return response


class DashboardMenuItem(MenuItem):
    def is_shown(self, request) -> bool:
        return scope_of(request.user) != []
