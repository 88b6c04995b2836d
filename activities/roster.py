"""Organisers' roster of an event's sign-ups (xlsx export, attendance, the attendance code) in the Wagtail admin.

City editors and superusers see every event; a district editor only those in their district's section. Phones are
masked everywhere unless a city editor asks the spreadsheet for the full numbers (e.g. to phone the members).
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.widgets import ListingButton

from content_models.workspaces import editor_districts
from members.report import XLSX_TYPE, workbook_bytes

from .models import ActivityPage, SignUp
from .signups import record_attendance

HEADERS = ["序号", "姓名", "手机号", "县市区", "社区/支部", "状态", "报名时间", "到场时间"]
STATUS_ORDER = {SignUp.CONFIRMED: 0, SignUp.WAITING: 1, SignUp.CANCELLED: 2}


def _events(user):
    """The events with sign-ups or attendance `user` may see (None: the user is no district's editor)."""
    allowed = editor_districts(user)
    events = ActivityPage.objects.filter(Q(signup_required=True) | Q(kind=ActivityPage.LECTURE))
    if allowed is None:
        return events
    return events.filter(district__in=list(allowed)) if allowed.exists() else None


def _event(request: HttpRequest, activity_id: int) -> ActivityPage:
    events = _events(request.user)
    if events is None:
        raise PermissionDenied
    return get_object_or_404(events, pk=activity_id)


def _local(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else ""


def roster_rows(activity: ActivityPage, full_phones: bool = False) -> list[list]:
    """The sign-ups as spreadsheet rows: confirmed first, then waiting (in queue order), then cancelled."""
    signups = sorted(
        SignUp.objects.filter(activity=activity).select_related("member", "member__district", "member__community"),
        key=lambda row: (STATUS_ORDER[row.status], row.signed_up_at, row.pk),
    )
    return [
        [
            number, row.member.name, row.member.phone if full_phones else row.member.phone_masked, row.member.district.name,
            row.member.community.name if row.member.community else "", row.get_status_display(),
            _local(row.signed_up_at), _local(row.attended_at),
        ]
        for number, row in enumerate(signups, start=1)
    ]


def roster_index(request: HttpRequest) -> HttpResponse:
    """「活动报名」: the events the editor may see, newest first, with their counts."""
    events = _events(request.user)
    if events is None:
        raise PermissionDenied
    listed = events.annotate(
        confirmed=Count("signups", filter=Q(signups__status=SignUp.CONFIRMED)),
        waiting=Count("signups", filter=Q(signups__status=SignUp.WAITING)),
        attended=Count("signups", filter=Q(signups__attended_at__isnull=False)),
    ).order_by("-starts_at", "-pk")[:200]
    return TemplateResponse(request, "activities/admin/roster_index.html", {"title": "活动报名", "events": listed})


def roster_view(request: HttpRequest, activity_id: int) -> HttpResponse:
    """One event's roster: the table, attendance marked by hand, the code, and the xlsx."""
    activity = _event(request, activity_id)
    city_wide = editor_districts(request.user) is None
    if request.method == "POST":
        raw = request.POST.get("signup") or ""
        signup = get_object_or_404(SignUp.objects.select_related("member", "activity"), pk=int(raw) if raw.isdigit() else 0, activity=activity)
        if signup.status != SignUp.CONFIRMED:
            messages.error(request, f"{signup.member.name}不是已报名状态，不能登记到场。")
        elif record_attendance(signup):
            messages.success(request, f"已为{signup.member.name}登记到场，学习时长已记入其学习档案。")
        else:
            messages.warning(request, f"{signup.member.name}已经登记过到场。")
        return HttpResponseRedirect(reverse("activity_roster", args=[activity.pk]))
    if request.GET.get("format") == "xlsx":
        full = request.GET.get("full") == "1"
        if full and not city_wide:
            raise PermissionDenied
        body = workbook_bytes([("报名名单", HEADERS, roster_rows(activity, full_phones=full))])
        response = HttpResponse(body, content_type=XLSX_TYPE)
        response["Content-Disposition"] = f'attachment; filename="roster-{activity.pk}.xlsx"'
        return response
    signups = sorted(
        SignUp.objects.filter(activity=activity).select_related("member", "member__district", "member__community"),
        key=lambda row: (STATUS_ORDER[row.status], row.signed_up_at, row.pk),
    )
    counts = {status: sum(row.status == status for row in signups) for status in STATUS_ORDER}
    return TemplateResponse(request, "activities/admin/roster.html", {
        "title": f"报名名单：{activity.title}", "activity": activity, "signups": signups, "city_wide": city_wide,
        "confirmed": counts[SignUp.CONFIRMED], "waiting": counts[SignUp.WAITING], "cancelled": counts[SignUp.CANCELLED],
        "attended": sum(row.attended_at is not None for row in signups),
        "member_url": f"/me/activities/{activity.pk}/?code={activity.attendance_code}",
    })


@hooks.register("register_admin_urls")
def register_roster_urls():
    return [
        path("activities/roster/", roster_index, name="activity_roster_index"),
        path("activities/<int:activity_id>/roster/", roster_view, name="activity_roster"),
    ]


class RosterMenuItem(MenuItem):
    def is_shown(self, request) -> bool:
        return _events(request.user) is not None


@hooks.register("register_admin_menu_item")
def register_roster_menu_item():
    return RosterMenuItem("活动报名", reverse("activity_roster_index"), icon_name="group", order=250)


@hooks.register("register_page_listing_buttons")
def roster_button(page, user, next_url=None):
    if page.specific_class is ActivityPage and _events(user) is not None:
        yield ListingButton("报名名单", reverse("activity_roster", args=[page.pk]), priority=60)
