"""Daily check-in through HTTP: the static pages' form POST (no CSRF token) from the site's own origin only, once a
day (Asia/Shanghai) however often it is tapped, streaks, points, and completing an activity that asks for check-ins."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from activities.models import ActivityCompletion, ActivityPage, CheckIn
from members.models import Member, PointAward
from tests.activities.helpers import ORIGIN, make_activity
from tests.members.test_district_content import log_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def member(tiny_catalogue, client) -> Member:
    log_in(client)
    return Member.objects.get(phone="13900000001")


def tap(client, **data):
    return client.post("/me/checkin/", data, HTTP_ORIGIN=ORIGIN)


def test_one_tap_checks_in_once_a_day_with_points(client, member):
    page = client.get("/me/checkin/").content.decode()
    assert "今日打卡" in page and 'action="/me/checkin/"' in page and "今日已打卡" not in page
    first = tap(client)
    assert first.status_code == 303 and first["Location"] == "/me/checkin/"
    again = tap(client, next="/activities/12/")  # a second tap (or a double submit) is harmless
    assert again.status_code == 303 and again["Location"] == "/me/checkin/?next=%2Factivities%2F12%2F"
    assert 'href="/activities/12/">返回刚才的页面' in client.get(again["Location"]).content.decode()
    assert tap(client, next="//evil.example.cn/")["Location"] == "/me/checkin/"
    today = timezone.localdate()
    assert list(CheckIn.objects.filter(member=member).values_list("day", flat=True)) == [today]
    assert PointAward.objects.get(member=member, key=f"checkin:{today.isoformat()}").points == 1
    shown = client.get("/me/checkin/")
    html = shown.content.decode()
    assert shown["Cache-Control"] == "private, no-store"
    assert "今日已打卡" in html and "<dt>连续打卡</dt><dd>1 天</dd>" in html and "打卡积分</dt><dd>1 分</dd>" in html


def test_streak_counts_consecutive_days(client, member):
    today = timezone.localdate()
    for back in (1, 2, 3, 5):  # yesterday and the two days before; a gap before that
        CheckIn.objects.create(member=member, day=today - timedelta(days=back))
    assert "<dt>连续打卡</dt><dd>3 天</dd>" in client.get("/me/checkin/").content.decode()  # today's still to come
    tap(client)
    html = client.get("/me/checkin/").content.decode()
    assert "<dt>连续打卡</dt><dd>4 天</dd>" in html and "<dt>累计打卡</dt><dd>5 天</dd>" in html


def test_referer_stands_in_for_a_missing_origin_and_foreign_posts_are_refused(client, member):
    assert client.post("/me/checkin/", HTTP_ORIGIN="https://evil.example.cn").status_code == 403
    assert client.post("/me/checkin/", HTTP_REFERER="https://evil.example.cn/page").status_code == 403
    refused = client.post("/me/checkin/")  # neither header
    assert refused.status_code == 403 and "请从本站页面提交" in refused.content.decode()
    assert not CheckIn.objects.exists()
    assert client.post("/me/checkin/", HTTP_REFERER=f"{ORIGIN}/activities/1/").status_code == 303
    assert CheckIn.objects.filter(member=member).count() == 1


def test_anonymous_visitors_are_sent_to_log_in(client, tiny_catalogue):
    for response in (client.get("/me/checkin/"), tap(client)):
        assert response.status_code == 302 and response["Location"] == "/me/login/?next=%2Fme%2Fcheckin%2F"
    assert not CheckIn.objects.exists()


def test_checking_in_from_an_activity_completes_it_when_enough_days(client, member):
    now = timezone.now()
    campaign = make_activity(
        title="冬季红色经典打卡月", kind=ActivityPage.CHECKIN, starts_at=now - timedelta(days=3),
        ends_at=now + timedelta(days=20), checkin_days=2, points=10,
    )
    CheckIn.objects.create(member=member, day=timezone.localdate() - timedelta(days=1))
    assert tap(client, activity=campaign.pk).status_code == 303
    assert CheckIn.objects.get(member=member, day=timezone.localdate()).activity_id == campaign.pk
    assert ActivityCompletion.objects.filter(member=member, activity=campaign).exists()
    assert PointAward.objects.get(member=member, key=f"activity:{campaign.pk}").points == 10


def test_an_activity_the_member_may_not_see_does_not_spoil_the_check_in(client, member):
    # A stale static page of an activity since made district-only elsewhere (or unpublished): the day still counts.
    other = make_activity(title="宽城区党员冬训打卡", kind=ActivityPage.CHECKIN, district="kuancheng", district_only=True, checkin_days=1)
    response = tap(client, activity=other.pk, next=f"/activities/{other.pk}/")
    assert response.status_code == 303 and response["Location"] == f"/me/checkin/?next=%2Factivities%2F{other.pk}%2F"
    assert "今日已打卡" in client.get(response["Location"]).content.decode()
    today = CheckIn.objects.get(member=member)
    assert today.activity_id is None and not ActivityCompletion.objects.exists()
    assert PointAward.objects.filter(member=member, key__startswith="checkin:").count() == 1


def test_an_unpublished_activity_or_a_garbled_id_still_checks_in(client, member):
    gone = make_activity(title="已下线的打卡活动", kind=ActivityPage.CHECKIN, checkin_days=1)
    gone.unpublish()
    assert tap(client, activity=gone.pk).status_code == 303
    assert CheckIn.objects.get(member=member).activity_id is None
    CheckIn.objects.all().delete()
    assert tap(client, activity="abc").status_code == 303 and CheckIn.objects.filter(member=member).exists()


def test_the_members_pages_check_in_forms_come_back_to_their_page(client, member):
    campaign = make_activity(title="冬季红色经典打卡月", kind=ActivityPage.CHECKIN, checkin_days=3)
    for page in ("/me/activities/", f"/me/activities/{campaign.pk}/"):
        html = client.get(page).content.decode()
        assert f'<input type="hidden" name="next" value="{page}">' in html
    answer = client.post("/me/checkin/", {"activity": campaign.pk, "next": f"/me/activities/{campaign.pk}/"}, HTTP_ORIGIN=ORIGIN)
    assert answer["Location"] == f"/me/checkin/?next=%2Fme%2Factivities%2F{campaign.pk}%2F"
    assert f'href="/me/activities/{campaign.pk}/">返回刚才的页面' in client.get(answer["Location"]).content.decode()


def test_an_anonymous_tap_logs_in_then_offers_the_button_and_the_way_back(client, tiny_catalogue):
    tapped = tap(client, next="/activities/12/")
    assert tapped.status_code == 302
    assert tapped["Location"] == "/me/login/?next=%2Fme%2Fcheckin%2F%3Fnext%3D%252Factivities%252F12%252F"
    assert tap(client, next="//evil.example.cn/")["Location"] == "/me/login/?next=%2Fme%2Fcheckin%2F"
    login = client.post(tapped["Location"], {"phone": "13900000001", "password": "dangshi-demo-2021"})
    assert login.status_code == 302 and login["Location"] == "/me/checkin/?next=%2Factivities%2F12%2F"
    html = client.get(login["Location"]).content.decode()
    assert '<button class="btn" type="submit">今日打卡</button>' in html and not CheckIn.objects.exists()
    assert '<input type="hidden" name="next" value="/activities/12/">' in html
    done = tap(client, next="/activities/12/")
    assert done["Location"] == "/me/checkin/?next=%2Factivities%2F12%2F" and CheckIn.objects.count() == 1
    assert 'href="/activities/12/">返回刚才的页面' in client.get(done["Location"]).content.decode()
