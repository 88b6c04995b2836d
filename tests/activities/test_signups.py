"""Sign-up, waiting list, attendance and the members' activity pages through HTTP; 200 members racing for the last
20 places of an event against a live server never over-fill it (on SQLite and on PostgreSQL)."""

from __future__ import annotations

import re
import threading
from datetime import timedelta
from types import SimpleNamespace

import pytest
import requests
from django.core.servers.basehttp import ThreadedWSGIServer
from django.test.testcases import LiveServerThread
from django.utils import timezone

from activities.models import ActivityCompletion, ActivityPage, ActivityTask, SignUp
from content_models.models import EBookPage
from members.models import PointAward, StudyRecord
from members.sessions import MEMBER_COOKIE
from tests.activities.helpers import as_member, enrol, make_activity, post, session_cookie
from tests.members.test_district_content import log_in


def statuses(activity: ActivityPage) -> list[tuple[str, str]]:
    return list(SignUp.objects.filter(activity=activity).order_by("signed_up_at", "pk").values_list("member__name", "status"))


@pytest.fixture
def lecture(tiny_catalogue) -> ActivityPage:
    return make_activity("抗联精神专题讲座", signup_required=True, capacity=2)


@pytest.mark.django_db
def test_sign_up_fills_places_then_waits_and_a_cancel_promotes_the_first_waiting(client, lecture):
    a, b, c, d = (enrol(n) for n in range(1, 5))
    for member in (a, b, c, d):
        answer = post(as_member(client, member), lecture, "signup")
        assert answer.status_code == 303 and answer["Location"].startswith(f"/me/activities/{lecture.pk}/?m=")
    assert statuses(lecture) == [(a.name, "confirmed"), (b.name, "confirmed"), (c.name, "waiting"), (d.name, "waiting")]
    page = client.get(f"/me/activities/{lecture.pk}/").content.decode()  # as d
    assert "候补第 2 位" in page and "取消报名" in page
    follow = post(as_member(client, a), lecture, "cancel")
    assert "已取消报名" in client.get(follow["Location"]).content.decode()
    assert statuses(lecture) == [(a.name, "cancelled"), (b.name, "confirmed"), (c.name, "confirmed"), (d.name, "waiting")]
    post(client, lecture, "signup")  # signing up again goes to the back of the queue
    assert statuses(lecture)[-1] == (a.name, "waiting")
    assert "候补第 2 位" in client.get(f"/me/activities/{lecture.pk}/").content.decode()


@pytest.mark.django_db
def test_raising_the_capacity_and_publishing_promotes_the_waiting(client, lecture):
    members = [enrol(n) for n in range(1, 5)]
    for member in members:
        post(as_member(client, member), lecture, "signup")
    page = ActivityPage.objects.get(pk=lecture.pk)
    page.capacity = 3
    page.save_revision().publish()
    assert [status for _name, status in statuses(lecture)] == ["confirmed", "confirmed", "confirmed", "waiting"]


@pytest.mark.django_db
def test_deadline_no_signup_needed_foreign_origin_and_anonymous(client, tiny_catalogue):
    past = timezone.now() - timedelta(hours=1)
    closed = make_activity("已截止的读书分享会", signup_required=True, signup_deadline=past)
    open_talk = make_activity("不用报名的党课", signup_required=False)
    member = enrol(1)
    as_member(client, member)
    assert "报名已截止" in client.get(post(client, closed, "signup")["Location"]).content.decode()
    assert "这个活动不需要报名" in client.get(post(client, open_talk, "signup")["Location"]).content.decode()
    assert client.post(f"/me/activities/{closed.pk}/signup", HTTP_ORIGIN="https://evil.example.cn").status_code == 403
    assert not SignUp.objects.exists()
    client.cookies.clear()
    response = post(client, closed, "signup")
    assert response.status_code == 302 and response["Location"] == f"/me/login/?next=%2Fme%2Factivities%2F{closed.pk}%2F"


@pytest.mark.django_db
def test_district_only_activities_are_invisible_to_other_districts_and_anonymous(client, tiny_catalogue):
    own = make_activity("南关区支部冬训报名", district="nanguan", district_only=True, signup_required=True, capacity=30)
    log_in(client)  # 王建国, 南关区
    html = client.get(f"/me/activities/{own.pk}/").content.decode()
    assert own.title in html and "还剩 30 个名额" in html and "查看活动详情页" not in html  # no static page
    assert own.title in client.get("/me/activities/").content.decode()
    as_member(client, enrol(7, "kuancheng"))
    answer = client.get(f"/me/activities/{own.pk}/")
    assert answer.status_code == 404 and own.title not in answer.content.decode()
    assert own.title not in client.get("/me/activities/").content.decode()
    assert post(client, own, "signup").status_code == 404 and not SignUp.objects.exists()
    client.cookies.clear()
    assert client.get(f"/me/activities/{own.pk}/")["Location"].startswith("/me/login/?next=")


@pytest.mark.django_db
def test_attendance_code_credits_the_lecture_as_study_once_and_completes_it(client, tiny_catalogue):
    now = timezone.now()
    talk = make_activity("白山黑水党旗红专题讲座", starts_at=now - timedelta(minutes=30), ends_at=now + timedelta(minutes=60), points=8)
    member = enrol(1)
    as_member(client, member)
    page = client.get(f"/me/activities/{talk.pk}/?code={talk.attendance_code}").content.decode()
    assert "输入签到码" in page and f'value="{talk.attendance_code}"' in page  # the organiser's QR code prefills it
    wrong = "000000" if talk.attendance_code != "000000" else "111111"
    assert "签到码不正确" in client.get(post(client, talk, "attend", code=wrong)["Location"]).content.decode()
    done = client.get(post(client, talk, "attend", code=f" {talk.attendance_code} ")["Location"]).content.decode()
    assert "签到成功" in done and "已到场" in done
    assert StudyRecord.objects.get(member=member, item_id=talk.pk).seconds == 90 * 60
    assert PointAward.objects.get(member=member, key=f"study:{timezone.localdate().isoformat()}").points == 9
    assert ActivityCompletion.objects.filter(member=member, activity=talk).exists()
    again = client.get(post(client, talk, "attend", code=talk.attendance_code)["Location"]).content.decode()
    assert "您已经签到过了" in again and StudyRecord.objects.get(member=member, item_id=talk.pk).seconds == 90 * 60


@pytest.mark.django_db
def test_wrong_codes_are_throttled_per_member(client, tiny_catalogue):
    now = timezone.now()
    talk = make_activity("红色家书诵读讲座", starts_at=now, ends_at=now + timedelta(hours=1))
    as_member(client, enrol(1))
    wrong = "000000" if talk.attendance_code != "000000" else "111111"
    for _ in range(5):
        post(client, talk, "attend", code=wrong)
    blocked = client.get(post(client, talk, "attend", code=talk.attendance_code)["Location"]).content.decode()
    assert "签到码输错次数太多" in blocked and not SignUp.objects.filter(attended_at__isnull=False).exists()


@pytest.mark.django_db
def test_attendance_outside_the_event_window_is_refused(client, lecture):
    member = enrol(1)
    post(as_member(client, member), lecture, "signup")
    assert "输入签到码" not in client.get(f"/me/activities/{lecture.pk}/").content.decode()
    answer = client.get(post(client, lecture, "attend", code=lecture.attendance_code)["Location"]).content.decode()
    assert "现在不在签到时间内" in answer


def _csrf_secret() -> str:
    return "a" * 32  # an unmasked CSRF secret: Django takes the same 32 characters as cookie and form token


class PooledServer(ThreadedWSGIServer):
    """Takes 200 connections at once (the default listen backlog of 10 resets most of them) and serves 32 at a time,
    as a pool of workers would: a thread per request would exceed PostgreSQL's connection limit instead."""

    request_queue_size = 256
    workers = threading.BoundedSemaphore(32)

    def process_request_thread(self, request, client_address) -> None:
        with self.workers:
            super().process_request_thread(request, client_address)


class PooledServerThread(LiveServerThread):
    server_class = PooledServer


@pytest.fixture
def wide_server(transactional_db, django_db_serialized_rollback, tiny_catalogue):
    """A threaded live server (the test database is a file, so its threads share it) taking 200 connections at once."""
    thread = PooledServerThread("127.0.0.1", lambda application: application)
    thread.daemon = True
    thread.start()
    thread.is_ready.wait()
    if thread.error:
        raise thread.error
    yield SimpleNamespace(url=f"http://127.0.0.1:{thread.port}")
    thread.terminate()


def test_concurrent_sign_ups_for_the_last_places_never_over_fill(wide_server):
    """200 members POST at once for the last 20 of 30 places: exactly 30 confirmed, 180 waiting in signing-up order."""
    live_server = wide_server
    event = make_activity("七一专题党课（限30人）", signup_required=True, capacity=30)
    for number in range(1, 11):
        SignUp.objects.create(activity=event, member=enrol(number), status=SignUp.CONFIRMED)
    racers = [enrol(number) for number in range(11, 211)]
    cookies = [session_cookie(member) for member in racers]
    url = f"{live_server.url}/me/activities/{event.pk}/signup"
    start, answers = threading.Barrier(len(racers)), []

    def race(token: str) -> None:
        start.wait()
        answer = requests.post(
            url, {"csrfmiddlewaretoken": _csrf_secret()}, cookies={MEMBER_COOKIE: token, "csrftoken": _csrf_secret()},
            headers={"Origin": live_server.url, "Referer": url}, allow_redirects=False, timeout=120,
        )
        answers.append((answer.status_code, re.sub(r".*m=", "", answer.headers.get("Location", ""))))

    threads = [threading.Thread(target=race, args=(token,)) for token in cookies]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(180)
    assert sorted(answers) == sorted([(303, "confirmed")] * 20 + [(303, "waiting")] * 180)
    rows = list(SignUp.objects.filter(activity=event).order_by("signed_up_at", "pk").values_list("status", "signed_up_at"))
    assert [status for status, _at in rows] == ["confirmed"] * 30 + ["waiting"] * 180  # the lock's order is the queue's
    assert len({at for _status, at in rows[10:]}) == 200


@pytest.mark.django_db
def test_activity_pages_show_progress_links_live_stream_and_my_list(client, lecture):
    now = timezone.now()
    book = EBookPage.objects.live().filter(district_only=False).order_by("pk").first()
    campaign = make_activity(
        "学习《红岩》主题活动", kind=ActivityPage.LIVE, starts_at=now - timedelta(hours=1), ends_at=now + timedelta(hours=1),
        live_url="https://live.example.cn/hongyan.m3u8", requires_reflection=True,
    )
    ActivityTask.objects.create(page=campaign, item=book, note="读完第一章")
    members = [enrol(n) for n in range(1, 4)]
    for member in members:
        post(as_member(client, member), lecture, "signup")
    html = client.get(f"/me/activities/{campaign.pk}/").content.decode()
    assert 'href="https://live.example.cn/hongyan.m3u8"' in html and "观看直播" in html and "进行中" in html
    assert f'href="{book.site_path}">{book.title}</a>' in html and "○ 未学完" in html and "读完第一章" in html
    assert f'href="/me/activities/{campaign.pk}/reflection/"' in html and "还没有提交" in html
    assert f'href="/activities/{campaign.pk}/"' in html  # the public activity's static page
    mine = client.get("/me/activities/").content.decode()  # the third member: waiting first in line
    assert "候补第 1 位" in mine and lecture.title in mine and campaign.title in mine


def test_a_live_lecture_points_to_its_replay_episode_once_it_has_begun(client, tiny_catalogue):
    from content_models.models import VideoSeriesPage

    series = VideoSeriesPage.objects.live().filter(district_only=False).first()
    episode = series.episodes.order_by("number").first()
    now = timezone.now()
    live = make_activity("白山黑水党旗红", kind=ActivityPage.LIVE, live_url="https://live.example.cn/dangshi/index.m3u8",
                         replay_page=series, replay_episode=episode.number,
                         starts_at=now - timedelta(hours=3), ends_at=now - timedelta(hours=1))
    page = as_member(client, enrol(30)).get(f"/me/activities/{live.pk}/").content.decode()
    assert f'href="{episode.site_path}"' in page and f"观看回放：{series.title} {episode.title}" in page
    assert "live.example.cn" not in page  # over: the stream is not offered any more

    series.unpublish()
    assert "观看回放" not in client.get(f"/me/activities/{live.pk}/").content.decode()


@pytest.mark.django_db
def test_a_waiting_or_cancelled_member_with_the_right_code_is_not_marked_present(client, tiny_catalogue):
    now = timezone.now()
    talk = make_activity("东北抗联精神宣讲", signup_required=True, capacity=1,
                         starts_at=now + timedelta(minutes=30), ends_at=now + timedelta(hours=2))
    first, waiting = enrol(1), enrol(2)
    post(as_member(client, first), talk, "signup")
    post(as_member(client, waiting), talk, "signup")
    told = client.get(post(client, talk, "attend", code=talk.attendance_code)["Location"]).content.decode()
    assert "您在候补名单上，未获得名额" in told and "签到成功" not in told
    post(as_member(client, first), talk, "cancel")  # the waiting member takes the place; the first has none now
    told = client.get(post(client, talk, "attend", code=talk.attendance_code)["Location"]).content.decode()
    assert "这个活动需要先报名" in told
    assert not SignUp.objects.filter(attended_at__isnull=False).exists() and not StudyRecord.objects.filter(item_id=talk.pk).exists()


@pytest.mark.django_db
def test_a_cancelled_sign_up_of_an_open_lecture_is_not_turned_into_attendance(client, tiny_catalogue):
    now = timezone.now()
    talk = make_activity("不用报名的红色故事会", signup_required=False, starts_at=now, ends_at=now + timedelta(hours=1))
    member, walk_in = enrol(1), enrol(2)
    SignUp.objects.create(activity=talk, member=member, status=SignUp.CANCELLED)  # from when it asked for sign-up
    told = client.get(post(as_member(client, member), talk, "attend", code=talk.attendance_code)["Location"]).content.decode()
    assert "这个活动需要先报名" in told and SignUp.objects.get(member=member).status == SignUp.CANCELLED
    assert SignUp.objects.get(member=member).attended_at is None
    came = client.get(post(as_member(client, walk_in), talk, "attend", code=talk.attendance_code)["Location"]).content.decode()
    assert "签到成功" in came and SignUp.objects.get(member=walk_in).attended_at is not None


@pytest.mark.django_db
def test_deleting_an_account_gives_its_place_to_the_first_waiting_member(client, lecture):
    a, b, c, d = (enrol(n) for n in range(1, 5))
    for member in (a, b, c, d):
        post(as_member(client, member), lecture, "signup")
    as_member(client, a)
    gone = client.post("/me/delete/", {"password": "dangshi-2021"})
    assert gone.status_code == 200 and "账号已注销" in gone.content.decode()
    assert statuses(lecture) == [(b.name, "confirmed"), (c.name, "confirmed"), (d.name, "waiting")]
    html = as_member(client, c).get(f"/me/activities/{lecture.pk}/").content.decode()
    assert "候补" not in html and "取消报名" in html
