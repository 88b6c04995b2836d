"""What the activities' tests share: a published activity, enrolled members, a member's logged-in client."""

from __future__ import annotations

from datetime import timedelta
from http.cookies import SimpleCookie

from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from activities.models import ActivityPage
from content_models.models import SectionPage
from content_models.taxonomy import District
from members.models import Member
from members.sessions import MEMBER_COOKIE
from members.sessions import log_in as start_session
from tests.members.test_district_content import add

ORIGIN = "http://testserver"


def make_activity(title: str = "红色经典诵读会", district: str | None = None, **fields) -> ActivityPage:
    """A published activity in the city-wide section (or `district`'s), two days ahead unless told otherwise."""
    section = SectionPage.objects.get(district__slug=district) if district else SectionPage.objects.get(district__isnull=True)
    start = timezone.now() + timedelta(days=2)
    values = {
        "kind": ActivityPage.LECTURE, "starts_at": start, "ends_at": start + timedelta(hours=2),
        "summary": "老党员和居民一起诵读红色经典，重温入党誓词。", **fields,
    }
    return add(section, ActivityPage(title=title, slug=f"huodong-{ActivityPage.objects.count() + 1}", **values))


def enrol(number: int, district: str = "nanguan") -> Member:
    member = Member(name=f"党员{number:03d}", phone=f"137{number:08d}", district=District.objects.get(slug=district))
    member.set_password("dangshi-2021")
    member.save()
    return member


def session_cookie(member: Member) -> str:
    """A logged-in member's session token, as the login form would set it (the login itself is tested elsewhere)."""
    response = HttpResponse()
    start_session(HttpRequest(), response, member)
    return response.cookies[MEMBER_COOKIE].value


def as_member(client, member: Member):
    client.cookies = SimpleCookie({MEMBER_COOKIE: session_cookie(member)})
    return client


def post(client, activity: ActivityPage, action: str, **data):
    return client.post(f"/me/activities/{activity.pk}/{action}", data, HTTP_ORIGIN=ORIGIN)
