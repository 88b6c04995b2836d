"""The demo's playable media: a generated video on one video episode and an audio series with a generated talk,
transcoded at once so `make demo` and the tests show the light renditions (content_models.seeding calls this)."""

from __future__ import annotations

import subprocess
import tempfile
from functools import cache
from pathlib import Path

from django.core.files.base import ContentFile
from wagtail.models import Collection

from content_models.models import AudioEpisode, AudioSeriesPage, LibraryDocument, VideoSeriesPage

from .ffmpeg import ffmpeg_exe
from .tasks import transcode

VIDEO_SERIES_SLUG = "series-0001"
AUDIO_SERIES_SLUG = "audio-0001"
CLIP_SECONDS = 4  # short: tiny seeding stays fast (the whole transcode is about a second)


@cache
def demo_clip(kind: str) -> bytes:
    """A few seconds from ffmpeg's own sources: a 854×480 test picture with a tone (MP4), or a tone alone (MP3)."""
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / ("clip.mp4" if kind == "video" else "clip.mp3")
        sources = ["-f", "lavfi", "-i", f"sine=frequency=523:duration={CLIP_SECONDS}"]
        if kind == "video":
            sources = ["-f", "lavfi", "-i", f"testsrc2=size=854x480:rate=25:duration={CLIP_SECONDS}", *sources]
            codecs = ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest"]
        else:
            codecs = ["-c:a", "libmp3lame", "-b:a", "64k"]
        subprocess.run([ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y", *sources, *codecs, str(out)], check=True)
        return out.read_bytes()


def demo_document(title: str, kind: str) -> LibraryDocument:
    collection = Collection.objects.filter(name="演示视频音频").first() or Collection.get_first_root_node().add_child(name="演示视频音频")
    document = LibraryDocument(title=title, collection=collection)
    document.file.save("demo-video.mp4" if kind == "video" else "demo-talk.mp3", ContentFile(demo_clip(kind)), save=False)
    document.save()
    return document


def add_demo_media(section, columns) -> int:
    """Give the first video series' first episode an uploaded file, and add the demo audio series (in `section`);
    each file transcoded before its page is published. Returns how many files were added."""
    added = 0
    series = VideoSeriesPage.objects.filter(slug=VIDEO_SERIES_SLUG).first()
    episode = series.episodes.order_by("number").first() if series else None
    if episode is not None and not episode.video_file_id:
        episode.video_file = demo_document(f"{series.title} {episode.title}（演示视频）", "video")
        episode.duration_seconds = 0  # the worker fills it in from the file
        episode.save()
        revision = VideoSeriesPage.objects.get(pk=series.pk).save_revision()
        transcode(episode.video_file)
        revision.refresh_from_db()
        revision.publish()
        added += 1
    if not AudioSeriesPage.objects.filter(slug=AUDIO_SERIES_SLUG).exists():
        document = demo_document("党史故事广播 第1集（演示音频）", "audio")
        page = AudioSeriesPage(
            title="党史故事广播", slug=AUDIO_SERIES_SLUG, code="YP0001", presenter="王建国", producer="长春人民广播电台",
            summary="每集十分钟，讲一个党史故事：适合在散步、做家务时收听。", live=False,
        )
        page.episodes.add(AudioEpisode(
            number=1, title="第1集 杨靖宇将军的故事", audio_file=document, duration_seconds=0,
            transcript="各位听众朋友，大家好！今天我们讲东北抗日联军杨靖宇将军的故事。",
        ))
        page.episodes.add(AudioEpisode(
            number=2, title="第2集 长春解放", audio_url="https://audio.example.cn/yp0001/02.mp3", duration_seconds=612,
            transcript="一九四八年十月，长春和平解放。",
        ))
        page.columns = columns
        section.add_child(instance=page)
        revision = page.save_revision()
        transcode(document)
        revision.refresh_from_db()
        revision.publish()
        added += 1
    return added
