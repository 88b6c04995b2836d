"""Members' budgets on a slow phone, in a real browser: 360×640, 150 ms RTT, 1.6 Mbit/s, CPU 4× slower.

Each page: ≤ 14 KB gzipped HTML, largest contentful paint < 1.2 s, title (and cover) on the first screen of item
pages, and axe-core (node_modules, pinned in package-lock.json; `make test` runs npm ci) finds no serious or
critical accessibility violation. A page joins the check with one line in PAGES.
"""

from __future__ import annotations

import gzip
from collections.abc import Callable
from pathlib import Path

import pytest
import requests

from activities.models import ActivityPage
from content_models.models import AudioSeriesPage, EBookPage, NewsPage, VideoSeriesPage

from .test_site_in_chromium import ARTIFACTS, served_site  # noqa: F401 (the fixture: the tiny catalogue, built and served)

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
HTML_BUDGET_GZIPPED = 14 * 1024
LCP_BUDGET_MS = 1200
SLOW_NETWORK = {"offline": False, "latency": 150, "downloadThroughput": 1_600_000 / 8, "uploadThroughput": 750_000 / 8}
CPU_SLOWDOWN = 4

# name → the page's site path (looked up when the test runs). Reader and episode pages add one line each.
PAGES: dict[str, Callable[[], str]] = {
    "home": lambda: "/",
    "ebook": lambda: EBookPage.objects.live().order_by("pk").first().site_path,
    "news": lambda: NewsPage.objects.live().filter(district_only=False, view_restrictions__isnull=True).order_by("pk").first().site_path,
    "map": lambda: "/map/nanguan/",
    # The demo's transcoded video episode (poster, 流畅/高清/只听声音) and audio episode.
    "episode": lambda: VideoSeriesPage.objects.get(slug="series-0001").episodes.get(number=1).site_path,
    "audio_episode": lambda: AudioSeriesPage.objects.get(slug="audio-0001").episodes.get(number=1).site_path,
    "activity": lambda: ActivityPage.objects.get(slug="activity-live").site_path,  # the live lecture: a <video>
}

# The newest largest-contentful-paint candidate (ms after navigation start), or null when none came within 3 s.
LCP_JS = """
new Promise((resolve) => {
  const done = (value) => resolve(value);
  new PerformanceObserver((list) => { const all = list.getEntries(); done(all[all.length - 1].startTime); })
    .observe({type: "largest-contentful-paint", buffered: true});
  setTimeout(() => done(null), 3000);
})
"""
FIRST_SCREEN_JS = """
(() => {
  const bottom = (el) => el ? Math.round(el.getBoundingClientRect().bottom + scrollY) : null;
  return {h1: bottom(document.querySelector("h1")), cover: bottom(document.querySelector(".cover img"))};
})()
"""
AXE_JS = """
axe.run(document, {resultTypes: ["violations"]}).then((result) => result.violations
  .filter((v) => v.impact === "serious" || v.impact === "critical")
  .map((v) => `${v.impact} ${v.id}: ${v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(", ")}`))
"""


@pytest.fixture
def slow_phone(chromium):
    """The session's chromium on the slow profile (no cache), set back to full speed afterwards for other tests."""
    chromium.page("Network.enable")
    chromium.page("Network.setCacheDisabled", {"cacheDisabled": True})
    chromium.page("Network.emulateNetworkConditions", SLOW_NETWORK)
    chromium.page("Emulation.setCPUThrottlingRate", {"rate": CPU_SLOWDOWN})
    try:
        yield chromium
    finally:
        chromium.page("Emulation.setCPUThrottlingRate", {"rate": 1})
        chromium.page("Network.emulateNetworkConditions", {**SLOW_NETWORK, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1})
        chromium.page("Network.setCacheDisabled", {"cacheDisabled": False})


@pytest.mark.browser
def test_key_pages_meet_the_slow_phone_budgets_and_axe(slow_phone, served_site):  # noqa: F811 (fixture imported above)
    if not AXE.is_file():
        pytest.fail(f"{AXE} is missing: run `npm ci` at the repository root (make test does)")
    axe_source = AXE.read_text(encoding="utf-8")
    problems, figures = {}, {}
    for name, path_of in PAGES.items():
        url = served_site + path_of()
        html = requests.get(url, timeout=30).content
        slow_phone.page("Emulation.setCPUThrottlingRate", {"rate": CPU_SLOWDOWN})
        slow_phone.open(url)
        lcp = slow_phone.evaluate(LCP_JS)
        screen = slow_phone.evaluate(FIRST_SCREEN_JS)
        slow_phone.screenshot(ARTIFACTS / f"slow-360-{name}.png")
        slow_phone.page("Emulation.setCPUThrottlingRate", {"rate": 1})  # axe itself need not run slowly
        slow_phone.evaluate(axe_source + ";0")
        serious = slow_phone.evaluate(AXE_JS)
        figures[name] = {"html_gzipped": len(gzip.compress(html, 9)), "lcp_ms": lcp, **screen}
        found = {
            "html_over_budget": figures[name]["html_gzipped"] if figures[name]["html_gzipped"] > HTML_BUDGET_GZIPPED else None,
            "lcp_missing_or_slow": lcp if lcp is None or lcp >= LCP_BUDGET_MS else None,
            "title_below_the_fold": screen["h1"] if screen["h1"] is None or screen["h1"] > 640 else None,
            "cover_below_the_fold": screen["cover"] if screen["cover"] and screen["cover"] > 640 else None,
            "axe": serious,
            "errors": slow_phone.errors(),
        }
        found = {key: value for key, value in found.items() if value}
        if found:
            problems[name] = found
    print(figures)
    assert problems == {}, figures
