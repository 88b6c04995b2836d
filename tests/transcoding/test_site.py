"""The built site's video and audio episode pages, from the tiny demo over real HTTP: only a poster loads until play,
「流畅 / 高清 / 只听声音」 are plain links, and an incremental build picks up a transcode that finished later."""

from __future__ import annotations

import gzip
import re
from pathlib import Path

from django.core.files.base import ContentFile
from django.core.management import call_command
from wagtail.models import Collection

from content_models.models import AudioSeriesPage, LibraryDocument, VideoSeriesPage
from site_builder.build import build_site
from transcoding.demo import demo_clip
from transcoding.models import Transcode


def page(site: Path, path: str) -> str:
    return (site / path.lstrip("/") / "index.html").read_text(encoding="utf-8")


def test_episode_pages_load_only_a_poster_and_offer_light_renditions_as_links(cms_api_url, tmp_path):
    site = tmp_path / "site"
    build_site(cms_api_url, site)
    series = VideoSeriesPage.objects.get(slug="series-0001")
    row = Transcode.objects.get(document=series.episodes.order_by("number").first().video_file)
    html = page(site, f"/videos/{series.pk}/1/")
    video = re.search(r"<video [^>]*>", html)[0]
    low, high, audio, poster = (f"/media/{row.outputs[name]['file']}" for name in ("low", "high", "audio", "poster"))
    assert 'preload="none"' in video and f'src="{low}"' in video and f'poster="{poster}"' in video
    assert 'width="640" height="360"' in video
    for label, url in (("流畅", low), ("高清", high), ("只听声音", audio)):
        assert re.search(rf'<a class="btn" href="{re.escape(url)}">{label}<small>（\d+ KB）</small></a>', html), label
    # The poster is in the site (the bucket); the video and audio files are linked on the origin's /media/ path.
    assert (site / poster.lstrip("/")).read_bytes()[8:12] == b"WEBP"
    assert not (site / low.lstrip("/")).exists() and not (site / audio.lstrip("/")).exists()
    assert "时长 4秒" in html  # filled in from the file
    assert re.search(r'<div class="prose" data-read-aloud><p>同志们好！', html)
    assert len(gzip.compress(html.encode(), 9)) <= 14 * 1024

    # An episode with only an external address: it stays as it is, with a drawn poster instead of a black box.
    html = page(site, f"/videos/{series.pk}/2/")
    video = re.search(r"<video [^>]*>", html)[0]
    external = series.episodes.get(number=2).video_url
    poster = re.search(r'poster="(/assets/poster\.[0-9a-f]{12}\.svg)"', video)
    assert f'src="{external}"' in video and poster and "无法播放？点此打开视频" in html
    drawn = (site / poster[1].lstrip("/")).read_text(encoding="utf-8")
    assert drawn.startswith("<svg") and "#7b1f1f" in drawn  # the theme's red with a play mark, not black


def test_audio_series_are_built_listed_and_played(cms_api_url, tmp_path):
    site = tmp_path / "site"
    build_site(cms_api_url, site)
    audio = AudioSeriesPage.objects.get(slug="audio-0001")
    row = Transcode.objects.get(document=audio.episodes.get(number=1).audio_file)
    item = page(site, f"/audio/{audio.pk}/")
    assert "党史故事广播" in item and "从第1集开始收听" in item and "<dd>音频</dd>" in item
    first = page(site, f"/audio/{audio.pk}/1/")
    m4a = f"/media/{row.outputs['audio']['file']}"
    assert f'<audio controls preload="none" src="{m4a}">' in first and "<video" not in first
    assert f'<a class="btn" href="{m4a}">收听' in first and "data-read-aloud" in first
    second = page(site, f"/audio/{audio.pk}/2/")
    assert '<audio controls preload="none" src="https://audio.example.cn/yp0001/02.mp3">' in second
    column = audio.columns.first()
    assert "党史故事广播" in page(site, f"/columns/{column.slug}/audio/")


def test_an_incremental_build_fetches_a_series_again_when_its_transcode_finishes(cms_api_url, tmp_path):
    site = tmp_path / "site"
    build_site(cms_api_url, site)
    series = VideoSeriesPage.objects.live().filter(district_only=False).exclude(slug="series-0001").order_by("pk").first()
    document = LibraryDocument(title="长征精神 第1集 视频", collection=Collection.get_first_root_node())
    document.file.save("changzheng-1.mp4", ContentFile(demo_clip("video")), save=False)
    document.save()
    episode = series.episodes.order_by("number").first()
    episode.video_file = document
    episode.save()
    VideoSeriesPage.objects.get(pk=series.pk).save_revision().publish()
    build_site(cms_api_url, site)
    assert "/media/transcodes/" not in page(site, episode.site_path)  # not transcoded yet: the original file plays
    assert document.file.url in page(site, episode.site_path)

    call_command("transcode_media", "--document", str(document.pk), verbosity=0)  # nothing published meanwhile
    result = build_site(cms_api_url, site)
    assert result.incremental and result.fetched_items == 1
    row = Transcode.objects.get(document=document)
    assert f"/media/{row.outputs['low']['file']}" in page(site, episode.site_path)
