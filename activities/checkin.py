"""Daily check-in (打卡): the one-tap form POST from the home and activity pages, once a day, streaks and points.

The static pages' forms cannot carry a CSRF token, so POST /me/checkin/ is csrf-exempt and checks that the request
comes from the site's own pages (Origin, else Referer). A second tap the same day changes nothing, so a double
submit or a retry is harmless; nginx limits the requests per address.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from urllib.parse import urlencode

from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import path
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from members.accounts import login_redirect, member_page, safe_next
from members.models import Member, PointAward, PointRule
from members.points import grant, points_for_year
from members.sessions import current_member, same_site_post

from .access import visible_activities
from .models import ActivityPage, CheckIn
from .progress import complete_if_done
from .signups import find_activity, refused

PATH = "/me/checkin/"
STREAK_LOOKBACK = 400  # days read to count a streak: more than a year of unbroken check-ins shows as this many


def check_in(member: Member, activity: ActivityPage | None = None) -> bool:
    """Record today's check-in (Asia/Shanghai) and its points; False when the member already checked in today."""
    today = timezone.localdate()
    try:
        with transaction.atomic():
            CheckIn.objects.create(member=member, day=today, activity=activity)
    except IntegrityError:  # the unique (member, day) row exists: an earlier tap, or a parallel one
        return False
    grant(member, PointRule.CHECKIN, f"checkin:{today.isoformat()}", today)
    for current in _activities_counting(member, today, activity):
        complete_if_done(member, current)
    return True


def _activities_counting(member: Member, today: date, activity: ActivityPage | None) -> list[ActivityPage]:
    """The activity checked in from and the member's activities under way today that ask for check-in days."""
    start = timezone.make_aware(datetime.combine(today, time.min))
    under_way = visible_activities(member).filter(
        checkin_days__gt=0, starts_at__lt=start + timedelta(days=1), ends_at__gte=start
    )
    found = {page.pk: page for page in under_way}
    if activity is not None:
        found.setdefault(activity.pk, activity)
    return list(found.values())


def streak(member: Member, today: date) -> int:
    """Consecutive check-in days up to today (or up to yesterday while today's is still to come)."""
    days = list(
        CheckIn.objects.filter(member=member, day__lte=today).order_by("-day").values_list("day", flat=True)[:STREAK_LOOKBACK]
    )
    expected = today if days and days[0] == today else today - timedelta(days=1)
    count = 0
    for day in days:
        if day != expected:
            break
        count += 1
        expected -= timedelta(days=1)
    return count


def _back(raw: str) -> str:
    """The page the member came from, when it is one of this site's ('' otherwise, or /me/ or this page itself)."""
    back = safe_next(raw)
    return back if back == raw and back != "/me/" and not back.startswith(PATH) else ""


@csrf_exempt  # posted from static pages, which carry no token: same_site_post and the member's cookie guard it
@require_http_methods(["GET", "HEAD", "POST"])
def checkin_view(request: HttpRequest) -> HttpResponse:
    """GET: today's state and the big button; POST: check in (optionally from an activity), then 303 back to GET."""
    if request.method == "POST" and not same_site_post(request):
        return refused()
    back = _back(request.POST.get("next") or request.GET.get("next") or "")
    here = PATH + (f"?{urlencode({'next': back})}" if back else "")
    member = current_member(request)
    if member is None:  # after logging in: this page's big button, and the way back to where the member tapped
        return login_redirect(here)
    if request.method == "POST":
        # An activity the member may no longer see (a stale static page of one since made private or unpublished)
        # does not spoil the day's check-in: it is recorded without the activity.
        check_in(member, find_activity(member, request.POST.get("activity") or ""))
        return HttpResponseRedirect(here, status=303)
    today = timezone.localdate()
    context = {
        "title": "每日打卡",
        "member": member,
        "done": CheckIn.objects.filter(member=member, day=today).exists(),
        "streak": streak(member, today),
        "total_days": CheckIn.objects.filter(member=member).count(),
        "checkin_points": sum(
            PointAward.objects.filter(member=member, kind=PointRule.CHECKIN, day__year=today.year).values_list("points", flat=True)
        ),
        "points_year": points_for_year(member, today.year),
        "year": today.year,
        "back": back,
    }
    return member_page(request, "me_checkin.html", context)


urlpatterns: list = [path("me/checkin/", checkin_view, name="member_checkin")]
