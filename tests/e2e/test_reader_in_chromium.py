"""The page-by-page reader on a slow phone in a real browser, behind the one public origin (the static build, with
/media/ and /search/ answered by the CMS as nginx does): budgets, the page image in time, axe, the jump form without
JavaScript and 「继续阅读第 N 页」 with it."""

from __future__ import annotations

import gzip

import pytest
import requests

from content_models.models import EBookPage
from tests.one_origin import one_origin

from .test_budgets_in_chromium import AXE, AXE_JS, CPU_SLOWDOWN, HTML_BUDGET_GZIPPED, LCP_BUDGET_MS, LCP_JS, slow_phone  # noqa: F401
from .test_site_in_chromium import ARTIFACTS

IMAGE_BUDGET_MS = 2000
# When the page image finished loading, in ms after navigation start (null: not loaded within 4 s).
IMAGE_JS = """
new Promise((resolve) => {
  const img = document.querySelector("img.page");
  const done = () => {
    const entry = performance.getEntriesByName(img.currentSrc)[0];
    resolve(img.naturalWidth > 0 && entry ? entry.responseEnd : null);
  };
  if (img.complete) { done(); } else { img.addEventListener("load", done); setTimeout(done, 4000); }
})
"""


@pytest.mark.browser
def test_a_reader_page_meets_the_slow_phone_budgets_and_its_image_shows_in_time(slow_phone, cms_api_url, settings, tmp_path):  # noqa: F811
    book = EBookPage.objects.get(slug="ebook-0001")
    with one_origin(cms_api_url, tmp_path, settings) as site:
        problems, figures = {}, {}
        for name, path in {"reader": f"{book.site_path}read/2/", "reader_text": f"{book.site_path}read/text/1/"}.items():
            html = requests.get(site + path, timeout=30).content
            slow_phone.page("Emulation.setCPUThrottlingRate", {"rate": CPU_SLOWDOWN})
            slow_phone.open(site + path)
            lcp = slow_phone.evaluate(LCP_JS)
            image = slow_phone.evaluate(IMAGE_JS) if name == "reader" else None
            slow_phone.screenshot(ARTIFACTS / f"slow-360-{name}.png")
            slow_phone.page("Emulation.setCPUThrottlingRate", {"rate": 1})
            slow_phone.evaluate(AXE.read_text(encoding="utf-8") + ";0")
            figures[name] = {"html_gzipped": len(gzip.compress(html, 9)), "lcp_ms": lcp, "image_ms": image}
            found = {
                "html_over_budget": figures[name]["html_gzipped"] > HTML_BUDGET_GZIPPED,
                "lcp_missing_or_slow": lcp is None or lcp >= LCP_BUDGET_MS,
                "image_missing_or_slow": name == "reader" and (image is None or image >= IMAGE_BUDGET_MS),
                "axe": slow_phone.evaluate(AXE_JS),
                "errors": slow_phone.errors(),
            }
            if found := {key: value for key, value in found.items() if value}:
                problems[name] = found
        print(figures)
        assert problems == {}, figures


@pytest.mark.browser
def test_jump_without_javascript_and_continue_reading_with_it(chromium, cms_api_url, settings, tmp_path):
    book = EBookPage.objects.get(slug="ebook-0001")
    with one_origin(cms_api_url, tmp_path, settings) as site:
        # The form's GET, as a browser without JavaScript sends it, lands on the page asked for.
        answer = requests.get(f"{site}/search/read/", params={"to": f"{book.site_path}read/", "of": "8", "n": "5"}, timeout=30)
        assert answer.status_code == 200 and answer.url == f"{site}{book.site_path}read/5/" and "第 5 / 8 页" in answer.text

        chromium.open(f"{site}{book.site_path}")
        assert chromium.evaluate("document.querySelector('a[data-continue]').hidden") is True  # nothing read yet
        chromium.open(f"{site}{book.site_path}read/6/")
        chromium.open(f"{site}{book.site_path}")
        link = chromium.evaluate("(() => { const a = document.querySelector('a[data-continue]'); return [a.hidden, a.textContent, a.getAttribute('href')]; })()")
        assert link == [False, "继续阅读第 6 页", f"{book.site_path}read/6/"]
        assert chromium.errors() == []
