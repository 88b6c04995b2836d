"""学习心得 through HTTP: the member's page and form (text, photos, voice), every refusal in plain Chinese, photos
re-encoded without EXIF/GPS, voice measured, one pending per activity, the hourly cap, and the private files
reachable only by their member (and, in test_review, their organisers)."""

from __future__ import annotations

import io
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from PIL import Image

from activities.models import ActivityPage, Reflection, ReflectionFile
from content_models.models import District
from members.archive import delete_member
from members.models import Member
from tests.activities.helpers import make_activity as publish_activity
from transcoding.ffmpeg import Probe, ffmpeg_exe

PASSWORD = "dangshi-demo-2021"
ORIGIN = {"HTTP_ORIGIN": "http://testserver"}


def make_activity(district: str | None = None, *, ends_in: timedelta = timedelta(days=10),
                  title: str = "书香社区·全民爱阅读征文", **fields) -> ActivityPage:
    """A published essay activity (started yesterday) in the city section or a district's."""
    now = timezone.now()
    return publish_activity(
        title, district, kind=ActivityPage.ESSAY, starts_at=min(now, now + ends_in) - timedelta(days=1),
        ends_at=now + ends_in, requires_reflection=True, points=20, summary="围绕党史学习写一写自己的心得体会。", **fields,
    )


def member_in(district: str, phone: str, name: str = "李卫东") -> Member:
    member = Member(name=name, phone=phone, district=District.objects.get(slug=district))
    member.set_password(PASSWORD)
    member.save()
    return member


def logged_in(phone: str = "13900000001") -> Client:
    client = Client()
    response = client.post("/me/login/", {"phone": phone, "password": PASSWORD})
    assert response.status_code == 302, response.content.decode()[:500]
    return client


def photo(name: str = "shouxie.jpg", size: tuple[int, int] = (400, 200)) -> SimpleUploadedFile:
    """A JPEG as a phone takes it: turned by EXIF orientation 6 and carrying a GPS position."""
    image = Image.new("RGB", size, (200, 30, 30))
    exif = Image.Exif()
    exif[0x0112] = 6
    exif.get_ifd(0x8825).update({1: "N", 2: (43.0, 53.0, 0.0), 3: "E", 4: (125.0, 19.0, 0.0)})
    data = io.BytesIO()
    image.save(data, "JPEG", exif=exif.tobytes())
    return SimpleUploadedFile(name, data.getvalue(), content_type="image/jpeg")


@pytest.fixture(scope="session")
def voice_bytes(tmp_path_factory) -> bytes:
    """Three seconds of a 440 Hz tone as AAC, made by the ffmpeg the project uses."""
    target = tmp_path_factory.mktemp("voice") / "luyin.m4a"
    subprocess.run([ffmpeg_exe(), "-v", "error", "-f", "lavfi", "-i", "sine=frequency=440:duration=3", str(target)], check=True)
    return target.read_bytes()


@pytest.fixture(scope="session")
def recorder_bytes() -> bytes:
    """Three seconds of Opus in WebM written to a pipe, as a browser's MediaRecorder gives it: no duration in the header."""
    command = [ffmpeg_exe(), "-v", "error", "-f", "lavfi", "-i", "sine=frequency=330:duration=3", "-c:a", "libopus", "-f", "webm", "pipe:1"]
    return subprocess.run(command, check=True, capture_output=True).stdout


def voice(data: bytes, name: str = "luyin.m4a") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="audio/mp4")


def submit(client: Client, activity: ActivityPage, **data):
    return client.post(f"/me/activities/{activity.pk}/reflection/", data, **ORIGIN)


def stored(row: ReflectionFile) -> Path:
    return Path(settings.PRIVATE_UPLOAD_ROOT) / row.file.name


@pytest.fixture
def essay(tiny_catalogue) -> ActivityPage:
    return make_activity()


def test_anonymous_visitors_are_sent_to_the_login_form(client, essay):
    response = client.get(f"/me/activities/{essay.pk}/reflection/")
    assert response.status_code == 302
    assert response["Location"] == f"/me/login/?next=%2Fme%2Factivities%2F{essay.pk}%2Freflection%2F"


def test_the_page_offers_three_plain_ways_and_consent(essay):
    client = logged_in()
    response = client.get(f"/me/activities/{essay.pk}/reflection/")
    page = response.content.decode()
    assert response.status_code == 200 and response["Cache-Control"] == "private, no-store"
    for words in ("写文字", "拍照上传手写心得", "录一段语音", "同意在活动页面公开展示（只显示姓氏和社区）", "书香社区·全民爱阅读征文"):
        assert words in page
    # One input per sheet (the camera takes one picture per input with `capture`), up to REFLECTION_PHOTOS_MAX.
    assert page.count('name="photos" type="file" accept="image/*" capture="environment"') == 6
    assert "再拍一张（第 2 张）" in page and "再拍一张（第 6 张）" in page and " multiple" not in page
    assert "照片和录音加起来一次最多 30 MB" in page and "每张不超过 10 MB" in page
    assert 'name="voice" type="file" accept="audio/*" capture' in page
    assert 'enctype="multipart/form-data"' in page and 'name="csrfmiddlewaretoken"' in page
    assert '<script src="/assets/recorder.' in page  # the builder's hashed copy, on this page only


def test_a_typed_reflection_is_stored_and_shown_as_waiting(essay):
    client = logged_in()
    response = submit(client, essay, text="重温红色家书，更加坚定了理想信念。", consent="1")
    assert response.status_code == 303 and response["Location"].endswith("?sent=1")
    reflection = Reflection.objects.get(activity=essay)
    assert (reflection.form, reflection.status, reflection.consent_to_publish) == ("text", "submitted", True)
    assert reflection.member.phone == "13900000001"
    page = client.get(response["Location"]).content.decode()
    assert "心得已提交" in page and "待审核" in page and "重温红色家书" in page
    assert "正在等待审核" in page and 'id="reflection-form"' not in page  # one waiting at a time


def test_photos_are_upright_small_jpegs_without_exif_or_gps(essay):
    client = logged_in()
    big = photo("da.jpg", (3000, 1000))
    response = submit(client, essay, photos=[photo(), big])
    assert response.status_code == 303, response.content.decode()
    reflection = Reflection.objects.get(activity=essay)
    assert reflection.form == "photo"
    first, second = reflection.files.all()
    for row in (first, second):
        path = stored(row)
        assert row.content_type == "image/jpeg" and row.size == path.stat().st_size
        assert not str(path).startswith(str(settings.MEDIA_ROOT))
        with Image.open(path) as image:
            assert image.format == "JPEG"
            assert not image.getexif() and "exif" not in image.info
    with Image.open(stored(first)) as image:
        assert image.size == (200, 400)  # orientation 6 applied
    with Image.open(stored(second)) as image:
        assert image.size == (667, 2000)  # turned, then the longest side brought to 2000


def test_a_voice_recording_is_kept_as_aac_with_its_length(essay, voice_bytes):
    client = logged_in()
    response = submit(client, essay, voice=voice(voice_bytes, "luyin.webm"), text="补充几句。")
    assert response.status_code == 303, response.content.decode()
    reflection = Reflection.objects.get(activity=essay)
    assert reflection.form == "voice" and reflection.text == "补充几句。"
    row = reflection.files.get()
    assert row.content_type == "audio/mp4" and row.file.name.endswith(".m4a") and row.duration_seconds == 3
    page = client.get(f"/me/activities/{essay.pk}/reflection/").content.decode()
    assert f'<audio controls preload="none" src="/me/reflection-files/{row.pk}/">' in page


def test_a_browser_recording_without_a_duration_is_measured_after_transcoding(essay, recorder_bytes):
    response = submit(logged_in(), essay, voice=SimpleUploadedFile("luyin.webm", recorder_bytes, "audio/webm"))
    assert response.status_code == 303, response.content.decode()
    row = ReflectionFile.objects.get()
    assert row.content_type == "audio/mp4" and row.duration_seconds == 3


@pytest.mark.parametrize(("data", "message"), [
    ({}, "请写几句话，或者拍一张手写心得的照片，或者录一段语音。"),
    ({"text": "心" * 5001}, "文字心得不能超过 5000 字，现在是 5001 字。"),
    ({"photos": [SimpleUploadedFile("a.jpg", b"\xff\xd8 not really a jpeg", "image/jpeg")]}, "第 1 张不是图片文件"),
    ({"photos": [SimpleUploadedFile("a.txt", "党史学习心得".encode(), "text/plain")]}, "第 1 张不是图片文件"),
    ({"voice": SimpleUploadedFile("a.m4a", b"not audio at all" * 100, "audio/mp4")}, "这不是语音文件"),
])
def test_bad_submissions_are_refused_plainly_and_nothing_is_kept(essay, data, message):
    client = logged_in()
    response = submit(client, essay, **data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Reflection.objects.exists() and not ReflectionFile.objects.exists()


def test_too_many_or_too_big_photos_are_refused(essay, settings):
    before = set(Path(settings.PRIVATE_UPLOAD_ROOT).rglob("*"))
    client = logged_in()
    response = submit(client, essay, photos=[photo(f"{n}.jpg") for n in range(7)])
    assert response.status_code == 400 and "照片最多 6 张，请去掉 1 张再提交。" in response.content.decode()
    settings.REFLECTION_PHOTO_MAX_BYTES = 10 * 1024 * 1024
    huge = SimpleUploadedFile("huge.jpg", b"\xff" * (10 * 1024 * 1024 + 1), "image/jpeg")
    response = submit(client, essay, photos=[photo(), huge])
    assert response.status_code == 400 and "第 2 张照片太大，请不超过 10 MB。" in response.content.decode()
    assert not Reflection.objects.exists() and set(Path(settings.PRIVATE_UPLOAD_ROOT).rglob("*")) == before


def test_a_decompression_bomb_is_refused(essay, monkeypatch):
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 10_000)
    response = submit(logged_in(), essay, photos=[photo(size=(400, 200))])
    assert response.status_code == 400 and "第 1 张照片的像素太多" in response.content.decode()
    assert not Reflection.objects.exists()


def test_only_a_recording_clearly_over_the_limit_is_refused(essay, settings, voice_bytes, tmp_path):
    settings.REFLECTION_VOICE_MAX_SECONDS = 2
    long_one = tmp_path / "long.m4a"
    subprocess.run([ffmpeg_exe(), "-v", "error", "-f", "lavfi", "-i", "sine=frequency=440:duration=13", str(long_one)], check=True)
    response = submit(logged_in(), essay, voice=voice(long_one.read_bytes()))  # 13 s: more than 10 s over the 2 s limit
    assert response.status_code == 400 and "语音不能超过 2 秒。" in response.content.decode()
    assert not Reflection.objects.exists()
    # 3 s, a second over (stopped late by hand): kept whole
    assert submit(logged_in(), essay, voice=voice(voice_bytes)).status_code == 303
    assert ReflectionFile.objects.get().duration_seconds == 3
    Reflection.objects.all().delete()
    settings.REFLECTION_VOICE_MAX_SECONDS = 5 * 60
    settings.REFLECTION_VOICE_MAX_BYTES = 1000
    response = submit(logged_in(), essay, voice=voice(voice_bytes))
    assert response.status_code == 400 and "语音文件太大" in response.content.decode()
    assert not Reflection.objects.exists()


def test_a_minute_limit_speaks_in_minutes(essay, voice_bytes, monkeypatch):
    from activities import reflections

    monkeypatch.setattr(reflections, "probe", lambda path, options: Probe(duration=311.0, width=0, height=0, has_audio=True))
    response = submit(logged_in(), essay, voice=voice(voice_bytes))
    assert response.status_code == 400 and "语音不能超过 5 分钟" in response.content.decode()


def test_a_picture_of_too_many_pixels_is_refused_from_its_header(essay):
    data = io.BytesIO()
    Image.new("1", (8000, 6000)).save(data, "PNG")  # 48 megapixels in a few kilobytes
    response = submit(logged_in(), essay, photos=[photo(), SimpleUploadedFile("da.png", data.getvalue(), "image/png")])
    assert response.status_code == 400 and "第 2 张照片的像素太多" in response.content.decode()
    assert not Reflection.objects.exists()


def test_three_sheets_from_three_inputs_are_all_stored(essay):
    # What a browser sends for three file inputs of one name: three parts named photos.
    response = submit(logged_in(), essay, photos=[photo("1.jpg"), photo("2.jpg", (300, 500)), photo("3.jpg", (500, 300))])
    assert response.status_code == 303
    rows = list(ReflectionFile.objects.order_by("sort_order"))
    assert [row.content_type for row in rows] == ["image/jpeg"] * 3 and Reflection.objects.get().form == Reflection.PHOTO
    assert [Image.open(stored(row)).size for row in rows] == [(200, 400), (500, 300), (300, 500)]


def test_a_form_over_the_total_size_is_refused_before_decoding(essay, settings):
    settings.REFLECTION_MAX_TOTAL_BYTES = 3 * 1024 * 1024
    big = SimpleUploadedFile("big.jpg", b"\xff" * (2 * 1024 * 1024), "image/jpeg")
    response = submit(logged_in(), essay, photos=[big, SimpleUploadedFile("big2.jpg", b"\xff" * (2 * 1024 * 1024), "image/jpeg")])
    assert response.status_code == 413
    assert "照片和录音加起来太大了，一次最多 3 MB。请少传几张照片，或者把录音分两次提交。" in response.content.decode()
    assert not Reflection.objects.exists()


@pytest.mark.parametrize("name", ["hls", "mpegts"])
def test_only_audio_files_reach_the_transcoder(essay, voice_bytes, tmp_path, name):
    # A playlist naming a file on the server, or a container no phone records into: never read.
    local = tmp_path / "luyin.m4a"
    local.write_bytes(voice_bytes)
    if name == "hls":
        data = f"#EXTM3U\n#EXT-X-TARGETDURATION:3\n#EXTINF:3.0,\n{local}\n#EXT-X-ENDLIST\n".encode()
    else:
        command = [ffmpeg_exe(), "-v", "error", "-f", "lavfi", "-i", "sine=duration=3", "-f", "mpegts", "pipe:1"]
        data = subprocess.run(command, check=True, capture_output=True).stdout
    response = submit(logged_in(), essay, voice=voice(data, "luyin.m3u8"))
    assert response.status_code == 400 and "这不是语音文件，或者录音已经损坏，请重新录一段。" in response.content.decode()
    assert not Reflection.objects.exists()


def test_a_photo_without_consent_and_a_second_while_one_waits(essay):
    client = logged_in()
    assert submit(client, essay, photos=[photo()]).status_code == 303
    assert Reflection.objects.get().consent_to_publish is False
    response = submit(client, essay, text="再交一份。")
    assert response.status_code == 400 and "正在等待审核" in response.content.decode()
    assert Reflection.objects.count() == 1


def test_a_returned_reflection_can_be_submitted_again(essay):
    client = logged_in()
    submit(client, essay, text="第一稿。")
    Reflection.objects.update(status=Reflection.RETURNED, comment="请结合红色家书再写具体一些。")
    page = client.get(f"/me/activities/{essay.pk}/reflection/").content.decode()
    assert "已退回" in page and "请结合红色家书再写具体一些。" in page and 'id="reflection-form"' in page
    assert submit(client, essay, text="第二稿：读了杨靖宇将军的家书……").status_code == 303
    assert Reflection.objects.filter(status=Reflection.SUBMITTED).count() == 1


def test_activities_long_over_or_not_yet_started_take_no_reflections(tiny_catalogue):
    over = make_activity(ends_in=timedelta(days=-8), title="去年冬季红色历史学习")
    client = logged_in()
    page = client.get(f"/me/activities/{over.pk}/reflection/").content.decode()
    assert "活动已经结束" in page and 'id="reflection-form"' not in page
    response = submit(client, over, text="迟到的心得。")
    assert response.status_code == 400 and "活动已经结束超过 7 天，不能再提交心得了。" in response.content.decode()
    recent = make_activity(ends_in=timedelta(days=-6), title="刚结束的征文")
    assert submit(client, recent, text="赶上了。").status_code == 303
    later = make_activity(title="下个月的征文")
    ActivityPage.objects.filter(pk=later.pk).update(starts_at=timezone.now() + timedelta(days=3))
    response = submit(client, later, text="太早了。")
    assert response.status_code == 400 and "活动还没有开始" in response.content.decode()


def test_the_hourly_cap_answers_429(tiny_catalogue):
    client = logged_in()
    member = Member.objects.get(phone="13900000001")
    for n in range(10):
        Reflection.objects.create(activity=make_activity(title=f"征文{n}"), member=member, form="text", text="旧的。",
                                  status=Reflection.RETURNED)
    response = submit(client, make_activity(title="第十一次"), text="一小时内第十一份。")
    assert response.status_code == 429 and "请过一个小时再试" in response.content.decode()


def test_a_foreign_origin_or_a_missing_csrf_token_is_refused(essay):
    client = logged_in()
    response = client.post(f"/me/activities/{essay.pk}/reflection/", {"text": "跨站提交。"}, HTTP_ORIGIN="https://evil.example")
    assert response.status_code == 403
    response = client.post(f"/me/activities/{essay.pk}/reflection/", {"text": "跨站提交。"}, HTTP_REFERER="https://evil.example/x")
    assert response.status_code == 403 and "请从本网站的心得页面提交" in response.content.decode()
    strict = Client(enforce_csrf_checks=True)
    strict.cookies = client.cookies
    response = strict.post(f"/me/activities/{essay.pk}/reflection/", {"text": "没有令牌。"}, **ORIGIN)
    assert response.status_code == 403
    assert not Reflection.objects.exists()
    # an older phone browser that sends no Origin on a same-origin form but does send the Referer
    response = client.post(f"/me/activities/{essay.pk}/reflection/", {"text": "老手机提交。"},
                           HTTP_REFERER=f"http://testserver/me/activities/{essay.pk}/reflection/")
    assert response.status_code == 303 and Reflection.objects.get().text == "老手机提交。"


def test_another_districts_only_activity_is_a_404(tiny_catalogue):
    kuancheng_only = make_activity("kuancheng", district_only=True, title="宽城区内部征文")
    client = logged_in()  # 王建国, 南关区
    assert client.get(f"/me/activities/{kuancheng_only.pk}/reflection/").status_code == 404
    assert submit(client, kuancheng_only, text="不该收下。").status_code == 404
    own = make_activity("nanguan", district_only=True, title="南关区内部征文")
    assert client.get(f"/me/activities/{own.pk}/reflection/").status_code == 200
    assert not Reflection.objects.exists()


def test_files_reach_their_member_and_nobody_else(essay, client):
    owner = logged_in()
    submit(owner, essay, photos=[photo()])
    row = ReflectionFile.objects.get()
    url = f"/me/reflection-files/{row.pk}/"
    response = owner.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert response["Cache-Control"] == "private, no-store" and response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"] == f'inline; filename="xinde-{row.pk}.jpg"'
    assert b"".join(response.streaming_content) == stored(row).read_bytes()
    assert response["Accept-Ranges"] == "bytes"
    part = owner.get(url, HTTP_RANGE="bytes=0-99")  # Safari plays a voice 心得 only from a server answering ranges
    assert part.status_code == 206 and part["Content-Range"].startswith("bytes 0-99/")
    assert b"".join(part.streaming_content) == stored(row).read_bytes()[:100]
    member_in("nanguan", "13900000009", "赵淑芬")
    assert logged_in("13900000009").get(url).status_code == 404  # same district, not hers
    assert client.get(url).status_code == 404
    assert client.get("/me/reflection-files/999999/").status_code == 404
    assert client.get(f"/media/{row.file.name}").status_code == 404  # never under MEDIA_ROOT


def test_deleting_the_account_removes_the_files(essay, voice_bytes, django_capture_on_commit_callbacks):
    client = logged_in()
    submit(client, essay, photos=[photo()], voice=voice(voice_bytes))
    paths = [stored(row) for row in ReflectionFile.objects.all()]
    assert len(paths) == 2 and all(path.exists() for path in paths)
    with django_capture_on_commit_callbacks(execute=True):
        delete_member(Member.objects.get(phone="13900000001"))
    assert not Reflection.objects.exists() and not any(path.exists() for path in paths)


def test_a_published_reflection_on_a_district_only_activity_reaches_that_districts_members(tiny_catalogue, client):
    own = make_activity("nanguan", district_only=True, title="南关区内部征文")
    submit(logged_in(), own, photos=[photo()], consent="1")  # 王建国, 南关区
    url = f"/me/reflection-files/{ReflectionFile.objects.get().pk}/"
    member_in("nanguan", "13900000009", "赵淑芬")
    member_in("kuancheng", "13900000010", "孙桂兰")
    assert logged_in("13900000009").get(url).status_code == 404  # not yet accepted and published
    Reflection.objects.update(status=Reflection.ACCEPTED, published=True)
    response = logged_in("13900000009").get(url)
    assert response.status_code == 200 and response["Cache-Control"] == "private, no-store"
    assert response["Content-Type"] == "image/jpeg"
    assert logged_in("13900000010").get(url).status_code == 404  # another district's member
    assert client.get(url).status_code == 404  # nobody signed in
    Reflection.objects.update(consent_to_publish=False)
    assert logged_in("13900000009").get(url).status_code == 404
