"""A member's own learning archive on the public site: the /me/ page, its .xlsx export and deleting the account.

Item titles and links come from the catalogue, and only for items the member may still see (public, or
district-only in the member's own district): a title of anything else never reaches the page or the file.
"""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.db.models import Max, Sum
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from activities.signups import cancel_all
from activities.summary import archive_activities
from content_models.pages import AudioSeriesPage, EBookPage, LibraryItemPage, VideoSeriesPage
from content_models.visibility import public_page_ids

from .accounts import login_redirect, member_page, phone_digest
from .district_content import PREFIX as DISTRICT_PREFIX
from .district_content import readable_items
from .models import Commendation, LoginFailure, Member, PointAward, PointRule, StudyRecord
from .points import yearly_caps
from .report import XLSX_TYPE, workbook_bytes
from .sessions import current_member, end_session
from .summary import study_summary

CONTINUE_ITEMS = 5
HIDDEN_TITLE = "（该资源已下架或不可查看）"
KIND_LABELS = dict(PointRule.KINDS)


def visible_items(member: Member, ids) -> dict[int, LibraryItemPage]:
    """{id: specific page} of these items that `member` may see: public ones and live, unrestricted, unexpired
    district-only ones of the member's own district."""
    ids = set(ids)
    public = public_page_ids(ids)
    own_district = readable_items(member.district_id).filter(pk__in=ids - public).values_list("pk", flat=True)
    allowed = public | set(own_district)
    pages = LibraryItemPage.objects.filter(pk__in=allowed).specific() if allowed else []
    return {page.pk: page for page in pages}


def clock(seconds: int) -> str:
    minutes, second = divmod(seconds, 60)
    hours, minute = divmod(minutes, 60)
    return f"{hours}:{minute:02d}:{second:02d}" if hours else f"{minute}:{second:02d}"


def position_text(page: LibraryItemPage | None, position: int | None) -> str:
    """「读到第 37 页」 for books and periodicals, 「看到 12:30」/「听到 12:30」 for series ('' without a position)."""
    if position is None:
        return ""
    if isinstance(page, VideoSeriesPage):
        return f"看到 {clock(position)}"
    if isinstance(page, AudioSeriesPage):
        return f"听到 {clock(position)}"
    return f"读到第 {position} 页"


def item_link(page: LibraryItemPage, position: int | None) -> str:
    """Where to go on: the book's reader page at the position when it has a public reader, else the item's page
    (a district-only item's on the members' dynamic pages)."""
    if page.district_only:
        return f"{DISTRICT_PREFIX}{page.pk}/"
    reading = page.reading if isinstance(page, EBookPage) else None
    if reading and position:
        return f"{page.site_path}read/{min(max(position, 1), reading['page_count'])}/"
    return page.site_path


def continue_learning(member: Member) -> list[dict]:
    """The member's last CONTINUE_ITEMS visible items (latest study first) with title, link and position."""
    latest = list(
        StudyRecord.objects.filter(member=member).values("item_id").annotate(last=Max("updated_at"))
        .order_by("-last", "-item_id")[: CONTINUE_ITEMS * 2]
    )
    pages = visible_items(member, [row["item_id"] for row in latest])
    latest = [row for row in latest if row["item_id"] in pages][:CONTINUE_ITEMS]
    positions = dict(
        StudyRecord.objects.filter(member=member, item_id__in=[r["item_id"] for r in latest], updated_at__in=[r["last"] for r in latest])
        .values_list("item_id", "position")
    )
    items = []
    for row in latest:
        page, position = pages[row["item_id"]], positions.get(row["item_id"])
        items.append({"title": page.title, "url": item_link(page, position), "position": position_text(page, position)})
    return items


def points_breakdown(member: Member, year: int) -> list[dict]:
    """This year's points per kind (each capped as the yearly total is), in the rules' order."""
    caps = yearly_caps(year)
    totals = dict(
        PointAward.objects.filter(member=member, day__year=year).values("kind").annotate(total=Sum("points"))
        .values_list("kind", "total")
    )
    return [
        {"label": label, "points": min(totals[kind], caps[kind]) if kind in caps else totals[kind]}
        for kind, label in PointRule.KINDS if totals.get(kind)
    ]


def commendation_titles(member: Member) -> list[str]:
    return [f"{c.year}年度{c.title}" for c in Commendation.objects.filter(member=member)]


@require_GET
def archive_page(request: HttpRequest) -> HttpResponse:
    member = current_member(request)
    if member is None:
        return login_redirect()
    summary = study_summary(member)
    today = timezone.localdate()
    monday = today - timedelta(days=today.weekday())
    week = StudyRecord.objects.filter(member=member, day__gte=monday, day__lte=today).aggregate(s=Sum("seconds"))["s"] or 0
    context = {
        "title": "我的学习档案",
        "member": member,
        "community": member.community.name if member.community_id else "",
        "minutes_today": summary["study_seconds_today"] // 60,
        "minutes_week": week // 60,
        "minutes_year": summary["study_seconds_year"] // 60,
        "streak_days": summary["streak_days"],
        "year": today.year,
        "points_year": summary["points_year"],
        "points_breakdown": points_breakdown(member, today.year),
        "continue_items": continue_learning(member),
        "commendations": commendation_titles(member),
        **archive_activities(member),
    }
    return member_page(request, "me_archive.html", context)


@require_GET
def export_archive(request: HttpRequest) -> HttpResponse:
    member = current_member(request)
    if member is None:
        return login_redirect()
    records = list(StudyRecord.objects.filter(member=member).order_by("-day", "-updated_at"))
    pages = visible_items(member, {r.item_id for r in records})
    now = timezone.localtime()
    basics = [
        ["姓名", member.name], ["手机号", member.phone], ["县市区", member.district.name],
        ["社区/支部", member.community.name if member.community_id else ""],
        ["加入时间", f"{timezone.localtime(member.joined_at):%Y-%m-%d %H:%M}"], ["导出时间", f"{now:%Y-%m-%d %H:%M}"],
    ]
    study = [
        [r.day.isoformat(), pages[r.item_id].title if r.item_id in pages else HIDDEN_TITLE, round(r.seconds / 60, 1),
         position_text(pages.get(r.item_id), r.position)]
        for r in records
    ]
    awards = [
        [a.day.isoformat(), KIND_LABELS.get(a.kind, a.kind), a.points]
        for a in PointAward.objects.filter(member=member).order_by("-day", "kind")
    ]
    honours = [[c.year, c.title] for c in Commendation.objects.filter(member=member)]
    body = workbook_bytes([
        ("基本信息", ["项目", "内容"], basics),
        ("学习记录", ["日期", "资源", "学习分钟", "学习位置"], study),
        ("积分", ["日期", "积分项目", "积分"], awards),
        ("表彰", ["年度", "称号"], honours),
    ])
    response = HttpResponse(body, content_type=XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="learning-archive-{now:%Y%m%d}.xlsx"'
    response["Cache-Control"] = "private, no-store"
    return response


@transaction.atomic
def delete_member(member: Member) -> None:
    """Everything personal goes (the member, sessions, points, commendations, failed logins); study rows stay,
    with no member, so the city's figures do not change. The member's places at events not yet begun go to the
    first waiting members, as a cancel would give them."""
    cancel_all(member)
    StudyRecord.objects.filter(member=member).update(member=None)
    LoginFailure.objects.filter(phone_digest=phone_digest(member.phone)).delete()
    Member.objects.filter(pk=member.pk).delete()


@require_http_methods(["GET", "HEAD", "POST"])
def delete_account(request: HttpRequest) -> HttpResponse:
    member = current_member(request)
    if member is None:
        return login_redirect("/me/delete/")
    context = {"title": "注销账号", "member": member}
    if request.method != "POST":
        return member_page(request, "me_delete.html", context)
    if not member.check_password(request.POST.get("password", "")):
        return member_page(request, "me_delete.html", {**context, "error": "密码不正确，账号没有注销。"}, status=400)
    delete_member(member)
    response = member_page(request, "me_delete.html", {"title": "账号已注销", "done": True})
    end_session(request, response)
    return response

