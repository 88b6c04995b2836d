"""The built site in a real browser: a 360×640 phone viewport, no console errors, big text, big targets, AA contrast."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urljoin

import pytest

from content_models.models import EBookPage, VideoSeriesPage
from site_builder.build import build_site
from site_builder.dev_server import make_server
from site_builder.pages import SiteConfig

from ..one_origin import running

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

# Measures the rendered page: base text, line height, interactive targets outside running text
# (WCAG 2.5.8 exempts links inside sentences), contrast of every element with its own text, overflow.
REPORT_JS = r"""
(() => {
  const rgb = (value) => (value.match(/[\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => [r, g, b].map((c) => { c /= 255; return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; })
    .reduce((sum, c, i) => sum + c * [0.2126, 0.7152, 0.0722][i], 0);
  const background = (el) => {
    for (; el; el = el.parentElement) {
      const c = rgb(getComputedStyle(el).backgroundColor);
      if (c.length === 3 || c[3] > 0) return c.slice(0, 3);
    }
    return [255, 255, 255];
  };
  const body = getComputedStyle(document.body);
  const small = [], lowContrast = [];
  for (const el of document.querySelectorAll("a[href], button, input, select, summary")) {
    const r = el.getBoundingClientRect();
    if (el.closest(".prose") || (r.width === 0 && r.height === 0)) continue;
    if (r.width < 44 || r.height < 44) small.push(`${el.outerHTML.slice(0, 70)} ${r.width.toFixed(0)}×${r.height.toFixed(0)}`);
  }
  for (const el of document.querySelectorAll("body *")) {
    const own = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    const style = getComputedStyle(el);
    if (!own || el.closest(".sr, svg, title, style, script") || style.visibility === "hidden" || style.display === "none") continue;
    const [a, b] = [lum(rgb(style.color)), lum(background(el))];
    const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    const size = parseFloat(style.fontSize), bold = parseInt(style.fontWeight, 10) >= 700;
    const needed = size >= 24 || (bold && size >= 18.66) ? 3 : 4.5;
    if (ratio < needed) lowContrast.push(`${el.tagName} "${el.textContent.trim().slice(0, 20)}" ${ratio.toFixed(2)}`);
  }
  return {
    fontSize: parseFloat(body.fontSize),
    lineHeight: parseFloat(body.lineHeight) / parseFloat(body.fontSize),
    small, lowContrast,
    overflow: document.documentElement.scrollWidth > window.innerWidth,
    h1: (document.querySelector("h1") || {}).textContent || "",
    images: [...document.images].map((img) => ({src: img.currentSrc, ok: img.complete && img.naturalWidth > 0, lazy: img.loading})),
  };
})()
"""


@pytest.fixture
def served_site(cms_api_url, tmp_path) -> Iterator[str]:
    """The tiny catalogue built into a folder and served on one origin by the demo's router, in front of the live CMS
    (so the pages' page-view beacon reaches the application, as on the real site)."""
    build_site(cms_api_url, tmp_path / "site", config=SiteConfig(site_url="http://127.0.0.1", search_url="/search/"))
    with running(make_server(tmp_path / "site", urljoin(cms_api_url, "/"), port=0)) as url:
        yield url


@pytest.mark.browser
def test_key_pages_are_readable_on_a_360px_phone(chromium, served_site):
    book = EBookPage.objects.live().order_by("pk").first()
    episode = VideoSeriesPage.objects.live().order_by("pk").first().episodes.first()
    pages = {
        "home": "/",
        "column": "/columns/shizheng-yaowen/",
        "ebook": book.site_path,
        "episode": episode.site_path,
        "map": "/map/",
        "district-map": "/map/nanguan/",
    }
    problems = {}
    for name, path in pages.items():
        chromium.open(served_site + path)
        # Images load lazily: scroll through so every cover on the page is fetched and checked.
        chromium.evaluate("(async () => { for (let y = 0; y < document.body.scrollHeight; y += 500) { scrollTo(0, y); await new Promise(r => setTimeout(r, 30)); } scrollTo(0, 0); })()")
        chromium.evaluate("Promise.all([...document.images].map((img) => img.decode().catch(() => null)))")
        report = chromium.evaluate(REPORT_JS)
        chromium.screenshot(ARTIFACTS / f"site-360-{name}.png")
        found = {
            "errors": chromium.errors(),
            "font_size": report["fontSize"] if report["fontSize"] < 18 else None,
            "line_height": report["lineHeight"] if report["lineHeight"] < 1.5 else None,
            "small_targets": report["small"],
            "low_contrast": report["lowContrast"],
            "horizontal_scroll": report["overflow"] or None,
            "broken_images": [img["src"] for img in report["images"] if not img["ok"]],
            "eager_images": [img["src"] for img in report["images"] if img["lazy"] != "lazy"],
            "no_heading": None if report["h1"].strip() else True,
        }
        found = {key: value for key, value in found.items() if value}
        if found:
            problems[name] = found
    assert problems == {}
    assert (ARTIFACTS / "site-360-map.png").stat().st_size > 1000
