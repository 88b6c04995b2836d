"""GET /api/me/: 401 for anonymous callers, a member's own figures from known study and point rows, never cached."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from content_models.taxonomy import District
from members.demo import create_demo_member
from members.models import Member, PointAward, StudyRecord


@pytest.fixture
def member_client(client, db) -> tuple:
    District.objects.create(name="南关区", slug="nanguan", order=1)
    member = create_demo_member()[0]
    assert client.post("/me/login/", {"phone": "13900000001", "password": "dangshi-demo-2021"}).status_code == 302
    return client, member


def study(member: Member, days_ago: int, seconds: int, item_id: int = 7) -> None:
    day = timezone.localdate() - timedelta(days=days_ago)
    StudyRecord.objects.create(member=member, district=member.district, item_id=item_id, day=day, seconds=seconds,
                               updated_at=timezone.now())


def test_anonymous_callers_get_401_in_chinese_and_nothing_cached(client, db):
    response = client.get("/api/me/")
    assert response.status_code == 401 and response.json() == {"error": "请先登录"}
    assert response["Cache-Control"] == "private, no-store"
    client.cookies["dangshi_member"] = "x" * 43  # a made-up session token is nobody
    assert client.get("/api/me/").status_code == 401


def test_a_member_gets_their_figures_from_the_study_and_point_rows(member_client):
    client, member = member_client
    today = timezone.localdate()
    study(member, 0, 600)
    study(member, 0, 300, item_id=8)
    study(member, 1, 1200)
    study(member, 2, 60)
    study(member, 4, 900)  # a gap at 3 days ago: not part of the streak, but part of the year if still this year
    study(member, 5, 0)
    StudyRecord.objects.create(member=member, item_id=7, day=today.replace(year=today.year - 1), seconds=5000,
                               updated_at=timezone.now())
    PointAward.objects.create(member=member, kind="study", key=f"study:{today}", day=today, points=3)
    PointAward.objects.create(member=member, kind="checkin", key="checkin:x", day=today.replace(year=today.year - 1), points=9)
    other = Member.objects.create(name="赵淑芬", phone="13600000002", district=member.district, password="")
    StudyRecord.objects.create(member=other, item_id=7, day=today, seconds=777, updated_at=timezone.now())

    response = client.get("/api/me/")
    assert response.status_code == 200 and response["Cache-Control"] == "private, no-store"
    year_days = [d for d, s in ((0, 900), (1, 1200), (2, 60), (4, 900)) if (today - timedelta(days=d)).year == today.year]
    assert response.json() == {
        "name": "王建国", "phone_masked": "139****0001", "district": "南关区",
        "study_seconds_today": 900,
        "study_seconds_year": sum(s for d, s in ((0, 900), (1, 1200), (2, 60), (4, 900)) if d in year_days),
        "points_year": 3, "streak_days": 3,
    }


def test_the_streak_counts_up_to_yesterday_when_nothing_is_recorded_today(member_client):
    client, member = member_client
    for days_ago in (1, 2, 3, 4):
        study(member, days_ago, 120)
    study(member, 6, 120)
    figures = client.get("/api/me/").json()
    assert figures["streak_days"] == 4 and figures["study_seconds_today"] == 0
    study(member, 0, 30)
    assert client.get("/api/me/").json()["streak_days"] == 5


def test_the_answer_takes_a_few_queries_however_long_the_history(member_client):
    client, member = member_client
    for days_ago in range(60):
        study(member, days_ago, 300)
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/api/me/").json()["streak_days"] == 60
    assert len(queries) <= 10
