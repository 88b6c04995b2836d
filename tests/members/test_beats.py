"""POST /api/learning/beats over HTTP: who may send beats, which are credited, and what they earn."""

from __future__ import annotations

import gzip
import json
import re
import threading
import uuid
from datetime import timedelta

import pytest
import requests
from django.conf import settings
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from content_models.models import EBookPage, NewsPage, VideoSeriesPage
from content_models.taxonomy import District
from members.models import BeatReceipt, Member, PointAward, PointRule, StudyRecord
from reading.models import DocumentProcessing

URL = "/api/learning/beats"
ORIGIN = "http://testserver"
PASSWORD = "xuexi-2026-nanguan"


def enrol(phone: str = "13900000101", district: District | None = None) -> Member:
    member = Member(name="王秀英", phone=phone, district=district or District.objects.get(name="南关区"))
    member.set_password(PASSWORD)
    member.save()
    return member


def logged_in(member: Member) -> Client:
    client = Client()
    response = client.post("/me/login/", {"phone": member.phone, "password": PASSWORD})
    assert response.status_code == 302, response.content.decode()
    return client


def send(client: Client, page: int, *, seconds: int = 30, beat: str | None = None, position: int | None = None,
         origin: str | None = ORIGIN, content_type: str = "text/plain;charset=UTF-8"):
    body = {"page": page, "seconds": seconds, "beat": beat or str(uuid.uuid4())}
    if position is not None:
        body["position"] = position
    headers = {"HTTP_ORIGIN": origin} if origin else {}
    return client.post(URL, json.dumps(body), content_type=content_type, **headers)


def credited(member: Member, item_id: int | None = None) -> int:
    rows = StudyRecord.objects.filter(member=member)
    if item_id is not None:
        rows = rows.filter(item_id=item_id)
    return sum(rows.values_list("seconds", flat=True))


def a_minute_later(member: Member) -> None:
    """As if the member's last credited beat came a minute ago (the interval is about real time)."""
    Member.objects.filter(pk=member.pk).update(last_beat_at=timezone.now() - timedelta(seconds=60))


def public_book() -> EBookPage:
    return EBookPage.objects.live().filter(district_only=False).order_by("pk").first()


@pytest.fixture
def member(tiny_catalogue) -> Member:
    return enrol()


def test_a_logged_in_member_s_beat_is_credited_to_the_item_and_day_and_the_answer_is_204(member):
    book = public_book()
    response = send(logged_in(member), book.pk, position=3)
    assert response.status_code == 204
    assert response["Cache-Control"] == "private, no-store"
    record = StudyRecord.objects.get(member=member)
    assert (record.item_id, record.day, record.seconds, record.position) == (book.pk, timezone.localdate(), 30, 3)
    assert record.district == member.district


def test_a_trailing_slash_and_a_json_blob_are_accepted_too(member):
    client = logged_in(member)
    response = client.post(URL + "/", json.dumps({"page": public_book().pk, "seconds": 30, "beat": str(uuid.uuid4())}),
                           content_type="application/json", HTTP_ORIGIN=ORIGIN)
    assert response.status_code == 204
    assert credited(member) == 30


def test_anonymous_callers_get_401_and_nothing_is_stored(tiny_catalogue):
    history = list(StudyRecord.objects.values_list("pk", "seconds"))  # the demo member's seeded history
    response = send(Client(), public_book().pk)
    assert response.status_code == 401
    assert "登录" in response.json()["error"]
    assert list(StudyRecord.objects.values_list("pk", "seconds")) == history and not BeatReceipt.objects.exists()


@pytest.mark.parametrize("origin", [None, "https://evil.example.com", "null"])
def test_a_missing_or_foreign_origin_gets_403(member, origin):
    response = send(logged_in(member), public_book().pk, origin=origin)
    assert response.status_code == 403
    assert "本站" in response.json()["error"]
    assert credited(member) == 0


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ("{不是 JSON", "JSON"),
        ("[1, 2]", "JSON 对象"),
        (json.dumps({"seconds": 30, "beat": str(uuid.uuid4())}), "资源编号"),
        (json.dumps({"page": 5, "seconds": "30", "beat": str(uuid.uuid4())}), "学习秒数"),
        (json.dumps({"page": 5, "seconds": 30, "beat": "123"}), "编号"),
        (json.dumps({"page": 5, "seconds": 30, "beat": str(uuid.uuid4()), "position": -2}), "位置"),
        (json.dumps({"page": 2**40, "seconds": 30, "beat": str(uuid.uuid4())}), "资源编号"),
        (json.dumps({"page": 5, "seconds": 30, "beat": str(uuid.uuid4()), "position": 2**40}), "位置"),
        (json.dumps({"page": 5, "seconds": 30, "beat": str(uuid.uuid4()), "pad": "学" * 400}), "1 KB"),
    ],
)
def test_malformed_beats_get_400_with_a_chinese_message(member, body, words):
    response = logged_in(member).post(URL, body, content_type="text/plain", HTTP_ORIGIN=ORIGIN)
    assert response.status_code == 400
    assert words in response.json()["error"]
    assert credited(member) == 0


def test_a_replayed_beat_is_not_credited_again(member):
    client, beat, book = logged_in(member), str(uuid.uuid4()), public_book()
    assert send(client, book.pk, beat=beat).status_code == 204
    a_minute_later(member)
    assert send(client, book.pk, beat=beat).status_code == 204
    assert credited(member) == 30


def test_two_beats_less_than_25_seconds_apart_credit_one_and_a_later_one_counts(member):
    client, book = logged_in(member), public_book()
    assert send(client, book.pk).status_code == 204
    assert send(client, book.pk).status_code == 204
    assert credited(member) == 30
    a_minute_later(member)
    send(client, book.pk)
    assert credited(member) == 60


def test_seconds_are_clamped_to_1_to_30(member):
    client, book = logged_in(member), public_book()
    send(client, book.pk, seconds=3600)
    a_minute_later(member)
    send(client, book.pk, seconds=0)
    assert credited(member) == 31


def test_the_day_cap_holds_exactly(member, settings):
    settings.STUDY_DAY_CAP_SECONDS = 70
    client, book = logged_in(member), public_book()
    for _ in range(4):
        send(client, book.pk)
        a_minute_later(member)
    assert credited(member) == 70
    member.refresh_from_db()
    assert (member.credited_day, member.credited_day_seconds) == (timezone.localdate(), 70)


def test_yesterday_s_credit_does_not_count_against_today_s_cap(member, settings):
    settings.STUDY_DAY_CAP_SECONDS = 30
    Member.objects.filter(pk=member.pk).update(credited_day=timezone.localdate() - timedelta(days=1), credited_day_seconds=30)
    send(logged_in(member), public_book().pk)
    assert credited(member) == 30


def test_a_district_only_item_counts_for_its_district_s_members_only(member):
    notice = NewsPage.objects.live().filter(district_only=True).select_related("district").first()
    other = District.objects.exclude(pk=notice.district_id).first()
    stranger, neighbour = enrol("13900000102", other), enrol("13900000103", notice.district)
    send(logged_in(stranger), notice.pk)
    send(logged_in(neighbour), notice.pk)
    assert credited(stranger) == 0
    assert credited(neighbour, notice.pk) == 30


def test_drafts_restricted_and_unknown_items_are_not_credited(member):
    draft = EBookPage.objects.filter(live=False).first()
    client = logged_in(member)
    for page in (draft.pk, 999_999):
        send(client, page)
        a_minute_later(member)
    book = public_book()
    book.view_restrictions.create(restriction_type="password", password="neibu")
    send(client, book.pk)
    assert credited(member) == 0


def test_the_position_is_saved_and_updated_on_the_day_s_row(member):
    client, book = logged_in(member), public_book()
    send(client, book.pk, position=4)
    a_minute_later(member)
    send(client, book.pk, position=9)
    a_minute_later(member)
    send(client, book.pk)  # no position: the last one stays
    record = StudyRecord.objects.get(member=member, item_id=book.pk)
    assert (record.seconds, record.position) == (90, 9)


def test_study_points_appear_as_the_minutes_grow(member, settings):
    settings.STUDY_BEAT_MIN_INTERVAL_SECONDS = 0
    PointRule.objects.create(kind=PointRule.STUDY, points=2, per_minutes=1, valid_from=timezone.localdate())
    client, book = logged_in(member), public_book()
    send(client, book.pk)
    assert not PointAward.objects.filter(member=member).exists()
    for _ in range(3):
        send(client, book.pk)
    award = PointAward.objects.get(member=member, kind=PointRule.STUDY)
    assert (award.key, award.points) == (f"study:{timezone.localdate().isoformat()}", 4)


def test_reaching_a_book_s_last_reader_page_earns_the_finished_points(member):
    PointRule.objects.create(kind=PointRule.FINISHED, points=7, valid_from=timezone.localdate())
    book = EBookPage.objects.live().filter(district_only=False, document__isnull=False).order_by("pk").first()
    last = DocumentProcessing.objects.get(document_id=book.document_id, status=DocumentProcessing.DONE).page_count
    client = logged_in(member)
    send(client, book.pk, position=last - 1)
    assert not PointAward.objects.filter(member=member, kind=PointRule.FINISHED).exists()
    a_minute_later(member)
    send(client, book.pk, position=last)
    award = PointAward.objects.get(member=member, kind=PointRule.FINISHED)
    assert (award.key, award.points) == (f"finished:{book.pk}", 7)


def test_a_series_is_finished_at_80_percent_of_its_running_time_and_not_when_a_duration_is_unknown(member):
    PointRule.objects.create(kind=PointRule.FINISHED, points=7, valid_from=timezone.localdate())
    series = VideoSeriesPage.objects.live().filter(district_only=False).order_by("pk").first()
    episodes = list(series.episodes.all())
    total = 50 * len(episodes)  # 80 % of it in 30-second beats
    for episode in episodes:  # as an editor saves them
        episode.duration_seconds = 50
        episode.save()
    client = logged_in(member)
    beats_needed = -(-int(0.8 * total) // 30)
    for _ in range(beats_needed - 1):
        send(client, series.pk, position=12)
        a_minute_later(member)
    assert not PointAward.objects.filter(member=member, kind=PointRule.FINISHED).exists()
    episodes[0].duration_seconds = 0
    episodes[0].save()
    send(client, series.pk)
    a_minute_later(member)
    assert not PointAward.objects.filter(member=member, kind=PointRule.FINISHED).exists()
    episodes[0].duration_seconds = 50
    episodes[0].save()
    send(client, series.pk)
    award = PointAward.objects.get(member=member, kind=PointRule.FINISHED)
    assert (award.key, award.points) == (f"finished:{series.pk}", 7)


def test_learning_js_stays_within_2_kb_gzipped():
    script = (settings.BASE_DIR / "themes" / "default" / "static" / "learning.js").read_bytes()
    assert len(gzip.compress(script, 9)) <= 2048


def test_prune_learning_forgets_old_beat_ids_only(member):
    now = timezone.now()
    old, fresh = uuid.uuid4(), uuid.uuid4()
    BeatReceipt.objects.create(beat=old, received_at=now - timedelta(days=3))
    BeatReceipt.objects.create(beat=fresh, received_at=now - timedelta(hours=1))
    call_command("prune_learning", verbosity=0)
    assert list(BeatReceipt.objects.values_list("beat", flat=True)) == [fresh]


def test_concurrent_beats_from_one_member_credit_at_most_one(cms_api_url, live_server):
    member = enrol()
    session = requests.Session()
    form = session.get(live_server.url + "/me/login/", timeout=30).text
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form).group(1)
    login = session.post(live_server.url + "/me/login/", {"phone": member.phone, "password": PASSWORD, "csrfmiddlewaretoken": token},
                         headers={"Origin": live_server.url, "Referer": live_server.url + "/me/login/"}, allow_redirects=False, timeout=30)
    assert login.status_code == 302
    book, statuses = public_book(), []
    start = threading.Barrier(8)

    def fire() -> None:
        body = json.dumps({"page": book.pk, "seconds": 30, "beat": str(uuid.uuid4())})
        start.wait()
        answer = requests.post(live_server.url + URL, data=body, cookies=session.cookies,
                               headers={"Origin": live_server.url, "Content-Type": "text/plain"}, timeout=30)
        statuses.append(answer.status_code)

    threads = [threading.Thread(target=fire) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert statuses == [204] * 8
    assert credited(member) == 30
    assert BeatReceipt.objects.count() == 8
