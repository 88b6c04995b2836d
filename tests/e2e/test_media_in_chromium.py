"""Light video in a real browser at 360×640: an episode page fetches only its small poster until the member taps play,
and the poster is a real picture (never a black box)."""

from __future__ import annotations

import pytest

from content_models.models import VideoSeriesPage

from .test_site_in_chromium import served_site  # noqa: F401 (the fixture: the tiny catalogue, built and served)

RESOURCES_JS = "performance.getEntriesByType('resource').map((entry) => [entry.name, entry.transferSize])"
POSTER_JS = """
(() => {
  const video = document.querySelector("video");
  const image = new Image();
  image.src = video.poster;
  return image.decode().then(() => ({preload: video.preload, width: image.naturalWidth, height: image.naturalHeight,
                                     box: Math.round(video.getBoundingClientRect().height)}));
})()
"""


@pytest.mark.browser
def test_an_episode_page_loads_only_its_poster_until_play(chromium, served_site):  # noqa: F811 (fixture imported above)
    episode = VideoSeriesPage.objects.get(slug="series-0001").episodes.get(number=1)
    chromium.open(served_site + episode.site_path)
    poster = chromium.evaluate(POSTER_JS)
    assert poster["preload"] == "none" and (poster["width"], poster["height"]) == (640, 360)
    assert 150 <= poster["box"] <= 260  # 16:9 across the 360 px phone, reserved before anything loads
    fetched = [url for url, _ in chromium.evaluate(RESOURCES_JS)]
    assert any(url.endswith("-poster.webp") for url in fetched)
    assert not [url for url in fetched if url.endswith((".mp4", ".m4a", ".mp3"))], fetched
    assert chromium.errors() == []
