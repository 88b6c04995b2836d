"""Light video and audio through the public surface: a real worker and the operators' command transcode uploaded
episode files; the API, the guarded /media/ view (with Range) and the admin report show the result."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.test import Client
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult
from wagtail.models import Collection, CollectionViewRestriction

from content_models.models import (
    AudioEpisode,
    AudioSeriesPage,
    LibraryDocument,
    SectionPage,
    VideoEpisode,
    VideoSeriesPage,
)
from site_builder.tasks import rebuild_site
from transcoding.demo import demo_clip
from transcoding.models import Transcode
from transcoding.tasks import transcode_document

pytestmark = pytest.mark.django_db


def upload(title: str, name: str, content: bytes, collection: Collection | None = None) -> LibraryDocument:
    document = LibraryDocument(title=title, collection=collection or Collection.get_first_root_node())
    document.file.save(name, ContentFile(content), save=False)
    document.full_clean()
    document.save()
    return document


def run_media_worker() -> None:
    """The media queue's worker (deploy/systemd/dangshi-media-worker.service), until the queue is empty."""
    call_command("db_worker", "--backend", "queue", "--queue-name", "media", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)


def api_series(client: Client, page_type: str = "content_models.VideoSeriesPage") -> dict[int, dict]:
    answer = client.get("/api/v2/pages/", {"type": page_type, "fields": "*", "limit": 500})
    assert answer.status_code == 200
    return {item["id"]: item for item in answer.json()["items"]}


def media_revision(client: Client, page_id: int, page_type: str = "content_models.VideoSeriesPage") -> str:
    answer = client.get("/api/v2/pages/", {"type": page_type, "fields": "_,id,media_revision", "ids": page_id})
    return answer.json()["items"][0]["media_revision"]


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


@pytest.fixture
def series(tiny_catalogue) -> VideoSeriesPage:
    """A live public video series of the demo without any uploaded file (the first one has the demo video)."""
    return VideoSeriesPage.objects.live().filter(district_only=False).exclude(slug="series-0001").order_by("pk").first()


def attach(series: VideoSeriesPage, document: LibraryDocument) -> None:
    episode = series.episodes.order_by("number").first()
    episode.video_file, episode.duration_seconds = document, 0
    episode.save()
    VideoSeriesPage.objects.get(pk=series.pk).save_revision().publish()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # the worker closes connections: no test transaction
def test_publishing_queues_the_file_and_a_real_worker_transcodes_it(client, cms_api_url, series):
    DBTaskResult.objects.all().delete()
    before = media_revision(client, series.pk)
    document = upload("延安精神专题讲座 第1集 视频", "yanan-1.mp4", demo_clip("video"))
    attach(series, document)
    assert Transcode.objects.get(document=document).status == Transcode.WAITING
    assert DBTaskResult.objects.filter(task_path=transcode_document.module_path, status=TaskResultStatus.READY).count() == 1
    # Not public yet: the API says nothing of renditions while they are being made.
    assert api_series(client)[series.pk]["episodes"][0]["media"] is None

    run_media_worker()

    row = Transcode.objects.get(document=document)
    assert (row.status, row.progress, row.error) == (Transcode.DONE, 100, "")
    assert row.duration_seconds == 4
    episode = api_series(client)[series.pk]["episodes"][0]
    assert episode["duration_seconds"] == 4  # the editor left 0: filled in from the file
    media = episode["media"]
    assert set(media) == {"poster", "low", "high", "audio", "duration_seconds"}
    assert media["low"]["url"].startswith(f"/media/transcodes/{document.pk}/") and media["low"]["url"].endswith("-360p.mp4")
    assert media["low"]["bitrate"] == 448_000 and (media["low"]["width"], media["low"]["height"]) == (640, 360)
    assert media["high"]["height"] == 480  # never scaled up: the source is 480 lines high
    assert media["audio"]["url"].endswith("-audio.m4a") and 0 < media["audio"]["bytes"] < media["low"]["bytes"]
    assert (media["poster"]["width"], media["poster"]["height"]) == (640, 360)
    # 360p at ~450 kbit/s: a 4 s clip is about 225 KB, far below the 720p one.
    assert 100_000 < media["low"]["bytes"] < 400_000 < media["high"]["bytes"]
    low = client.get(media["low"]["url"])
    assert low.status_code == 200 and low["Content-Type"] == "video/mp4" and low["Accept-Ranges"] == "bytes"
    data = body(low)
    assert len(data) == media["low"]["bytes"]
    assert data.index(b"moov") < data.index(b"mdat")  # faststart: the index first, playback starts at once
    assert body(client.get(media["poster"]["url"]))[8:12] == b"WEBP"
    # The incremental builder's cheap listing sees the change, and the site is rebuilt.
    assert media_revision(client, series.pk) not in ("", before)
    assert DBTaskResult.objects.filter(task_path=rebuild_site.module_path).exists()


def test_phones_seek_with_range_requests(client, tiny_catalogue):
    media = api_series(client)[VideoSeriesPage.objects.get(slug="series-0001").pk]["episodes"][0]["media"]
    url, size = media["low"]["url"], media["low"]["bytes"]
    whole = body(client.get(url))
    part = client.get(url, HTTP_RANGE="bytes=1000-1999")
    assert part.status_code == 206
    assert part["Content-Range"] == f"bytes 1000-1999/{size}" and part["Content-Length"] == "1000"
    assert body(part) == whole[1000:2000]
    tail = client.get(url, HTTP_RANGE="bytes=-500")
    assert tail.status_code == 206 and body(tail) == whole[-500:]
    open_ended = client.get(url, HTTP_RANGE=f"bytes={size - 10}-")
    assert body(open_ended) == whole[-10:] and open_ended["Content-Range"] == f"bytes {size - 10}-{size - 1}/{size}"
    beyond = client.get(url, HTTP_RANGE=f"bytes={size}-")
    assert beyond.status_code == 416 and beyond["Content-Range"] == f"bytes */{size}"


def test_a_truncated_file_gets_a_plain_message_and_breaks_nothing_else(client, series):
    clip = demo_clip("video")
    # The head of an MP4 whose index sits at the end: the extension sniff passes, ffmpeg cannot read it.
    document = upload("抗联精神专题讲座 第1集 视频（没传完）", "kanglian-1.mp4", clip[: len(clip) // 3])
    attach(series, document)
    call_command("transcode_media", "--document", str(document.pk), verbosity=0)
    row = Transcode.objects.get(document=document)
    assert row.status == Transcode.FAILED
    assert row.error == "文件不是能播放的视频或音频，或者已经损坏、没有传完整。请检查后重新上传。"
    assert "moov atom not found" in row.detail  # ffmpeg's own words, for the operator
    assert not list((Path(settings.MEDIA_ROOT) / "transcodes" / str(document.pk)).glob("*"))
    items = api_series(client)
    assert items[series.pk]["episodes"][0]["media"] is None
    assert items[series.pk]["episodes"][0]["video_file"]["url"] == document.file.url  # the original link stays
    # The demo's own files are untouched and still served.
    assert Transcode.objects.filter(status=Transcode.DONE).count() == 2
    # A failed file is not retried on every publish: only a new file or 「重新转码」.
    VideoSeriesPage.objects.get(pk=series.pk).save_revision().publish()
    assert Transcode.objects.get(document=document).status == Transcode.FAILED


def test_a_stopped_run_resumes_without_redoing_finished_renditions(series):
    document = upload("红旗渠精神 第1集 视频", "hongqiqu-1.mp4", demo_clip("video"))
    attach(series, document)
    call_command("transcode_media", "--document", str(document.pk), verbosity=0)
    row = Transcode.objects.get(document=document)
    low = Path(settings.MEDIA_ROOT) / row.outputs["low"]["file"]
    high = Path(settings.MEDIA_ROOT) / row.outputs["high"]["file"]
    first_low = low.stat().st_mtime_ns
    # As if the worker had stopped after the 360p rendition: 720p and the rest are gone, the row says running.
    high.unlink()
    row.status, row.outputs = Transcode.RUNNING, {"low": row.outputs["low"]}
    row.save()
    call_command("transcode_media", "--document", str(document.pk), verbosity=0)
    row.refresh_from_db()
    assert row.status == Transcode.DONE and set(row.outputs) == {"low", "high", "audio", "poster"}
    assert high.is_file() and low.stat().st_mtime_ns == first_low
    # A new file replaces the renditions: new names, the old files removed.
    document.file.save("hongqiqu-1-new.mp4", ContentFile(demo_clip("video")[:-1] + b"\x00"), save=False)
    document.save()
    call_command("transcode_media", "--document", str(document.pk), verbosity=0)
    row.refresh_from_db()
    assert not low.exists() and (Path(settings.MEDIA_ROOT) / row.outputs["low"]["file"]).is_file()


def test_renditions_are_as_private_as_their_document(client, series):
    internal = Collection.get_first_root_node().add_child(name="内部视频")
    CollectionViewRestriction.objects.create(collection=internal, restriction_type=CollectionViewRestriction.LOGIN)
    document = upload("支部书记培训 第1集 视频（内部）", "neibu-1.mp4", demo_clip("video"), internal)
    attach(series, document)
    call_command("transcode_media", "--document", str(document.pk), verbosity=0)
    files = [settings.MEDIA_URL + output["file"] for output in Transcode.objects.get(document=document).outputs.values()]
    assert len(files) == 4
    assert api_series(client)[series.pk]["episodes"][0]["media"] is None
    for url in files:
        assert client.get(url).status_code == 404
    editor = Client()
    editor.force_login(get_user_model().objects.create_superuser("bianji", "bianji@example.cn", "pw"))
    assert all(editor.get(url).status_code == 200 for url in files)
    # Out of the restricted collection: public, like the document.
    document.collection = Collection.get_first_root_node()
    document.save()
    assert api_series(client)[series.pk]["episodes"][0]["media"]["low"]["url"] in files
    assert all(client.get(url).status_code == 200 for url in files)
    # Names that look like renditions but are not this document's current ones: 404.
    assert client.get(f"/media/transcodes/{document.pk}/0000000000000000-360p.mp4").status_code == 404
    assert client.get("/media/transcodes/999999/x-360p.mp4").status_code == 404


def test_a_district_only_audio_series_keeps_its_renditions_private(client, tiny_catalogue):
    section = SectionPage.objects.exclude(district=None).order_by("pk").first()
    document = upload("南关区支部学习录音 第1集", "nanguan-1.mp3", demo_clip("audio"))
    page = AudioSeriesPage(title="南关区支部学习录音", slug="audio-nanguan", code="YP0900", district_only=True, live=False)
    page.episodes.add(AudioEpisode(number=1, title="第1集 支部书记讲党课", audio_file=document))
    section.add_child(instance=page)
    page.save_revision().publish()
    call_command("transcode_media", "--document", str(document.pk), verbosity=0)
    row = Transcode.objects.get(document=document)
    assert row.status == Transcode.DONE and set(row.outputs) == {"audio"}
    assert page.pk not in api_series(client, "content_models.AudioSeriesPage")
    assert client.get(settings.MEDIA_URL + row.outputs["audio"]["file"]).status_code == 404
    # The demo's public audio series: its talk as AAC, 48 kbit/s, mono, for 2G.
    demo = AudioSeriesPage.objects.get(slug="audio-0001")
    episodes = api_series(client, "content_models.AudioSeriesPage")[demo.pk]["episodes"]
    assert episodes[0]["media"]["audio"]["bitrate"] == 48_000 and episodes[0]["media"]["low"] is None
    assert client.get(episodes[0]["media"]["audio"]["url"])["Content-Type"] == "audio/mp4"
    assert episodes[1]["media"] is None and episodes[1]["audio_url"].startswith("https://")


def test_uploads_accept_audio_by_content_and_are_size_capped(settings, tiny_catalogue):
    from django.core.exceptions import ValidationError

    upload("党史故事 第3集", "gushi-3.m4a", Path(settings.MEDIA_ROOT, Transcode.objects.filter(outputs__has_key="audio").first().outputs["audio"]["file"]).read_bytes())
    with pytest.raises(ValidationError) as refused:
        upload("党史故事 第4集", "gushi-4.wav", demo_clip("audio"))  # an MP3 renamed .wav
    assert "文件内容与扩展名 .wav 不符" in str(refused.value)
    settings.WAGTAILDOCS_MAX_UPLOAD_SIZE = 10_000
    with pytest.raises(ValidationError) as too_big:
        upload("延安精神 第5集 视频", "yanan-5.mp4", demo_clip("video"))
    assert "文件太大" in str(too_big.value) and "上限是" in str(too_big.value)


def test_admin_report_shows_progress_and_errors_and_retranscodes(admin_client_zh, series, django_capture_on_commit_callbacks):
    document = upload("井冈山精神 第1集 视频（损坏）", "jinggangshan-1.mp4", demo_clip("video")[:5000])
    attach(series, document)
    call_command("transcode_media", "--document", str(document.pk), verbosity=0)
    page = admin_client_zh.get("/admin/transcoding/").content.decode()
    assert "视频音频转码" in page and "井冈山精神 第1集 视频（损坏）" in page and "没有传完整" in page
    assert "重新转码" in page and "已完成" in page
    DBTaskResult.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        answer = admin_client_zh.post(f"/admin/transcoding/{document.pk}/retranscode/")
    assert answer.status_code == 302
    assert Transcode.objects.get(document=document).status == Transcode.WAITING
    assert DBTaskResult.objects.filter(task_path=transcode_document.module_path).count() == 1
    assert Client().get("/admin/transcoding/").status_code == 302  # to the login page


def test_the_api_resolves_every_episodes_media_in_bulk(client, series):
    """No query per episode: a listing of series asks the same number of queries with 1 or 6 transcoded episodes."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def count(fields: str) -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/api/v2/pages/", {"type": "content_models.VideoSeriesPage", "fields": fields}).status_code == 200
        return len(queries)

    count("*")  # the first answer also stores the demo documents' file sizes (Wagtail does that once)
    before = (count("*"), count("_,id,media_revision"))
    page = VideoSeriesPage.objects.get(pk=series.pk)
    for number in range(50, 55):
        document = upload(f"延安精神专题讲座 第{number}集 视频", f"yanan-{number}.mp4", demo_clip("video"))
        page.episodes.add(VideoEpisode(number=number, title=f"第{number}集 延安精神的时代价值", video_file=document))
    page.save_revision().publish()
    call_command("transcode_media", verbosity=0)
    assert Transcode.objects.filter(status=Transcode.DONE).count() == 2 + 5
    assert all(e["media"] for e in api_series(client)[series.pk]["episodes"] if e["number"] >= 50)  # (and file sizes)
    assert (count("*"), count("_,id,media_revision")) == before
