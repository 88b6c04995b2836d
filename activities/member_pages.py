"""The members' activity pages: /me/activities/ (my activities) and /me/activities/<id>/ (sign-up, attendance,
progress, links to 心得 and quiz). Both are dynamic pages in the site's theme, never cached; their forms carry
Django's CSRF token. Showing an activity also completes it when everything it asks is done (study is recorded by
the static pages' beats, which know nothing of activities)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.utils import timezone
from django.views.decorators.http import require_GET

from content_models.visibility import public_page_ids
from members.accounts import login_redirect, member_page, theme_not_found
from members.district_content import PREFIX as DISTRICT_PREFIX
from members.sessions import current_member

from .access import visible_activities
from .checkin import PATH as CHECKIN_PATH
from .models import ActivityCompletion, ActivityPage, CheckIn, Reflection, SignUp
from .progress import complete_if_done, progress
from .signups import MESSAGES, attendance_open, find_activity, page_path, signup_state

REFLECTION_LABELS = {"": "还没有提交", **dict(Reflection.STATUSES)}


def _local(moment) -> str:
    return timezone.localtime(moment).strftime("%Y年%-m月%-d日 %H:%M")


def _phase(activity: ActivityPage, now) -> str:
    if now < activity.starts_at:
        return "未开始"
    return "进行中" if now <= activity.ends_at else "已结束"


def _public_path(activity: ActivityPage) -> str:
    """The activity's static page, when it has one (district-only activities live only on members' pages)."""
    return activity.site_path if public_page_ids([activity.pk]) else ""


def _entry(activity: ActivityPage, now, note: str = "") -> dict:
    return {
        "url": page_path(activity.pk), "title": activity.title, "kind": activity.get_kind_display(),
        "when": _local(activity.starts_at), "phase": _phase(activity, now), "note": note,
    }


@require_GET
def my_activities(request: HttpRequest) -> HttpResponse:
    """/me/activities/: the member's sign-ups (with the waiting place), completed activities and current ones."""
    member = current_member(request)
    if member is None:
        return login_redirect("/me/activities/")
    now = timezone.now()
    visible = {page.pk: page for page in visible_activities(member)}
    signed = []
    for row in SignUp.objects.filter(member=member).exclude(status=SignUp.CANCELLED).order_by("-signed_up_at"):
        if row.activity_id in visible:
            state = signup_state(member, visible[row.activity_id])
            note = f"候补第 {state.position} 位" if state.position else ("已到场" if state.attended else "已报名")
            signed.append(_entry(visible[row.activity_id], now, note))
    completed_ids = list(ActivityCompletion.objects.filter(member=member).order_by("-completed_at").values_list("activity_id", flat=True))
    context = {
        "title": "我的学习活动",
        "signed": signed,
        "completed": [_entry(visible[pk], now, "已完成") for pk in completed_ids if pk in visible],
        "current": [_entry(page, now) for page in visible.values() if page.ends_at >= now and page.pk not in completed_ids],
        "checked_in": CheckIn.objects.filter(member=member, day=timezone.localdate()).exists(),
        "checkin_path": CHECKIN_PATH,
    }
    return member_page(request, "me_activities.html", context)


def _tasks(current) -> list[dict]:
    # A task's item not on the public site is a district-only item: the member reads it on the district's pages.
    return [
        {"title": task.title, "note": task.note, "done": task.done, "url": task.site_path or f"{DISTRICT_PREFIX}{task.item_id}/"}
        for task in current.tasks
    ]


@require_GET
def activity_detail(request: HttpRequest, activity_id: int) -> HttpResponse:
    """/me/activities/<id>/: the activity as this member sees it, with their sign-up, attendance and progress."""
    member = current_member(request)
    if member is None:
        return login_redirect(page_path(activity_id))
    activity = find_activity(member, activity_id)
    if activity is None:
        return theme_not_found()
    complete_if_done(member, activity)
    current = progress(member, activity)
    now = timezone.now()
    message = MESSAGES.get(request.GET.get("m") or "")
    code = "".join(ch for ch in (request.GET.get("code") or "")[:12] if ch.isdigit())  # the organiser's QR code
    context = {
        "title": activity.title,
        "activity": activity,
        "kind": activity.get_kind_display(),
        "starts": _local(activity.starts_at),
        "ends": _local(activity.ends_at),
        "phase": _phase(activity, now),
        "place": activity.public_place,
        "public_path": _public_path(activity),
        "live": activity.live_url if activity.live_url and activity.starts_at <= now <= activity.ends_at else "",
        "replay": activity.public_replay if now > activity.starts_at else None,
        "signup": signup_state(member, activity) if activity.signup_required else None,
        "attendance": attendance_open(activity, now),
        "code": code,
        "progress": current,
        "tasks": _tasks(current),
        "reflection_label": REFLECTION_LABELS.get(current.reflection or "", ""),
        "checked_in": CheckIn.objects.filter(member=member, day=timezone.localdate()).exists(),
        "checkin_path": CHECKIN_PATH,
        "message": message[0] if message and not message[1] else "",
        "error": message[0] if message and message[1] else "",
    }
    return member_page(request, "me_activity.html", context)


urlpatterns: list = [
    path("me/activities/", my_activities, name="member_activities"),
    path("me/activities/<int:activity_id>/", activity_detail, name="member_activity"),
]
